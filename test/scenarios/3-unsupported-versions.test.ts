/**
 * Framework scenario 3: a legitimate developer that keeps releasing versions and does not support
 * its users. Once the ATO raises the minimum supported version, old versions are refused.
 */
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi, within } from '../helpers/registry-api.js';

describe('scenario 3: old versions are refused once the minimum version is raised', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('serves 2.x until the minimum becomes 3.0.0, then only 3.x', async () => {
    const api = registryApi(sys);
    const query = '{ client(clientId: "C-000004") { id } }';
    const old = await sys.token({ product: 'PRD-CERTIFIED', version: '2.5.0' });
    const current = await sys.token({ product: 'PRD-CERTIFIED', version: '3.1.0' });
    expect((await sys.gql(query, { token: old })).status).toBe(200);

    const rev = await api.revisionOf('product', 'PRD-CERTIFIED');
    ok(await api.admin('mutation ($rev: Int!) { setMinimumVersion(productId: "PRD-CERTIFIED", expectedRevision: $rev, minimumVersion: "3.0.0", reason: "2.x no longer supported") { minimumVersion } }', { rev }));

    const took = await within(1000, async () => codesOf(await sys.gql(query, { token: old })).includes('PRODUCT_VERSION_UNSUPPORTED'));
    expect(took).toBeLessThanOrEqual(1000);
    const refused = await sys.gql(query, { token: old });
    expect([refused.status, codesOf(refused)]).toEqual([403, ['PRODUCT_VERSION_UNSUPPORTED']]);
    const served = await sys.gql(query, { token: current });
    expect([served.status, served.body.data!.client.id]).toEqual([200, 'C-000004']);
  });
});
