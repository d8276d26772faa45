/**
 * What admins and auditors ask of the register (issue 16): products and developers refused now,
 * certifications expiring and reviews due within N days, history across entities by actor,
 * ticket and date range, and one change applied to several products with per-product revision
 * checks.
 */
import { activeDeveloper, ADMIN, AUDITOR, certifiedProduct, codeOf, createHarness, DAY, developerMutation, developerStaff, productMutation, staff, type Harness } from './harness.js';
import { TEXT_RULES } from '../../../../registry/text.js';

const ids = (list: Array<{ id: string }>) => list.map((x) => x.id).sort();

describe('registry queries for admins and auditors', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  test('products and developers currently refused, by effective status', async () => {
    const good = await activeDeveloper(h);
    const served = await certifiedProduct(h, good.id);
    const suspended = await certifiedProduct(h, good.id);
    await h.ok(ADMIN, productMutation('suspendProduct'), { id: suspended.id, rev: suspended.revision, reason: 'fraud' });
    const bad = await activeDeveloper(h);
    const orphan = await certifiedProduct(h, bad.id);
    await h.ok(ADMIN, developerMutation('suspendDeveloper'), { id: bad.id, rev: bad.revision + 0, reason: 'tax debt' }).catch(async () => {
      const { developer } = await h.ok(ADMIN, 'query($id: ID!) { developer(id: $id) { revision } }', { id: bad.id });
      await h.ok(ADMIN, developerMutation('suspendDeveloper'), { id: bad.id, rev: developer.revision, reason: 'tax debt' });
    });
    const q = 'query($r: Boolean, $b: String) { products(refused: $r, blockedBy: $b) { id blockedBy } }';
    expect(ids((await h.ok(AUDITOR, q, { r: true })).products)).toEqual([suspended.id, orphan.id].sort());
    expect(ids((await h.ok(AUDITOR, q, { r: false })).products)).toEqual([served.id]);
    expect(ids((await h.ok(AUDITOR, q, { b: 'DEVELOPER_NOT_IN_GOOD_STANDING' })).products)).toEqual([orphan.id]);
    expect(ids((await h.ok(AUDITOR, 'query { developers(refused: true) { id } }')).developers)).toEqual([bad.id]);
    expect(ids((await h.ok(AUDITOR, 'query { developers(refused: false) { id } }')).developers)).toEqual([good.id]);
  });

  test('certifications expiring and reviews due within N days, soonest first; a bad horizon is refused', async () => {
    const dev = await activeDeveloper(h); // review due a year from approval
    const p = await certifiedProduct(h, dev.id); // valid for 365 days
    const q = 'query($d: Int!) { certificationsExpiring(withinDays: $d) { id } reviewsDue(withinDays: $d) { id } }';
    expect(await h.ok(ADMIN, q, { d: 30 })).toEqual({ certificationsExpiring: [], reviewsDue: [] });
    h.clock.now += 340 * DAY;
    expect(await h.ok(ADMIN, q, { d: 30 })).toEqual({ certificationsExpiring: [{ id: p.id }], reviewsDue: [{ id: dev.id }] });
    h.clock.now += 60 * DAY; // expired certifications are no longer "expiring"; overdue reviews are still due
    expect(await h.ok(ADMIN, q, { d: 30 })).toEqual({ certificationsExpiring: [], reviewsDue: [{ id: dev.id }] });
    for (const d of [0, 5000]) expect(codeOf(await h.run(ADMIN, q, { d }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await h.run(developerStaff(dev.id), q, { d: 30 }))).toBe('FORBIDDEN');
  });

  test('history across entities by actor, ticket, entity type and date range, newest first, paged', async () => {
    const jane = staff('jane', ['ato:admin']);
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const start = new Date(h.clock.now + DAY / 2).toISOString(); // after the set-up changes, before the first suspension
    h.clock.now += DAY;
    const s1 = (await h.ok(jane, productMutation('suspendProduct'), { id: p.id, rev: p.revision, reason: 'probe', ticket: 'INC-42' })).suspendProduct;
    h.clock.now += DAY;
    const { developer } = await h.ok(ADMIN, 'query($id: ID!) { developer(id: $id) { revision } }', { id: dev.id });
    await h.ok(jane, developerMutation('suspendDeveloper'), { id: dev.id, rev: developer.revision, reason: 'probe', ticket: 'INC-42' });
    await h.ok(ADMIN, productMutation('reinstateProduct'), { id: p.id, rev: s1.revision, reason: 'cleared', ticket: 'INC-43' });
    const q = 'query($f: RegistryHistoryFilterInput, $n: Int, $b: Int) { registryHistory(filter: $f, first: $n, beforeRevision: $b) { action actor ticket entityType revision effectiveAt } }';
    const byJane = (await h.ok(AUDITOR, q, { f: { actor: 'jane' } })).registryHistory;
    expect(byJane.map((e: any) => e.action)).toEqual(['suspendDeveloper', 'suspendProduct']);
    expect((await h.ok(AUDITOR, q, { f: { actor: 'jane (ato:admin)' } })).registryHistory).toHaveLength(2);
    expect((await h.ok(AUDITOR, q, { f: { actor: 'jan' } })).registryHistory).toEqual([]);
    expect((await h.ok(AUDITOR, q, { f: { ticket: 'INC-42', entityType: 'PRODUCT' } })).registryHistory.map((e: any) => e.action)).toEqual(['suspendProduct']);
    const window = (await h.ok(AUDITOR, q, { f: { from: start, to: new Date(h.clock.now - DAY / 2).toISOString() } })).registryHistory;
    expect(window.map((e: any) => e.action)).toEqual(['suspendProduct']);
    const all = (await h.ok(AUDITOR, q, {})).registryHistory;
    const page1 = (await h.ok(AUDITOR, q, { n: 2 })).registryHistory;
    const page2 = (await h.ok(AUDITOR, q, { n: 2, b: page1.at(-1).revision })).registryHistory;
    expect([...page1, ...page2]).toEqual(all.slice(0, 4));
    expect(all.map((e: any) => e.revision)).toEqual([...all.map((e: any) => e.revision)].sort((a, b) => b - a));
    expect(codeOf(await h.run(AUDITOR, q, { f: { from: '2025-01-01' } }))).toBe('BAD_USER_INPUT');
  });

  test('history by a whole actor that names a long sub and its issuer (several issuers trusted); an over-long actor is refused', async () => {
    const sub = `s${'u'.repeat(299)}`;
    const issuer = `https://staff.example/${'i'.repeat(200)}`;
    const admin = { ...staff(sub, ['ato:admin']), subjectIssuer: issuer };
    const p = await certifiedProduct(h, (await activeDeveloper(h)).id);
    await h.ok(admin, productMutation('suspendProduct'), { id: p.id, rev: p.revision, reason: 'probe', ticket: null });
    const q = 'query($f: RegistryHistoryFilterInput) { registryHistory(filter: $f) { action actor } }';
    const actor = `${sub} (ato:admin, issuer ${issuer})`;
    expect((await h.ok(AUDITOR, q, { f: { actor } })).registryHistory).toEqual([{ action: 'suspendProduct', actor }]);
    expect(codeOf(await h.run(AUDITOR, q, { f: { actor: 'a'.repeat(TEXT_RULES.actor.max + 1) } }))).toBe('BAD_USER_INPUT');
  });

  test('one change applied to several products: a stale revision is refused for that product alone, each applied one is on its own history', async () => {
    const dev = await activeDeveloper(h);
    const [a, b, c] = [await certifiedProduct(h, dev.id), await certifiedProduct(h, dev.id), await certifiedProduct(h, dev.id)];
    const batch = `mutation($products: [ProductRevisionInput!]!, $until: String) {
      changeProducts(action: SUSPEND, products: $products, reason: "Breach under investigation", ticket: "INC-9", until: $until) { productId code product { id status revision } }
    }`;
    const results = (await h.ok(ADMIN, batch, { products: [{ productId: a.id, expectedRevision: a.revision }, { productId: b.id, expectedRevision: b.revision - 1 }, { productId: c.id, expectedRevision: c.revision }] })).changeProducts;
    expect(results.map((r: any) => [r.productId, r.code, r.product?.status ?? null])).toEqual([
      [a.id, null, 'SUSPENDED'],
      [b.id, 'REVISION_CONFLICT', null],
      [c.id, null, 'SUSPENDED'],
    ]);
    const history = 'query($id: ID!) { productHistory(productId: $id) { action actor reason ticket } }';
    for (const id of [a.id, c.id]) {
      expect((await h.ok(AUDITOR, history, { id })).productHistory.at(-1)).toEqual({ action: 'suspendProduct', actor: 'admin-ann (ato:admin)', reason: 'Breach under investigation', ticket: 'INC-9' });
    }
    expect((await h.ok(AUDITOR, history, { id: b.id })).productHistory.at(-1).action).toBe('certifyProduct');
    // Badly formed batches are refused whole.
    expect(codeOf(await h.run(ADMIN, batch, { products: [] }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await h.run(ADMIN, batch, { products: [{ productId: b.id, expectedRevision: b.revision }, { productId: b.id, expectedRevision: b.revision }] }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await h.run(AUDITOR, batch, { products: [{ productId: b.id, expectedRevision: b.revision }] }))).toBe('ROLE_REQUIRED');
  });
});
