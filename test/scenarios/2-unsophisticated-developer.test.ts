/**
 * Framework scenario 2: a legitimate but unsophisticated developer with security flaws. Its
 * self-certification has gaps, so it is certified with limited services and no restricted data.
 */
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi } from '../helpers/registry-api.js';

describe('scenario 2: certification with gaps gives limited services and no restricted data', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('ends with a product that reads clients only and never restricted data', async () => {
    const api = registryApi(sys);
    const developerId = await api.newApprovedDeveloper(2);
    const productId = await api.newSelfCertifiedProduct(developerId, { notMet: ['MULTIFACTOR_AUTHENTICATION', 'ENCRYPTION_AT_REST'] });

    // Gaps block the ENHANCED tier (restricted data) outright.
    const enhanced = await api.certify(productId, 'ENHANCED', ['clients.read']);
    expect(enhanced.body.data?.certifyProduct ?? null).toBeNull();
    expect(codesOf(enhanced)).toEqual(['BAD_USER_INPUT']);
    expect(enhanced.body.errors![0]!.extensions!.blockedTier).toBeTruthy();

    // The admin certifies what the self-certification supports: limited services, STANDARD.
    const certified = ok(await api.certify(productId, 'STANDARD', ['clients.read'])).certifyProduct;
    expect(certified.status).toBe('CERTIFIED');
    expect(certified.services).toEqual(['clients.read']);

    const token = await sys.token({ product: productId, version: '1.0.0' });
    const r = await sys.gql('{ client(clientId: "C-000002") { id name lodgments { period } account { balance } } }', { token });
    expect(r.status).toBe(200);
    expect(r.body.data!.client.name).toEqual(expect.any(String));
    expect(r.body.data!.client.lodgments).toBeNull();
    expect(r.body.data!.client.account).toBeNull();
    expect(codesOf(r)).toEqual(['SERVICE_NOT_WHITELISTED', 'SERVICE_NOT_WHITELISTED']);

    const restricted = await sys.gql('{ client(clientId: "C-000003") { id specialInterest { category } } }', { token });
    expect(restricted.body.data?.client ?? null).toBeNull();
    expect(codesOf(restricted)).toContain('RESTRICTED_DATA');
  });

  it('once its operations are certified, an ad hoc query the product was not certified for is refused', async () => {
    const api = registryApi(sys);
    const developerId = await api.newApprovedDeveloper(3);
    const productId = await api.newSelfCertifiedProduct(developerId, { notMet: ['MULTIFACTOR_AUTHENTICATION'] });
    // The developer declares what the software sends; the admin approves it with the certification.
    const lookup = 'query ClientLookup($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    name\n  }\n}\n';
    ok(
      await api.developerStaff(developerId, 'mutation ($id: ID!, $rev: Int!, $docs: [String!]!) { submitOperationManifest(productId: $id, expectedRevision: $rev, documents: $docs, reason: "What release 1.0 sends") { revision } }', {
        id: productId,
        rev: await api.revisionOf('product', productId),
        docs: [lookup],
      }),
    );
    const certified = ok(await api.certify(productId, 'STANDARD', ['clients.read'], { manifestVersion: 1 })).certifyProduct;
    expect(certified.effectiveTrustedDocuments).toBe('ENFORCE');

    const token = await sys.token({ product: productId, version: '1.0.0' });
    const certifiedLookup = await sys.gql(lookup, { token, variables: { clientId: 'C-000002' } });
    expect([certifiedLookup.status, certifiedLookup.body.data?.client?.id]).toEqual([200, 'C-000002']);
    // A careless (or compromised) build sends an ad hoc query walking taxpayers: nothing is served.
    const adHoc = await sys.gql('{ a: client(clientId: "C-000002") { id name abn } b: client(clientId: "C-000004") { id name abn } }', { token });
    expect([adHoc.status, codesOf(adHoc), adHoc.body.data ?? null]).toEqual([403, ['OPERATION_NOT_CERTIFIED'], null]);
  });
});
