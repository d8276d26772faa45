/**
 * Timed states lapse as events (issue 16): on an injected clock, a suspension with `until`, a
 * certification's start and end and a client authorisation's expiry each become one history
 * entry by `system`, effective at the instant they happened, and the stored status, the list
 * filters, the transitions allowed and the history agree from then on.
 */
import { activeDeveloper, ADMIN, certifiedProduct, CERTIFY, codeOf, createHarness, DAY, productMutation, type Harness } from './harness.js';

const SECOND = 1000;
const HISTORY = 'query($id: ID!) { productHistory(productId: $id) { action actor effectiveAt fromStatus toStatus revision } }';
const PRODUCT = 'query($id: ID!) { product(id: $id) { status effectiveStatus blockedBy revision suspension { until } } }';
const LIST = 'query($status: ProductStatus) { products(status: $status) { id } }';
const SUSPEND_UNTIL = productMutation('suspendProduct', ', $until: String', ', until: $until');

describe('timed states lapse as events', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const listed = async (status: string, id: string) => ((await h.ok(ADMIN, LIST, { status })).products as Array<{ id: string }>).some((p) => p.id === id);

  test('one second after a suspension lapses, the status, the lists, reinstatement, a new suspension and the history all agree', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const until = new Date(h.clock.now + 2 * SECOND).toISOString();
    const suspended = (await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: p.revision, reason: 'cool off', until })).suspendProduct;
    expect([await listed('SUSPENDED', p.id), await listed('CERTIFIED', p.id)]).toEqual([true, false]);

    h.clock.now += 3 * SECOND; // the suspension ended a second ago; nobody has touched the product
    const now = (await h.ok(ADMIN, PRODUCT, { id: p.id })).product;
    expect(now).toMatchObject({ status: 'CERTIFIED', effectiveStatus: 'CERTIFIED', suspension: null });
    expect(now.revision).toBeGreaterThan(suspended.revision);
    expect([await listed('SUSPENDED', p.id), await listed('CERTIFIED', p.id)]).toEqual([false, true]);

    const lapse = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory.at(-1);
    expect(lapse).toEqual({ action: 'suspensionLapsed', actor: 'system', effectiveAt: until, fromStatus: 'SUSPENDED', toStatus: 'CERTIFIED', revision: now.revision });

    // A decision taken on the state read before the lapse is told the record changed.
    expect(codeOf(await h.run(ADMIN, productMutation('reinstateProduct'), { id: p.id, rev: suspended.revision, reason: 'back' }))).toBe('REVISION_CONFLICT');
    // On the current state: nothing to reinstate, and a new suspension starts from CERTIFIED.
    expect(codeOf(await h.run(ADMIN, productMutation('reinstateProduct'), { id: p.id, rev: now.revision, reason: 'back' }))).toBe('ILLEGAL_TRANSITION');
    await h.ok(ADMIN, productMutation('suspendProduct'), { id: p.id, rev: now.revision, reason: 'again' });
    const history = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory;
    expect(history.slice(-3).map((e: any) => [e.action, e.actor, e.fromStatus, e.toStatus])).toEqual([
      ['suspendProduct', 'admin-ann (ato:admin)', 'CERTIFIED', 'SUSPENDED'],
      ['suspensionLapsed', 'system', 'SUSPENDED', 'CERTIFIED'],
      ['suspendProduct', 'admin-ann (ato:admin)', 'CERTIFIED', 'SUSPENDED'],
    ]);
  });

  test('an unrelated change after the lapse is not credited with the reinstatement', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const until = new Date(h.clock.now + 2 * SECOND).toISOString();
    await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: p.revision, reason: 'cool off', until });
    h.clock.now += 3 * SECOND;
    // The admin reads the product (as anyone would before deciding) and changes something unrelated.
    const { product: before } = await h.ok(ADMIN, 'query($id: ID!) { product(id: $id) { revision } }', { id: p.id });
    await h.ok(ADMIN, productMutation('setMinimumVersion', ', $v: String!', ', minimumVersion: $v'), { id: p.id, rev: before.revision, reason: 'raise', v: '3.0.0' });
    const history = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory;
    expect(history.slice(-2).map((e: any) => [e.action, e.actor, e.fromStatus, e.toStatus])).toEqual([
      ['suspensionLapsed', 'system', 'SUSPENDED', 'CERTIFIED'],
      ['setMinimumVersion', 'admin-ann (ato:admin)', 'CERTIFIED', 'CERTIFIED'],
    ]);
  });

  test('the lapse is recorded once, however many requests see it', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: p.revision, reason: 'cool off', until: new Date(h.clock.now + SECOND).toISOString() });
    h.clock.now += 2 * SECOND;
    await Promise.all([h.ok(ADMIN, PRODUCT, { id: p.id }), h.ok(ADMIN, LIST, { status: 'CERTIFIED' }), h.ok(ADMIN, HISTORY, { id: p.id })]);
    const history = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory;
    expect(history.filter((e: any) => e.action === 'suspensionLapsed')).toHaveLength(1);
  });

  test('a certification records taking effect (certified ahead of time) and expiring, each at its own instant', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const validFrom = new Date(h.clock.now + DAY).toISOString();
    const validUntil = new Date(h.clock.now + 3 * DAY).toISOString();
    const recertified = (await h.ok(ADMIN, CERTIFY, { id: p.id, rev: p.revision, reason: 'renewal', tier: 'STANDARD', validFrom, validUntil, services: ['clients.read'] })).certifyProduct;
    expect(recertified.blockedBy).toBe('PRODUCT_NOT_CERTIFIED');
    h.clock.now += 4 * DAY;
    const history = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory;
    expect(history.slice(-2).map((e: any) => [e.action, e.actor, e.effectiveAt])).toEqual([
      ['certificationTookEffect', 'system', validFrom],
      ['certificationExpired', 'system', validUntil],
    ]);
    expect((await h.ok(ADMIN, PRODUCT, { id: p.id })).product.blockedBy).toBe('CERTIFICATION_EXPIRED');
    // Read again: nothing more is recorded.
    expect((await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory).toHaveLength(history.length);
  });

  test("a client authorisation's expiry is on its history, and a new grant renews it", async () => {
    const org = '51824753556';
    const grant = 'mutation($org: String!, $c: String!, $rev: Int, $exp: String) { grantClientAuthorisation(org: $org, clientId: $c, expectedRevision: $rev, expiresAt: $exp, reason: "engaged") { revision active } }';
    const historyOf = 'query($org: String!, $c: String!) { clientAuthorisationHistory(org: $org, clientId: $c) { action actor effectiveAt } }';
    const expiresAt = new Date(h.clock.now + DAY).toISOString();
    await h.ok(ADMIN, grant, { org, c: 'C-000777', exp: expiresAt });
    h.clock.now += 2 * DAY;
    const history = (await h.ok(ADMIN, historyOf, { org, c: 'C-000777' })).clientAuthorisationHistory;
    expect(history.map((e: any) => [e.action, e.actor, e.effectiveAt])).toEqual([
      ['grantClientAuthorisation', 'admin-ann (ato:admin)', expect.any(String)],
      ['authorisationExpired', 'system', expiresAt],
    ]);
    const { clientAuthorisations } = await h.ok(ADMIN, 'query($org: String) { clientAuthorisations(org: $org) { revision active } }', { org });
    const renewed = (await h.ok(ADMIN, grant, { org, c: 'C-000777', rev: clientAuthorisations[0].revision, exp: new Date(h.clock.now + DAY).toISOString() })).grantClientAuthorisation;
    expect(renewed.active).toBe(true);
    h.clock.now += 2 * DAY;
    const again = (await h.ok(ADMIN, historyOf, { org, c: 'C-000777' })).clientAuthorisationHistory;
    expect(again.map((e: any) => e.action)).toEqual(['grantClientAuthorisation', 'authorisationExpired', 'grantClientAuthorisation', 'authorisationExpired']);
  });
});
