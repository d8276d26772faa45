import { activeDeveloper, ADMIN, certifiedProduct, codeOf, createHarness, developerMutation, productMutation, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

describe('optimistic concurrency', () => {
  test('two concurrent updates expecting the same revision: exactly one succeeds, the other gets REVISION_CONFLICT', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const [a, b] = await Promise.all([
      h.run(ADMIN, productMutation('suspendProduct'), { id: p.id, rev: p.revision, reason: 'Admin A: fraud alert' }),
      h.run(ADMIN, productMutation('setMinimumVersion', ', $v: String!', ', minimumVersion: $v'), { id: p.id, rev: p.revision, reason: 'Admin B: old versions', v: '3.0.0' }),
    ]);
    const codes = [codeOf(a), codeOf(b)];
    expect(codes.filter((c) => c === undefined)).toHaveLength(1);
    expect(codes.filter((c) => c === 'REVISION_CONFLICT')).toHaveLength(1);
    const loser = codeOf(a) ? a : b;
    const stored = (await h.store.productById(p.id))!;
    expect(loser.errors?.[0]?.extensions).toMatchObject({ expectedRevision: p.revision, actualRevision: stored.revision });
    const history = await h.store.historyOf('PRODUCT', p.id);
    expect(history.at(-1)?.revision).toBe(stored.revision);
    expect(history.filter((e) => e.revision > p.revision)).toHaveLength(1);
  });

  test('the same race on a developer', async () => {
    const dev = await activeDeveloper(h);
    const results = await Promise.all([
      h.run(ADMIN, developerMutation('suspendDeveloper'), { id: dev.id, rev: dev.revision, reason: 'A' }),
      h.run(ADMIN, developerMutation('deregisterDeveloper'), { id: dev.id, rev: dev.revision, reason: 'B' }),
    ]);
    expect(results.map(codeOf).sort()).toEqual(['REVISION_CONFLICT', undefined]);
  });

  test('a stale revision is refused before the transition is judged', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const suspended = (await h.ok(ADMIN, productMutation('suspendProduct'), { id: p.id, rev: p.revision, reason: 'first' })).suspendProduct;
    // A second admin still looking at the CERTIFIED revision: told about the conflict, not that suspending a suspended product is illegal.
    const late = await h.run(ADMIN, productMutation('suspendProduct'), { id: p.id, rev: p.revision, reason: 'second' });
    expect(late.errors?.[0]?.extensions).toMatchObject({ code: 'REVISION_CONFLICT', expectedRevision: p.revision, actualRevision: suspended.revision });
  });

  test('granting an authorisation that already exists needs its revision', async () => {
    const grant = 'mutation($rev: Int) { grantClientAuthorisation(org: "98765432122", clientId: "C-000100", expectedRevision: $rev, reason: "Own client") { revision revoked } }';
    const first = (await h.ok(ADMIN, grant, {})).grantClientAuthorisation;
    expect(codeOf(await h.run(ADMIN, grant, {}))).toBe('REVISION_CONFLICT');
    const revoke = 'mutation($rev: Int!) { revokeClientAuthorisation(org: "98765432122", clientId: "C-000100", expectedRevision: $rev, reason: "Engagement ended") { revision revoked active } }';
    const revoked = (await h.ok(ADMIN, revoke, { rev: first.revision })).revokeClientAuthorisation;
    expect(revoked).toMatchObject({ revoked: true, active: false });
    expect(codeOf(await h.run(ADMIN, revoke, { rev: revoked.revision }))).toBe('ILLEGAL_TRANSITION');
    const renewed = (await h.ok(ADMIN, grant, { rev: revoked.revision })).grantClientAuthorisation;
    expect(renewed.revoked).toBe(false);
    const history = (await h.ok(ADMIN, '{ clientAuthorisationHistory(org: "98765432122", clientId: "C-000100") { action fromStatus toStatus actor } }')).clientAuthorisationHistory;
    expect(history.map((e: any) => [e.action, e.fromStatus, e.toStatus])).toEqual([
      ['grantClientAuthorisation', null, 'ACTIVE'],
      ['revokeClientAuthorisation', 'ACTIVE', 'REVOKED'],
      ['grantClientAuthorisation', 'REVOKED', 'ACTIVE'],
    ]);
  });
});
