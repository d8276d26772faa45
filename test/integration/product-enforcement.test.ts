/** Issue 3: identity and product enforcement through real HTTP, real gateway, subgraphs and store. */
import { SignJWT, generateKeyPair, exportJWK, type JWK } from 'jose';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const CLIENT_QUERY = 'query ($id: ID!) { client(clientId: $id) { id name tfnMasked lodgments(first: 1) { period } account { balance } } }';

describe('product enforcement', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  const asProduct = async (product: string, query = CLIENT_QUERY, variables: Record<string, unknown> = { id: 'C-000001' }, extra: Record<string, unknown> = {}) =>
    sys.gql(query, { token: await sys.token({ product, ...extra }), variables });

  it('serves PRD-CERTIFIED', async () => {
    const r = await asProduct('PRD-CERTIFIED');
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.client.id).toBe('C-000001');
    expect(r.body.data!.client.account.balance).toEqual(expect.any(Number));
  });

  it.each([
    ['PRD-SUSPENDED', 'PRODUCT_SUSPENDED'],
    ['PRD-EXPIRED', 'CERTIFICATION_EXPIRED'],
    ['PRD-PENDING', 'PRODUCT_NOT_CERTIFIED'],
    ['PRD-NONCOMPLIANT-DEV', 'DEVELOPER_NOT_IN_GOOD_STANDING'],
    ['PRD-UNKNOWN', 'PRODUCT_NOT_REGISTERED'],
  ])('refuses %s with %s and no data', async (product, code) => {
    const r = await asProduct(product);
    expect(r.status).toBe(403);
    expect(codesOf(r)).toEqual([code]);
    expect(r.body.data ?? null).toBeNull();
  });

  it('refuses a version below the minimum with PRODUCT_VERSION_UNSUPPORTED', async () => {
    const r = await asProduct('PRD-CERTIFIED', CLIENT_QUERY, { id: 'C-000001' }, { version: '1.9.0' });
    expect([r.status, codesOf(r)]).toEqual([403, ['PRODUCT_VERSION_UNSUPPORTED']]);
  });

  it('gives PRD-LIMITED client data but null + SERVICE_NOT_WHITELISTED for lodgments (and accounts)', async () => {
    const r = await asProduct('PRD-LIMITED');
    expect(r.status).toBe(200);
    expect(r.body.data!.client.name).toEqual(expect.any(String));
    expect(r.body.data!.client.lodgments).toBeNull();
    expect(r.body.data!.client.account).toBeNull();
    const lodgmentError = r.body.errors!.find((e) => e.path?.join('.') === 'client.lodgments');
    expect(lodgmentError?.extensions?.code).toBe('SERVICE_NOT_WHITELISTED');
  });

  it('refuses PRD-OFFSHORE on @onshoreOnly fields and serves the rest', async () => {
    const r = await asProduct('PRD-OFFSHORE');
    expect(r.status).toBe(200);
    expect(r.body.data!.client.name).toEqual(expect.any(String));
    expect(r.body.data!.client.tfnMasked).toBeNull();
    expect(r.body.data!.client.account).toBeNull();
    const byPath = Object.fromEntries(r.body.errors!.map((e) => [e.path!.join('.'), e.extensions!.code]));
    expect(byPath).toEqual({ 'client.tfnMasked': 'DATA_HOSTING_NOT_ONSHORE', 'client.account': 'DATA_HOSTING_NOT_ONSHORE' });
  });

  it('lets only PRD-ENHANCED read restricted data', async () => {
    const q = 'query ($id: ID!) { client(clientId: $id) { id restricted specialInterest { category } } }';
    const enhanced = await sys.gql(q, { token: await sys.boundToken({ product: 'PRD-ENHANCED' }), variables: { id: 'C-000003' } });
    expect(enhanced.body.errors).toBeUndefined();
    expect(enhanced.body.data!.client).toMatchObject({ id: 'C-000003', restricted: true, specialInterest: { category: expect.any(String) } });
    const standard = await asProduct('PRD-CERTIFIED', q, { id: 'C-000003' });
    expect(standard.body.data?.client ?? null).toBeNull();
    expect(codesOf(standard)).toContain('RESTRICTED_DATA');
  });

  it('refuses a client the org is not authorised for with CLIENT_NOT_AUTHORISED', async () => {
    const r = await asProduct('PRD-CERTIFIED', CLIENT_QUERY, { id: 'C-000051' });
    expect([r.status, codesOf(r)]).toEqual([403, ['CLIENT_NOT_AUTHORISED']]);
  });

  it('lets a company read only its own record', async () => {
    const own = await asProduct('PRD-CERTIFIED', 'query ($id: ID!) { client(clientId: $id) { id } }', { id: 'C-000100' }, { org: '98765432122' });
    expect(own.body.data!.client.id).toBe('C-000100');
    const other = await asProduct('PRD-CERTIFIED', 'query ($id: ID!) { client(clientId: $id) { id } }', { id: 'C-000001' }, { org: '98765432122' });
    expect(codesOf(other)).toEqual(['CLIENT_NOT_AUTHORISED']);
  });

  it('plans per caller: two products alternating the same query each get exactly their own fields', async () => {
    const full = await sys.token({ product: 'PRD-CERTIFIED' });
    const limited = await sys.token({ product: 'PRD-LIMITED' });
    for (let i = 0; i < 4; i++) {
      const a = await sys.gql(CLIENT_QUERY, { token: full, variables: { id: 'C-000002' } });
      expect(a.body.errors).toBeUndefined();
      expect(a.body.data!.client.lodgments).not.toBeNull();
      expect(a.body.data!.client.account).not.toBeNull();
      const b = await sys.gql(CLIENT_QUERY, { token: limited, variables: { id: 'C-000002' } });
      expect(b.body.data!.client.lodgments).toBeNull();
      expect(b.body.data!.client.account).toBeNull();
      expect(codesOf(b).sort()).toEqual(['SERVICE_NOT_WHITELISTED', 'SERVICE_NOT_WHITELISTED']);
    }
  });

  it('enforces a suspension made directly in the store within 1 s', async () => {
    const token = await sys.boundToken({ product: 'PRD-ENHANCED' });
    expect((await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } })).status).toBe(200);
    const p = (await sys.store.productById('PRD-ENHANCED'))!;
    const at = new Date().toISOString();
    await sys.store.applyRegistryChange({
      entity: 'PRODUCT',
      expectedRevision: p.revision,
      next: { ...p, status: 'SUSPENDED', suspension: { reason: 'test', since: at, until: null, actor: 'test', resumeStatus: 'CERTIFIED' } },
      note: { action: 'SUSPEND', actor: 'test', reason: 'direct store change', effectiveAt: at },
    });
    const changedAt = Date.now();
    let refusedAfter = Number.POSITIVE_INFINITY;
    while (Date.now() - changedAt < 3000) {
      const r = await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } });
      if (codesOf(r).includes('PRODUCT_SUSPENDED')) {
        refusedAfter = Date.now() - changedAt;
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    // Picked up by the poll loop alone; how fast is a bench figure (bench/micro/suspension-propagation.ts).
    expect(refusedAfter).toBeLessThan(Number.POSITIVE_INFINITY);
  });

  it('refuses a request sent straight to a subgraph without a gateway assertion (401)', async () => {
    for (const sub of Object.values(sys.subgraphs)) {
      const res = await fetch(sub.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(res.status).toBe(401);
      // A client token is not an assertion either.
      const withToken = await fetch(sub.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await sys.token()}` }, body: '{"query":"{ __typename }"}' });
      expect(withToken.status).toBe(401);
    }
  });

  describe('bad tokens: UNAUTHENTICATED or TOKEN_EXPIRED, never a 500', () => {
    let other: { privateKey: CryptoKey; jwk: JWK };
    beforeAll(async () => {
      const pair = await generateKeyPair('ES256', { extractable: true });
      other = { privateKey: pair.privateKey as CryptoKey, jwk: await exportJWK(pair.publicKey) };
    });
    const now = () => Math.floor(Date.now() / 1000);
    const claims = (over: Record<string, unknown> = {}) => ({ iss: 'dsp-dev-issuer', aud: 'dsp-gateway', sub: 'u', iat: now(), exp: now() + 300, software_id: 'PRD-CERTIFIED', software_version: '2.1.0', org: '12345679016', scope: 'clients.read', ...over });
    const signWithIssuer = (c: Record<string, unknown>, header: Record<string, unknown> = {}) => new SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: sys.keys.issuer.kid, ...header }).sign(sys.keys.issuer.privateKey);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

    const cases: Array<[string, () => Promise<string | null>, string]> = [
      ['missing', async () => null, 'UNAUTHENTICATED'],
      ['not a JWT', async () => 'not-a-jwt', 'UNAUTHENTICATED'],
      ['alg none', async () => `${b64({ alg: 'none' })}.${b64(claims())}.`, 'UNAUTHENTICATED'],
      [
        'HS256 signed with the public key',
        async () => {
          const secret = new TextEncoder().encode(JSON.stringify(sys.keys.issuer.publicJwks.keys[0]));
          return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', kid: sys.keys.issuer.kid }).sign(secret);
        },
        'UNAUTHENTICATED',
      ],
      ['unknown kid', async () => signWithIssuer(claims(), { kid: 'no-such-key' }), 'UNAUTHENTICATED'],
      ['signed by another key', async () => new SignJWT(claims()).setProtectedHeader({ alg: 'ES256', kid: sys.keys.issuer.kid }).sign(other.privateKey), 'UNAUTHENTICATED'],
      ['wrong iss', async () => signWithIssuer(claims({ iss: 'someone-else' })), 'UNAUTHENTICATED'],
      ['wrong aud', async () => signWithIssuer(claims({ aud: 'other-api' })), 'UNAUTHENTICATED'],
      ['missing exp', async () => signWithIssuer(claims({ exp: undefined })), 'UNAUTHENTICATED'],
      ['expired', async () => signWithIssuer(claims({ iat: now() - 600, exp: now() - 120 })), 'TOKEN_EXPIRED'],
      ['not yet valid', async () => signWithIssuer(claims({ nbf: now() + 600 })), 'UNAUTHENTICATED'],
      ['lifetime above the maximum', async () => signWithIssuer(claims({ exp: now() + 86_400 })), 'UNAUTHENTICATED'],
      ['oversized (over TOKEN_MAX_BYTES)', async () => signWithIssuer(claims({ pad: 'x'.repeat(9_000) })), 'UNAUTHENTICATED'],
      ['wrong claim types', async () => signWithIssuer(claims({ scope: ['clients.read'], org: 12345679016 })), 'UNAUTHENTICATED'],
    ];
    it.each(cases)('%s', async (_name, make, code) => {
      const token = await make();
      const r = await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } });
      expect(r.status).toBe(401);
      expect(codesOf(r)).toEqual([code]);
      expect(r.body.data ?? null).toBeNull();
    });
  });
});
