/**
 * Sender-constrained tokens (DPoP, RFC 9449) through real HTTP, real tokens, the real gateway,
 * subgraphs and store: PRD-ENHANCED is bound to the demo DPoP key by the demo register.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RateLimiterLike } from 'rate-limiter-flexible';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { signDpopProof, type ProofKey } from '../../gateway/auth/dev-dpop.js';
import { ok, registryApi, type RegistryApi } from '../helpers/registry-api.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

const RESTRICTED_QUERY = 'query ($id: ID!) { client(clientId: $id) { id restricted } }';
const BODY = JSON.stringify({ query: RESTRICTED_QUERY, variables: { id: 'C-000003' } });

describe('DPoP-bound products', () => {
  let sys: TestSystem;
  let api: RegistryApi;
  let thief: ProofKey & { jkt: string };
  beforeAll(async () => {
    sys = await startTestSystem();
    api = registryApi(sys);
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    thief = { alg: 'ES256', privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
  });
  afterAll(async () => {
    await sys.close();
  });

  const bound = () => sys.boundToken({ product: 'PRD-ENHANCED' });
  const send = (headers: Record<string, string>, body = BODY) => sys.post(body, headers);
  const dpopProblem = (r: GraphQLResult) => {
    expect(r.status).toBe(401);
    expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
    expect(r.body.data ?? null).toBeNull();
    expect(r.body.errors![0]!.extensions).toMatchObject({ reason: 'dpop' });
    expect(r.headers.get('www-authenticate')).toMatch(/^DPoP .*algs="ES256 EdDSA RS256 PS256"$/);
    return r.body.errors![0]!.extensions!['dpop'] as string;
  };
  const served = (r: GraphQLResult) => {
    expect([r.status, r.body.errors]).toEqual([200, undefined]);
    expect(r.body.data!['client']).toMatchObject({ id: 'C-000003', restricted: true });
  };

  it('serves the bound product with its token as DPoP and a correct proof', async () => {
    const token = await bound();
    served(await send(await sys.dpopHeaders(token)));
    // A new proof for the next request, same token.
    served(await send(await sys.dpopHeaders(token)));
  });

  it('refuses the bound token without a proof', async () => {
    const token = await bound();
    expect(dpopProblem(await send({ authorization: `DPoP ${token}` }))).toBe('proof_missing');
  });

  it('refuses a proof for another method', async () => {
    const token = await bound();
    expect(dpopProblem(await send(await sys.dpopHeaders(token, { htm: 'GET' })))).toBe('proof_htm');
  });

  it('refuses a proof for another URL', async () => {
    const token = await bound();
    expect(dpopProblem(await send(await sys.dpopHeaders(token, { htu: 'https://another-gateway.example/graphql' })))).toBe('proof_htu');
    expect(dpopProblem(await send(await sys.dpopHeaders(token, { htu: sys.gateway.publicUrl.replace('/graphql', '/other') })))).toBe('proof_htu');
  });

  it('refuses a replayed proof', async () => {
    const headers = await sys.dpopHeaders(await bound());
    served(await send(headers));
    expect(dpopProblem(await send(headers))).toBe('proof_replayed');
  });

  it('refuses a proof signed by another key (a thief holding the token but not the product key)', async () => {
    const token = await bound();
    const proof = await signDpopProof(thief, { htm: 'POST', htu: sys.gateway.publicUrl, accessToken: token });
    expect(dpopProblem(await send({ authorization: `DPoP ${token}`, dpop: proof }))).toBe('proof_key_mismatch');
  });

  it('refuses a token the issuer bound to a key that is not on the register', async () => {
    const token = await sys.boundToken({ product: 'PRD-ENHANCED', jkt: thief.jkt });
    const proof = await signDpopProof(thief, { htm: 'POST', htu: sys.gateway.publicUrl, accessToken: token });
    expect(dpopProblem(await send({ authorization: `DPoP ${token}`, dpop: proof }))).toBe('key_not_registered');
  });

  it('refuses a proof made for another token (ath)', async () => {
    const [token, other] = [await bound(), await bound()];
    const { dpop } = await sys.dpopHeaders(other);
    expect(dpopProblem(await send({ authorization: `DPoP ${token}`, dpop: dpop! }))).toBe('proof_ath');
  });

  it('refuses the bound token presented as Bearer, even with a valid proof', async () => {
    const token = await bound();
    const { dpop } = await sys.dpopHeaders(token);
    expect(dpopProblem(await send({ authorization: `Bearer ${token}`, dpop: dpop! }))).toBe('bound_token_as_bearer');
  });

  it('refuses an unbound Bearer token of the bound product', async () => {
    expect(dpopProblem(await send({ authorization: `Bearer ${await sys.token({ product: 'PRD-ENHANCED' })}` }))).toBe('binding_required');
  });

  it('refuses the DPoP scheme with an unbound token', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    expect(dpopProblem(await send(await sys.dpopHeaders(token)))).toBe('token_not_bound');
  });

  it('keeps serving a product without binding with Bearer (and says Bearer in its challenges)', async () => {
    const r = await sys.gql('query { client(clientId: "C-000001") { id } }', { token: await sys.token({ product: 'PRD-CERTIFIED' }) });
    expect([r.status, r.body.errors, r.body.data]).toEqual([200, undefined, { client: { id: 'C-000001' } }]);
    const refused = await send({ authorization: 'Bearer not-a-token' });
    expect([refused.status, refused.headers.get('www-authenticate')]).toEqual([401, 'Bearer']);
  });

  it('answers 401, never 500, to garbage, huge and repeated DPoP headers', async () => {
    const token = await bound();
    for (const dpop of ['garbage', 'a.b.c', `${'x'.repeat(20_000)}.y.z`, '\u00e9.\u00e9.\u00e9']) {
      expect(dpopProblem(await send({ authorization: `DPoP ${token}`, dpop }))).toBe('proof_malformed');
    }
    // Two DPoP headers: fetch folds them, so send them raw.
    const [one, two] = [(await sys.dpopHeaders(token)).dpop!, (await sys.dpopHeaders(token)).dpop!];
    const url = new URL(sys.gateway.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: ['host', url.host, 'content-type', 'application/json', 'authorization', `DPoP ${token}`, 'dpop', one, 'dpop', two] as unknown as Record<string, string> }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(BODY);
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).errors[0].extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'dpop', dpop: 'proof_ambiguous' });
  });

  it('serves a GET query with a proof for GET and the URL without its query string', async () => {
    const token = await bound();
    // A GET names no client (a client id is not taken in a URL).
    const url = `${sys.gateway.url}?query=${encodeURIComponent('{ serviceStatus { name } }')}`;
    const { dpop } = await signDpopProofFor(sys, token, 'GET');
    const r = await fetch(url, { headers: { authorization: `DPoP ${token}`, dpop, 'apollo-require-preflight': 'true' } });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ data: { serviceStatus: { name: expect.any(String) } } });
    // Without the proof the same GET is refused, so the proof is what served it.
    const bare = await fetch(url, { headers: { authorization: `DPoP ${token}`, 'apollo-require-preflight': 'true' } });
    expect(bare.status).toBe(401);
  });

  it('records the key a served request was bound to, and nothing for a refused one; the chain still verifies', async () => {
    const servedR = await send(await sys.dpopHeaders(await bound()));
    const refusedR = await send({ authorization: `DPoP ${await bound()}` });
    const records = await recordsOf(sys, [servedR.headers.get('x-request-id')!, refusedR.headers.get('x-request-id')!]);
    expect(records[0]).toMatchObject({ decision: 'ALLOWED', dpopJkt: sys.demoDpopKey!.thumbprint, productId: 'PRD-ENHANCED' });
    expect(records[1]).toMatchObject({ decision: 'DENIED', httpStatus: 401 });
    expect(records[1]!.dpopJkt).toBeUndefined();
    const auditor = await sys.token({ roles: ['ato:auditor'], mfa: true });
    // Auditors see it through the audit API.
    const seen = await sys.gql('{ accessLogs(filter: { productId: "PRD-ENHANCED" }, first: 200) { nodes { requestId dpopJkt } } }', { token: auditor });
    const nodes = seen.body.data!['accessLogs'].nodes as Array<{ requestId: string; dpopJkt: string | null }>;
    expect(nodes.find((n) => n.requestId === servedR.headers.get('x-request-id'))).toEqual({ requestId: servedR.headers.get('x-request-id'), dpopJkt: sys.demoDpopKey!.thumbprint });
    expect(nodes.find((n) => n.requestId === refusedR.headers.get('x-request-id'))?.dpopJkt).toBeNull();
    const verify = await sys.gql('query { verifyAccessLogs { ok } }', { token: auditor });
    expect(verify.body.data).toEqual({ verifyAccessLogs: { ok: true } });
  });

  it('requires a proof for a staff token carrying cnf.jkt', async () => {
    const token = await sys.boundToken({ roles: ['ato:auditor'], mfa: true });
    expect(dpopProblem(await sys.post(JSON.stringify({ query: '{ alerts { id } }' }), { authorization: `DPoP ${token}` }))).toBe('proof_missing');
    const r = await sys.post(JSON.stringify({ query: '{ alerts { id } }' }), await sys.dpopHeaders(token));
    expect([r.status, r.body.errors]).toEqual([200, undefined]);
  });

  describe('the binding on the register', () => {
    const SET = `mutation ($id: ID!, $rev: Int!, $required: Boolean!, $thumbprints: [String!]!) {
      setKeyBinding(productId: $id, expectedRevision: $rev, required: $required, thumbprints: $thumbprints, reason: "Bind tokens to the product key", ticket: "CHG-19") { keyBinding { required thumbprints } revision }
    }`;

    it('refuses a malformed thumbprint with BAD_USER_INPUT naming it, and a developer staff caller', async () => {
      const rev = await api.revisionOf('product', 'PRD-LIMITED');
      const bad = await api.admin(SET, { id: 'PRD-LIMITED', rev, required: true, thumbprints: ['not-a-thumbprint'] });
      expect([bad.status, codesOf(bad)]).toEqual([400, ['BAD_USER_INPUT']]);
      expect(bad.body.errors![0]!.extensions).toMatchObject({ field: 'thumbprints.0' });
      const staff = await api.developerStaff('DEV-GOOD', SET, { id: 'PRD-LIMITED', rev, required: true, thumbprints: [thief.jkt] });
      expect(codesOf(staff)).toEqual(['ROLE_REQUIRED']);
      expect(await api.revisionOf('product', 'PRD-LIMITED')).toBe(rev);
    });

    it('takes effect at once when the admin binds a product, and is in its history; removing it restores Bearer', async () => {
      const bearer = await sys.token({ product: 'PRD-LIMITED', scope: 'clients.read' });
      const query = 'query { client(clientId: "C-000001") { id } }';
      expect((await sys.gql(query, { token: bearer })).status).toBe(200);

      const rev = await api.revisionOf('product', 'PRD-LIMITED');
      const set = ok(await api.admin(SET, { id: 'PRD-LIMITED', rev, required: true, thumbprints: [thief.jkt] })).setKeyBinding;
      expect(set.keyBinding).toEqual({ required: true, thumbprints: [thief.jkt] });
      await api.synced();
      expect(dpopProblem(await sys.gql(query, { token: bearer }))).toBe('binding_required');
      // The product's own key now serves it.
      const token = await sys.boundToken({ product: 'PRD-LIMITED', scope: 'clients.read', jkt: thief.jkt });
      const proof = await signDpopProof(thief, { htm: 'POST', htu: sys.gateway.publicUrl, accessToken: token });
      const r = await sys.post(JSON.stringify({ query }), { authorization: `DPoP ${token}`, dpop: proof });
      expect([r.status, r.body.errors]).toEqual([200, undefined]);

      const history = ok(await api.admin('query { productHistory(productId: "PRD-LIMITED") { action actor reason ticket afterJson } }')).productHistory as Array<Record<string, string>>;
      const entry = history.find((h) => h['action'] === 'setKeyBinding')!;
      expect(entry).toMatchObject({ actor: 'admin-alice (ato:admin)', reason: 'Bind tokens to the product key', ticket: 'CHG-19' });
      expect(JSON.parse(entry['afterJson']!).keyBinding).toEqual({ required: true, thumbprints: [thief.jkt] });

      ok(await api.admin(SET, { id: 'PRD-LIMITED', rev: set.revision, required: false, thumbprints: [] }));
      await api.synced();
      expect((await sys.gql(query, { token: bearer })).status).toBe(200);
    });
  });
});

describe('two gateway instances on one store (behind one public address)', () => {
  let sys: TestSystem;
  let second: RunningGateway;
  const PUBLIC = 'https://api.example.gov.au/graphql';
  beforeAll(async () => {
    sys = await startTestSystem({ publicUrl: PUBLIC });
    second = await startGateway({ config: { ...sys.config, instanceId: 'test-gw-2' }, store: sys.store, keys: sys.keys, logger: sys.logger });
  });
  afterAll(async () => {
    await second.close();
    await sys.close();
  });

  it('refuses on one instance a proof the other accepted (the jti is shared through the store)', async () => {
    expect([sys.gateway.publicUrl, second.publicUrl]).toEqual([PUBLIC, PUBLIC]);
    const headers = await sys.dpopHeaders(await sys.boundToken({ product: 'PRD-ENHANCED' }));
    const first = await sys.post(BODY, headers);
    expect([first.status, first.body.errors]).toEqual([200, undefined]);
    const res = await fetch(second.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: BODY });
    const body = (await res.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
    expect([res.status, body.errors?.[0]?.extensions?.['dpop']]).toEqual([401, 'proof_replayed']);
    // A fresh proof is served by the second instance too.
    const fresh = await fetch(second.url, { method: 'POST', headers: { 'content-type': 'application/json', ...(await sys.dpopHeaders(headers.authorization!.slice('DPoP '.length))) }, body: BODY });
    expect(fresh.status).toBe(200);
  });
});

describe('when the store holding seen proofs cannot answer', () => {
  let sys: TestSystem;
  let inner: Store;
  let dir: string;
  const replayStore = { down: false };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dsp-dpop-down-'));
    inner = await createStore(`sqlite:${join(dir, 'dsp.db')}`, { sqliteSync: 'normal' });
    // The same store, except that the DPoP replay cache's counters fail while `down`.
    const store = new Proxy(inner, {
      get(target, property) {
        if (property !== 'createRateLimiter') {
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (spec: Parameters<Store['createRateLimiter']>[0]): RateLimiterLike => {
          const real = target.createRateLimiter(spec);
          if (spec.keyPrefix !== 'dpop-jti') return real;
          return new Proxy(real, { get: (t, p) => (p === 'consume' ? (key: string, points?: number) => (replayStore.down ? Promise.reject(new Error('store down')) : t.consume(key, points)) : Reflect.get(t, p, t)) });
        };
      },
    });
    sys = await startTestSystem({}, { store });
  });
  afterAll(async () => {
    await sys.close();
    await inner.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses requests with proofs (AUTH_PROVIDER_UNAVAILABLE, 503) rather than forget which were used, and serves Bearer products meanwhile', async () => {
    const token = await sys.boundToken({ product: 'PRD-ENHANCED' });
    replayStore.down = true;
    const refused = await sys.post(BODY, await sys.dpopHeaders(token));
    expect([refused.status, codesOf(refused), refused.body.errors![0]!.extensions!['reason']]).toEqual([503, ['AUTH_PROVIDER_UNAVAILABLE'], 'dpop_replay_cache']);
    const bearer = await sys.gql('query { client(clientId: "C-000001") { id } }', { token: await sys.token({ product: 'PRD-CERTIFIED' }) });
    expect(bearer.status).toBe(200);
    replayStore.down = false;
    const served = await sys.post(BODY, await sys.dpopHeaders(token));
    expect([served.status, served.body.errors]).toEqual([200, undefined]);
  });
});

async function signDpopProofFor(sys: TestSystem, token: string, htm: string): Promise<{ dpop: string }> {
  return { dpop: await signDpopProof(sys.demoDpopKey!, { htm, htu: sys.gateway.publicUrl, accessToken: token }) };
}

/** The access records of the given requests, in that order (waiting for the group commit). */
async function recordsOf(sys: TestSystem, requestIds: string[]): Promise<Array<Record<string, any>>> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const page = await sys.store.queryAccessLogs({}, { first: 200 });
    const byId = new Map(page.records.map((r) => [r.requestId, r as unknown as Record<string, any>]));
    if (requestIds.every((id) => byId.has(id)) || Date.now() > deadline) return requestIds.map((id) => byId.get(id)!);
    await new Promise((r) => setTimeout(r, 20));
  }
}
