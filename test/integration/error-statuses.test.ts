/**
 * docs/errors.md is the contract: every code a client can cause is produced here by a real
 * request through the real system, and the HTTP status it arrives with is compared with the
 * documented one. Codes that only a failing dependency or a bug produces are listed with the
 * reason; the ones a fault can be injected for cheaply are produced that way too.
 */
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, type ErrorCode } from '../../core/errors.js';
import { abnFromNumber } from '../../core/ids.js';
import { developer } from '../helpers/registry.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]! as ErrorCode, Number(m[2])]));

/** Codes no client request can cause, and how (or whether) they are covered instead. */
const NOT_CLIENT_CAUSED: Partial<Record<ErrorCode, string>> = {
  AUTH_PROVIDER_UNAVAILABLE: 'the issuer JWKS URL is down (test/unit/gateway/auth/authenticator.test.ts, key sources)',
  AUDIT_UNAVAILABLE: 'the access-log store is down and the buffer full (test/integration/access-log-fail-closed.test.ts)',
  INTERNAL_SERVER_ERROR: 'a bug; masked (test/unit/gateway/enforcement/filtering-gateway.test.ts keeps bugs from becoming 4xx)',
};

/** Codes a client causes that a request through the system cannot produce cheaply, and where their answer is tested. */
const TESTED_ELSEWHERE: Partial<Record<ErrorCode, string>> = {
  REQUEST_TIMEOUT: 'a request trickled in for 30 s of real time; the answer to Node\'s timeout event is tested in test/unit/core/http-errors.test.ts',
};

interface Raw {
  status: number;
  body: GraphQLResult['body'];
}

/** A raw HTTP request (repeated headers survive, unlike fetch's Headers). */
function raw(url: string, headers: Array<[string, string]>, body: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as GraphQLResult['body'] }));
    });
    req.on('error', reject);
    for (const [name, value] of headers) req.appendHeader(name, value);
    req.end(body);
  });
}

const CLIENT_QUERY = '{ client(clientId: "C-000001") { id name } }';
const PRACTITIONER = '12345679016';

describe('every documented status, produced by a real request', () => {
  const clock = { now: Date.now() };
  let sys: TestSystem;
  let reject: TestSystem;
  const product = (id: string, extra: Record<string, unknown> = {}) => sys.token({ product: id, now: clock.now, ...extra });
  const admin = () => sys.token({ roles: ['ato:admin'], mfa: true, now: clock.now });
  const gql = async (query: string, token: Promise<string> | string | null, variables?: Record<string, unknown>) => sys.gql(query, { token: await token, ...(variables ? { variables } : {}) });
  const revisionOf = async (id: string) => (await gql(`query ($id: ID!) { product(id: $id) { revision } }`, admin(), { id })).body.data!.product.revision as number;

  beforeAll(async () => {
    sys = await startTestSystem({ rateLimits: { staff: { points: 10_000, duration: 1 }, anonymous: { points: 60, duration: 60 } } }, { now: () => clock.now });
    reject = await startTestSystem({ enforcement: { fieldDenial: 'reject' } });
  });
  afterAll(async () => {
    await Promise.all([sys.close(), reject.close()]);
  });

  const producers: Partial<Record<ErrorCode, () => Promise<Raw>>> = {
    UNAUTHENTICATED: () => gql(CLIENT_QUERY, null),
    TOKEN_EXPIRED: () => gql(CLIENT_QUERY, sys.token({ product: 'PRD-CERTIFIED', now: clock.now - 7_200_000, ttlS: 600 })),
    PRODUCT_NOT_REGISTERED: () => gql(CLIENT_QUERY, product('PRD-NOBODY')),
    DEVELOPER_NOT_IN_GOOD_STANDING: () => gql(CLIENT_QUERY, product('PRD-NONCOMPLIANT-DEV')),
    PRODUCT_REVOKED: async () => {
      const revoked = await gql(`mutation ($r: Int!) { revokeProduct(productId: "PRD-OFFSHORE", expectedRevision: $r, reason: "Status table test") { status } }`, admin(), { r: await revisionOf('PRD-OFFSHORE') });
      expect(revoked.body.data?.revokeProduct?.status).toBe('REVOKED');
      await sys.gateway.snapshot.refresh();
      return gql(CLIENT_QUERY, product('PRD-OFFSHORE'));
    },
    PRODUCT_SUSPENDED: () => gql(CLIENT_QUERY, product('PRD-SUSPENDED')),
    PRODUCT_NOT_CERTIFIED: () => gql(CLIENT_QUERY, product('PRD-PENDING')),
    CERTIFICATION_EXPIRED: () => gql(CLIENT_QUERY, product('PRD-EXPIRED')),
    PRODUCT_VERSION_UNSUPPORTED: () => gql(CLIENT_QUERY, product('PRD-CERTIFIED', { version: '1.0.0' })),
    // Field-level codes arrive with 403 when the whole operation is refused.
    SERVICE_NOT_WHITELISTED: async () => reject.gql('{ client(clientId: "C-000001") { id lodgments { period } } }', { token: await reject.token({ product: 'PRD-LIMITED' }) }),
    SCOPE_NOT_GRANTED: () => gql(CLIENT_QUERY, product('PRD-CERTIFIED', { scope: 'lodgments.read' })),
    CLIENT_NOT_AUTHORISED: () => gql('{ client(clientId: "C-000077") { id } }', product('PRD-CERTIFIED')),
    RESTRICTED_DATA: () => gql('{ client(clientId: "C-000003") { id name } }', product('PRD-CERTIFIED', { org: PRACTITIONER })),
    DATA_HOSTING_NOT_ONSHORE: async () => reject.gql('{ client(clientId: "C-000001") { id tfnMasked } }', { token: await reject.token({ product: 'PRD-OFFSHORE' }) }),
    ROLE_REQUIRED: () => gql('{ accessLogChains { chainId } }', product('PRD-CERTIFIED')),
    MFA_REQUIRED: () => gql('{ accessLogChains { chainId } }', sys.token({ roles: ['ato:auditor'], mfa: false, now: clock.now })),
    FORBIDDEN: () => gql('{ product(id: "PRD-NONCOMPLIANT-DEV") { id } }', sys.token({ roles: ['dsp:developer'], developer: 'DEV-GOOD', mfa: true, now: clock.now })),
    RATE_LIMITED: async () => {
      // The anonymous (per source IP) quota: 60 a minute in this system. Every earlier refusal
      // counted on it too, so the loop runs until it is spent.
      let last: Raw | null = null;
      for (let i = 0; i < 80; i++) {
        last = await gql(CLIENT_QUERY, null);
        if (last.status === 429) break;
      }
      return last!;
    },
    OPERATION_LIMIT_EXCEEDED: () => gql(`{ ${Array.from({ length: 11 }, (_, i) => `s${i}: serviceStatus { status }`).join(' ')} }`, product('PRD-CERTIFIED')),
    BAD_REQUEST: async () => sys.post('{not json', { authorization: `Bearer ${await product('PRD-CERTIFIED')}` }),
    METHOD_NOT_ALLOWED: async () => {
      const res = await fetch(sys.gateway.url, { method: 'PUT', headers: { authorization: `Bearer ${await product('PRD-CERTIFIED')}` }, body: '{}' });
      return { status: res.status, body: (await res.json()) as GraphQLResult['body'] };
    },
    PAYLOAD_TOO_LARGE: async () => sys.post(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(300_000)}` }), { authorization: `Bearer ${await product('PRD-CERTIFIED')}` }),
    REQUEST_HEADER_FIELDS_TOO_LARGE: () => raw(sys.gateway.url, [['content-type', 'application/json'], ['x-padding', 'x'.repeat(40_000)]], JSON.stringify({ query: CLIENT_QUERY })),
    GRAPHQL_PARSE_FAILED: () => gql('{ client(clientId: "C-000001") {', product('PRD-CERTIFIED')),
    GRAPHQL_VALIDATION_FAILED: () => gql('subscription S { __typename }', product('PRD-CERTIFIED')),
    // A registry subgraph's refusal of the input (the only root field failed).
    BAD_USER_INPUT: () => gql(`mutation { grantClientAuthorisation(org: "123", clientId: "C-000001", reason: "Status table test") { org } }`, admin()),
    OPERATION_RESOLUTION_FAILURE: async () => sys.post(JSON.stringify({ query: 'query A { __typename } query B { __typename }', operationName: 'C' }), { authorization: `Bearer ${await product('PRD-CERTIFIED')}` }),
    PERSISTED_QUERY_NOT_FOUND: async () => sys.post(JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }), { authorization: `Bearer ${await product('PRD-CERTIFIED')}` }),
    OPERATION_NOT_CERTIFIED: async () => sys.post(JSON.stringify({ query: '{ client(clientId: "C-000001") { id } }' }), { authorization: `Bearer ${await product('PRD-TRUSTED')}` }),
    NOT_FOUND: () => gql(`mutation { suspendProduct(productId: "PRD-NOBODY", expectedRevision: 1, reason: "Status table test") { status } }`, admin()),
    ILLEGAL_TRANSITION: async () => gql(`mutation ($r: Int!) { reinstateProduct(productId: "PRD-CERTIFIED", expectedRevision: $r, reason: "Status table test") { status } }`, admin(), { r: await revisionOf('PRD-CERTIFIED') }),
    REVISION_CONFLICT: async () => gql(`mutation ($r: Int!) { suspendProduct(productId: "PRD-ENHANCED", expectedRevision: $r, reason: "Status table test") { status } }`, admin(), { r: (await revisionOf('PRD-ENHANCED')) - 1 }),
    ELIGIBILITY_FAILED: async () => {
      // Two pending applications under one ABN (the second made by another registry process at
      // the same moment, written here straight to the store); once one is approved, approving
      // the other fails the ABN check.
      const abn = abnFromNumber(777_777);
      const first = (await gql(`mutation { registerDeveloper(input: { abn: "${abn}", legalName: "First Applicant Pty Ltd", contact: { name: "Lee", email: "lee@example.com" }, roles: [DEVELOPER], declarationsAccepted: true, taxObligationsCurrent: true }) { id revision status } }`, admin())).body.data!.registerDeveloper as { id: string; revision: number; status: string };
      expect(first.status).toBe('PENDING');
      const twin = developer({ id: 'DEV-TWIN', abn, status: 'PENDING', legalName: 'Second Applicant Pty Ltd' });
      const { revision } = await sys.store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: twin, note: { action: 'registerDeveloper', actor: 'dev-twin', reason: 'Developer registration', effectiveAt: new Date(clock.now).toISOString() } });
      const approve = (id: string, r: number) => gql(`mutation ($id: ID!, $r: Int!) { approveDeveloper(developerId: $id, expectedRevision: $r, reason: "Checks passed") { status } }`, admin(), { id, r });
      expect((await approve(first.id, first.revision)).body.data?.approveDeveloper?.status).toBe('ACTIVE');
      return approve('DEV-TWIN', revision);
    },
    REGISTRY_UNAVAILABLE: async () => {
      // The register has not answered for longer than the staleness bound (30 s): fail closed.
      // The poll loop is stopped so that no poll lands between the clock's move and the request.
      sys.gateway.snapshot.stop();
      clock.now += 31_000;
      try {
        return await gql(CLIENT_QUERY, product('PRD-CERTIFIED'));
      } finally {
        await sys.gateway.snapshot.start();
      }
    },
    SUBGRAPH_UNAVAILABLE: async () => {
      await reject.subgraphs.clients.close();
      const r = await reject.gql(CLIENT_QUERY, { token: await reject.token({ product: 'PRD-CERTIFIED' }) });
      return r;
    },
  };

  it('has a producer (or a stated reason) for every documented code, and documents every code', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    const uncovered = [...documented.keys()].filter((code) => !producers[code] && !NOT_CLIENT_CAUSED[code] && !TESTED_ELSEWHERE[code]);
    expect(uncovered).toEqual([]);
  });

  it('refuses two Authorization headers (valid then forged) with 401 UNAUTHENTICATED, reason ambiguous', async () => {
    const valid = `Bearer ${await product('PRD-CERTIFIED')}`;
    const forged = `Bearer ${(await product('PRD-ENHANCED')).slice(0, -4)}AAAA`;
    for (const pair of [[valid, forged], [forged, valid], [valid, valid]]) {
      const r = await raw(sys.gateway.url, [['content-type', 'application/json'], ['authorization', pair[0]!], ['authorization', pair[1]!]], JSON.stringify({ query: CLIENT_QUERY }));
      expect([r.status, codesOf(r as GraphQLResult), r.body.errors?.[0]?.extensions?.reason, r.body.data ?? null]).toEqual([401, ['UNAUTHENTICATED'], 'ambiguous', null]);
    }
  });
  it('refuses an alias beginning with "__" at validation (session 33\'s second review)', async () => {
    // Before: `__typename: name` failed @apollo/gateway's own __typename check, answered as a subgraph failure (502).
    for (const query of ['{ client(clientId: "C-000001") { __typename: name id } }', '{ client(clientId: "C-000001") { id lodgments(first: 1) { __x: period } } }']) {
      const r = await gql(query, product('PRD-CERTIFIED'));
      expect([r.status, codesOf(r as GraphQLResult)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
      expect(r.body.errors?.[0]?.message).toMatch(/^The alias "__\w+" begins with "__", which GraphQL reserves for its own names; rename it\.$/);
    }
    const plain = await gql('{ client(clientId: "C-000001") { __typename t: __typename n: name } }', product('PRD-CERTIFIED'));
    expect([plain.status, plain.body.errors]).toEqual([200, undefined]);
  });
  it('refuses a variable named $representations, which the gateway\'s entity fetches use, at validation (review s18a F5)', async () => {
    // Before: lodgments came from an entity fetch, which failed, and the answer was INTERNAL_SERVER_ERROR.
    const r = await gql('query Q($representations: Int) { client(clientId: "C-000001") { id lodgments(first: $representations) { period } } }', product('PRD-CERTIFIED'), { representations: 2 });
    expect([r.status, codesOf(r as GraphQLResult), r.body.errors?.[0]?.message]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED'], 'The variable name "$representations" is reserved by the gateway; rename the variable.']);
    const renamed = await gql('query Q($first: Int) { client(clientId: "C-000001") { id lodgments(first: $first) { period } } }', product('PRD-CERTIFIED'), { first: 2 });
    expect([renamed.status, renamed.body.errors]).toEqual([200, undefined]);
  });

  // Order matters only for RATE_LIMITED (runs after the other refusals have used the IP quota)
  // and the two that break a system (REGISTRY_UNAVAILABLE moves the clock; SUBGRAPH_UNAVAILABLE
  // closes a subgraph of the second system), which run last.
  const LAST: ErrorCode[] = ['RATE_LIMITED', 'REGISTRY_UNAVAILABLE', 'SUBGRAPH_UNAVAILABLE'];
  const ordered = [...(Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => !LAST.includes(c)), ...LAST].filter((c) => producers[c]);

  it.each(ordered)('%s arrives with its documented status', async (code) => {
    const r = await producers[code]!();
    expect({ code, status: r.status, codes: codesOf(r as GraphQLResult) }).toEqual({ code, status: documented.get(code), codes: expect.arrayContaining([code]) });
  });

});
