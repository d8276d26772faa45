/**
 * Framework scenario 4: a legitimate developer not compliant in its own obligations. While the
 * developer is suspended every product of theirs is refused; reinstatement restores service.
 */
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi, within } from '../helpers/registry-api.js';

describe('scenario 4: a suspended developer has every product refused until reinstated', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('refuses the demo non-compliant developer product', async () => {
    const r = await sys.gql('{ client(clientId: "C-000001") { id } }', { token: await sys.token({ product: 'PRD-NONCOMPLIANT-DEV' }) });
    expect([r.status, codesOf(r)]).toEqual([403, ['DEVELOPER_NOT_IN_GOOD_STANDING']]);
  });

  it('refuses all products of a developer once suspended, and serves them again after reinstatement', async () => {
    const api = registryApi(sys);
    const developerId = await api.newApprovedDeveloper(4);
    const products = [await api.newSelfCertifiedProduct(developerId), await api.newSelfCertifiedProduct(developerId)];
    for (const id of products) ok(await api.certify(id, 'STANDARD', ['clients.read']));
    const tokens = await Promise.all(products.map((product) => sys.token({ product, version: '1.0.0', scope: 'clients.read' })));
    const query = '{ client(clientId: "C-000005") { id } }';
    for (const token of tokens) expect((await sys.gql(query, { token })).status).toBe(200);

    const rev = await api.revisionOf('developer', developerId);
    ok(await api.admin('mutation ($id: ID!, $rev: Int!) { suspendDeveloper(developerId: $id, expectedRevision: $rev, reason: "BAS lodgment obligations overdue") { status } }', { id: developerId, rev }));
    for (const token of tokens) {
      const took = await within(1000, async () => codesOf(await sys.gql(query, { token })).includes('DEVELOPER_NOT_IN_GOOD_STANDING'));
      expect(took).toBeLessThanOrEqual(1000);
    }

    const rev2 = await api.revisionOf('developer', developerId);
    ok(await api.admin('mutation ($id: ID!, $rev: Int!) { reinstateDeveloper(developerId: $id, expectedRevision: $rev, reason: "obligations brought up to date") { status } }', { id: developerId, rev: rev2 }));
    for (const token of tokens) {
      const took = await within(1000, async () => (await sys.gql(query, { token })).status === 200);
      expect(took).toBeLessThanOrEqual(1000);
    }
  });
});
