/**
 * Issue 19, attacked as an attacker would: certified operations (trusted documents) and DPoP
 * sender-constrained tokens, through real HTTP against the real system. Each case is something a
 * client can send; the assertion is the coded outcome a bug would change (never a 500, never an
 * uncertified document run under ENFORCE, never a proof accepted for another request).
 */
import { createHash, createHmac, generateKeyPairSync, randomUUID, sign as nodeSign } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { DEMO_MANIFEST_DOCUMENTS } from '../../registry/demo-register.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const ath = (t: string) => createHash('sha256').update(t).digest('base64url');
const CERTIFIED = DEMO_MANIFEST_DOCUMENTS[0];
const UNCERTIFIED = '{ client(clientId: "C-000001") { id name tfnMasked } }';
const VARS = { clientId: 'C-000001' };

describe('issue 19 under attack', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    // Batching on: the riskier configuration (each operation of a batch must be judged).
    sys = await startTestSystem({ operationLimits: { allowBatchedRequests: true } });
  });
  afterAll(async () => {
    await sys.close();
  });

  describe('trusted documents (PRD-TRUSTED: ENFORCE)', () => {
    const post = async (body: string, product = 'PRD-TRUSTED') => sys.post(body, { authorization: `Bearer ${await sys.token({ product })}` });
    const get = async (params: string) => {
      const res = await fetch(`${sys.gateway.url}?${params}`, { headers: { authorization: `Bearer ${await sys.token({ product: 'PRD-TRUSTED' })}`, 'apollo-require-preflight': 'true' } });
      return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResult['body'] };
    };
    const q = encodeURIComponent;

    it('judges every operation of a batch: one uncertified operation refuses the batch', async () => {
      for (const batch of [
        [{ query: CERTIFIED, variables: VARS }, { query: UNCERTIFIED }],
        [{ documentId: sha(CERTIFIED), variables: VARS }, { query: UNCERTIFIED }],
      ]) {
        const r = await post(JSON.stringify(batch));
        expect([r.status, codesOf(r)]).toEqual([403, ['OPERATION_NOT_CERTIFIED']]);
      }
    });

    it('records what a refused batch attempted, every operation of it', async () => {
      const r = await post(JSON.stringify([{ query: CERTIFIED, variables: VARS }, { query: UNCERTIFIED }]));
      expect(r.status).toBe(403);
      const requestId = r.headers.get('x-request-id')!;
      const record = (await sys.store.queryAccessLogs({}, { first: 50 })).records.find((x) => x.requestId === requestId)!;
      expect([record.decision, record.manifest?.entry]).toEqual(['DENIED', null]);
      // As for a single refused document: an auditor sees what was attempted, here by both operations.
      expect(record.coordinates).toEqual(expect.arrayContaining(['Client.name', 'Client.tfnMasked']));
    });

    it('answers malformed batch members with a coded 400, never a 500', async () => {
      for (const body of ['[null]', '[1]', '["x"]', '[[{"query":"{ __typename }"}]]', '[]', `[${JSON.stringify({ query: CERTIFIED, variables: VARS })}, null]`]) {
        const r = await post(body);
        expect([body, r.status, codesOf(r)]).toEqual([body, 400, ['BAD_REQUEST']]);
      }
    });

    it('runs what it judged: duplicate JSON keys, a non-string query beside a hash, repeated GET parameters', async () => {
      // JSON.parse keeps the last key, for the judge and for Apollo alike.
      const dup = await post(`{"query": ${JSON.stringify(CERTIFIED)}, "query": ${JSON.stringify(UNCERTIFIED)}, "variables": {"clientId": "C-000001"}}`);
      expect([dup.status, codesOf(dup)]).toEqual([403, ['OPERATION_NOT_CERTIFIED']]);
      // A query that is not a string is replaced by the manifest's document: the certified one runs.
      const arr = await post(JSON.stringify({ query: [UNCERTIFIED], documentId: sha(CERTIFIED), variables: VARS }));
      expect([arr.status, arr.body.data?.client]).toEqual([200, { id: 'C-000001', name: expect.any(String) }]);
      // The first of repeated GET parameters is judged; Apollo refuses a repeated query, and a repeated documentId is dropped with the rest.
      expect(codesOf(await get(`query=${q(UNCERTIFIED)}&query=${q(CERTIFIED)}`))).toEqual(['OPERATION_NOT_CERTIFIED']);
      expect((await get(`query=${q(CERTIFIED)}&query=${q(UNCERTIFIED)}&variables=${q(JSON.stringify(VARS))}`)).status).toBe(400);
      // A GET naming a client is refused for its URL (BAD_USER_INPUT) once Apollo has resolved the
      // operation: its record says which document that was, the certified one.
      const ranCertified = async (r: Awaited<ReturnType<typeof get>>) => {
        const record = (await sys.store.queryAccessLogs({}, { first: 50 })).records.find((x) => x.requestId === r.headers.get('x-request-id'))!;
        return [r.status, codesOf(r), record.manifest?.entry, record.coordinates.includes('Client.name'), record.coordinates.includes('Client.tfnMasked')];
      };
      const twice = await get(`documentId=${sha(CERTIFIED)}&documentId=${sha(UNCERTIFIED)}&variables=${q(JSON.stringify(VARS))}`);
      expect(await ranCertified(twice)).toEqual([400, ['BAD_USER_INPUT'], sha(CERTIFIED), true, false]);
      const extTwice = await get(`extensions=${q(JSON.stringify({ persistedQuery: { sha256Hash: sha(CERTIFIED) } }))}&extensions=%7B%7D&variables=${q(JSON.stringify(VARS))}`);
      expect(await ranCertified(extTwice)).toEqual([400, ['BAD_USER_INPUT'], sha(CERTIFIED), true, false]);
    });

    it('refuses a hash beside another document, an empty query, other extensions, and an uppercase or prefixed-uppercase hash', async () => {
      expect(codesOf(await get(`documentId=${sha(CERTIFIED)}&query=${q(UNCERTIFIED)}`))).toEqual(['BAD_REQUEST']);
      expect(codesOf(await get(`documentId=${sha(CERTIFIED)}&query=`))).toEqual(['BAD_REQUEST']);
      expect(codesOf(await post(JSON.stringify({ query: UNCERTIFIED, extensions: { foo: 1, persistedQuery: null } })))).toEqual(['OPERATION_NOT_CERTIFIED']);
      expect(codesOf(await post(JSON.stringify({ documentId: sha(CERTIFIED).toUpperCase(), variables: VARS })))).toEqual(['BAD_REQUEST']);
      expect(codesOf(await post(JSON.stringify({ documentId: `SHA256:${sha(CERTIFIED)}`, variables: VARS })))).toEqual(['BAD_REQUEST']);
      // A lone surrogate in a comment encodes (UTF-8) like U+FFFD: still another document.
      expect(codesOf(await post(JSON.stringify({ query: `${CERTIFIED}#\ud800`, variables: VARS })))).toEqual(['OPERATION_NOT_CERTIFIED']);
      // __proto__ in the body is an own key to JSON.parse: the certified document (by hash) is what runs.
      const proto = await post(`{"documentId": "${sha(CERTIFIED)}", "variables": {"clientId": "C-000001"}, "__proto__": {"query": ${JSON.stringify(UNCERTIFIED)}}}`);
      expect([proto.status, proto.body.data?.client?.tfnMasked]).toEqual([200, undefined]);
    });

    it('records every operation of a batch: what is recorded is what ran', async () => {
      const batch = [
        { query: 'query A($id: ID!) { client(clientId: $id) { id tfnMasked } }', variables: { id: 'C-000001' } },
        { query: 'query B($id: ID!) { client(clientId: $id) { id name } }', variables: { id: 'C-000002' } },
      ];
      const r = await post(JSON.stringify(batch), 'PRD-CERTIFIED');
      expect(r.status).toBe(200);
      const requestId = r.headers.get('x-request-id')!;
      const record = (await sys.store.queryAccessLogs({}, { first: 50 })).records.find((x) => x.requestId === requestId)!;
      // Both clients read, both fields: an auditor asking "who read C-000001's TFN" must find this record.
      expect(record.clientDigests).toHaveLength(2);
      expect(record.coordinates).toEqual(expect.arrayContaining(['Client.tfnMasked', 'Client.name']));
    });

    it('tells an anonymous caller nothing about manifests', async () => {
      const r = await sys.post(JSON.stringify({ documentId: sha(CERTIFIED) }));
      expect([r.status, codesOf(r)]).toEqual([401, ['UNAUTHENTICATED']]);
      expect(JSON.stringify(r.body)).not.toMatch(/PRD-|manifest/i);
    });
  });

  describe('DPoP (PRD-ENHANCED: bound to the demo key)', () => {
    const BODY = JSON.stringify({ query: '{ __typename }' });
    const send = (headers: Record<string, string>) => sys.post(BODY, headers);
    const problemOf = (r: GraphQLResult) => (r.status === 401 ? (r.body.errors?.[0]?.extensions?.['dpop'] as string) : `served ${r.status}`);
    let token: string;
    let url: string;
    beforeAll(async () => {
      token = await sys.boundToken({ product: 'PRD-ENHANCED' });
      url = sys.gateway.publicUrl;
    });
    const withProof = async (proof: Parameters<TestSystem['dpopHeaders']>[1]) => problemOf(await send(await sys.dpopHeaders(token, proof)));

    it('compares htu after normalisation only: path, slash, port and scheme must match', async () => {
      const port = new URL(url).port;
      expect(await withProof({ htu: `${url}/` })).toBe('proof_htu');
      expect(await withProof({ htu: url.replace('/graphql', '/GRAPHQL') })).toBe('proof_htu');
      expect(await withProof({ htu: url.replace(`:${port}`, ':1') })).toBe('proof_htu');
      expect(await withProof({ htu: url.replace('http:', 'https:') })).toBe('proof_htu');
      expect(await withProof({ htu: url.replace('localhost', '127.0.0.1') })).toBe('proof_htu');
      expect(await withProof({ htu: url.replace('/graphql', '/%67raphql') })).toBe('proof_htu');
      // RFC 9449 §4.3: scheme and host case, query and fragment do not count.
      expect(await withProof({ htu: url.replace('http://localhost', 'HTTP://LOCALHOST') })).toBe('served 200');
      expect(await withProof({ htu: `${url}?a=1#f` })).toBe('served 200');
    });

    it('holds iat to the window and the method to htm', async () => {
      const now = Date.now();
      expect(await withProof({ now: now - 65_000 })).toBe('proof_iat');
      expect(await withProof({ now: now + 65_000 })).toBe('proof_iat');
      expect(await withProof({ htm: 'GET' })).toBe('proof_htm');
      expect(await withProof({ htm: 'post' })).toBe('proof_htm');
    });

    it('names a claim of the wrong type, or an exp/nbf the clock is outside, for what it is (not a bad signature)', async () => {
      const nowS = Math.floor(Date.now() / 1000);
      expect(await withProof({ extraClaims: { iat: String(nowS) } })).toBe('proof_malformed');
      expect(await withProof({ extraClaims: { exp: nowS - 3600 } })).toBe('proof_iat');
      expect(await withProof({ extraClaims: { nbf: nowS + 3600 } })).toBe('proof_iat');
      // An unknown critical header (jose refuses it): malformed, since the signature was never checked.
      const key = sys.demoDpopKey!;
      const input = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, crit: ['foo'], foo: 1 })}.${b64({ jti: randomUUID(), htm: 'POST', htu: url, iat: nowS, ath: ath(token) })}`;
      const sig = Buffer.from(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey as CryptoKey, Buffer.from(input))).toString('base64url');
      expect(problemOf(await send({ authorization: `DPoP ${token}`, dpop: `${input}.${sig}` }))).toBe('proof_malformed');
    });

    it('refuses alg none, HS256 keyed with the public key, and an RSA key under 2048 bits', async () => {
      const jwk = sys.demoDpopKey!.publicJwk;
      const claims = { jti: randomUUID(), htm: 'POST', htu: url, iat: Math.floor(Date.now() / 1000), ath: ath(token) };
      expect(problemOf(await send({ authorization: `DPoP ${token}`, dpop: `${b64({ typ: 'dpop+jwt', alg: 'none', jwk })}.${b64(claims)}.AAAA` }))).toBe('proof_malformed');
      const hs = `${b64({ typ: 'dpop+jwt', alg: 'HS256', jwk })}.${b64(claims)}`;
      expect(problemOf(await send({ authorization: `DPoP ${token}`, dpop: `${hs}.${createHmac('sha256', JSON.stringify(jwk)).update(hs).digest('base64url')}` }))).toBe('proof_malformed');
      // A staff token bound to an RSA-1024 key (staff have no register entry, so any key may be bound).
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
      const { n, e } = publicKey.export({ format: 'jwk' }) as JWK;
      const small = { kty: 'RSA', n, e };
      const staff = await sys.token({ roles: ['ato:admin'], mfa: true, jkt: await calculateJwkThumbprint(small, 'sha256') });
      const input = `${b64({ typ: 'dpop+jwt', alg: 'RS256', jwk: small })}.${b64({ ...claims, jti: randomUUID(), ath: ath(staff) })}`;
      const r = await send({ authorization: `DPoP ${staff}`, dpop: `${input}.${nodeSign('sha256', Buffer.from(input), privateKey).toString('base64url')}` });
      expect([r.status, codesOf(r)]).toEqual([401, ['UNAUTHENTICATED']]);
    });

    it('accepts extra JWK members (kid, use) under the same thumbprint, but no second DPoP value', async () => {
      const jwk = sys.demoDpopKey!.publicJwk;
      expect(await withProof({ extraHeader: { jwk: { ...jwk, kid: 'k', use: 'sig', foo: 'bar' } } })).toBe('served 200');
      const a = (await sys.dpopHeaders(token)).dpop!;
      const b = (await sys.dpopHeaders(token)).dpop!;
      expect(problemOf(await send({ authorization: `DPoP ${token}`, dpop: `${a}, ${b}` }))).toBe('proof_malformed');
    });

    it('refuses a token confirmed by another method only (cnf without jkt): never served as a bearer token', async () => {
      const other = await sys.token({ product: 'PRD-CERTIFIED', extraClaims: { cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } } });
      const r = await send({ authorization: `Bearer ${other}` });
      expect([r.status, codesOf(r)]).toEqual([401, ['UNAUTHENTICATED']]);
    });

    it('refuses a bound staff token outside /graphql, whichever scheme', async () => {
      const staff = await sys.token({ roles: ['ato:admin'], mfa: true, jkt: sys.demoDpopKey!.thumbprint });
      const exportUrl = new URL('/audit/export', url).toString();
      for (const scheme of ['Bearer', 'DPoP']) {
        const res = await fetch(exportUrl, { headers: { authorization: `${scheme} ${staff}`, dpop: (await sys.dpopHeaders(staff, { htm: 'GET', htu: exportUrl })).dpop! } });
        expect([scheme, res.status]).toEqual([scheme, 401]);
      }
    });
  });
});
