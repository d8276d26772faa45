/**
 * Review s19b: what the /graphql path tells a product about the gateway's insides, and which
 * requests skip the checks before parsing. Real system, real HTTP.
 */
import { clientDigest } from '../../audit/digest.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

describe('review s19b: /graphql surface', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ operationLimits: { maxDocumentBytes: 2000, maxTokens: 500 } });
  });
  afterAll(async () => {
    await sys.close();
  });

  const get = async (query: string, options: { variables?: Record<string, unknown>; token?: string } = {}): Promise<GraphQLResult> => {
    const search = new URLSearchParams({ query, ...(options.variables ? { variables: JSON.stringify(options.variables) } : {}) });
    const res = await fetch(`${sys.gateway.url}?${search}`, {
      headers: { authorization: `Bearer ${options.token ?? (await sys.token({ product: 'PRD-CERTIFIED' }))}`, 'apollo-require-preflight': 'true' },
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResult['body'] };
  };

  // F1: @apollo/gateway answers its Apollo-Query-Plan-Experimental header with the query plan
  // (which subgraph serves which field, the subgraph operations) unless NODE_ENV is production.
  it('never hands a product the query plan (subgraph names, the subgraph operations)', async () => {
    const token = await sys.token({ product: 'PRD-OFFSHORE' });
    for (const format of ['prettified', 'internal']) {
      const r = await sys.gql('{ client(clientId: "C-000001") { id name tfnMasked account { balance } } }', {
        token,
        headers: { 'apollo-query-plan-experimental': '1', 'apollo-query-plan-experimental-format': format },
      });
      expect(r.status).toBe(200);
      expect(r.body.data?.client?.name).toEqual(expect.any(String));
      expect(JSON.stringify(r.body)).not.toMatch(/queryPlan|Fetch\(service|serviceName/i);
      expect((r.body as { extensions?: unknown }).extensions).toBeUndefined();
    }
  });

  // F2: the pre-parse stage reads the document from a POST body only; a GET's query string
  // reaches Apollo's parser unchecked.
  it('holds a GET document to the size limit before parsing, as a POST', async () => {
    const big = `{ client(clientId: "C-000001") { id } ${'#'.repeat(3000)}\n}`;
    const post = await sys.gql(big, { token: await sys.token({ product: 'PRD-CERTIFIED' }) });
    expect([post.status, codesOf(post), post.body.errors?.[0]?.extensions?.limit]).toEqual([400, ['OPERATION_LIMIT_EXCEEDED'], 'DOCUMENT_BYTES']);
    const r = await get(big);
    expect([r.status, codesOf(r), r.body.errors?.[0]?.extensions?.limit]).toEqual([400, ['OPERATION_LIMIT_EXCEEDED'], 'DOCUMENT_BYTES']);
    expect(r.body.data).toBeUndefined();
  });

  it('refuses a GET document with too many tokens as OPERATION_LIMIT_EXCEEDED (TOKENS), as a POST', async () => {
    const many = `{ client(clientId: "C-000001") { ${'id '.repeat(600)}} }`;
    const post = await sys.gql(many, { token: await sys.token({ product: 'PRD-CERTIFIED' }) });
    expect([post.status, codesOf(post), post.body.errors?.[0]?.extensions?.limit]).toEqual([400, ['OPERATION_LIMIT_EXCEEDED'], 'TOKENS']);
    const r = await get(many);
    expect([r.status, codesOf(r), r.body.errors?.[0]?.extensions?.limit]).toEqual([400, ['OPERATION_LIMIT_EXCEEDED'], 'TOKENS']);
  });

  // A client id may be a TFN; a GET's URL is kept by browsers and logged by proxies.
  describe('a client id in a URL', () => {
    const refused = (r: GraphQLResult) => [r.status, codesOf(r), r.body.errors?.[0]?.extensions?.argument, r.body.data ?? null];

    it('refuses a GET that names a client, in its document or in its variables, and serves it by POST', async () => {
      const literal = '{ client(clientId: "C-000001") { id name } }';
      expect(refused(await get(literal))).toEqual([400, ['BAD_USER_INPUT'], 'clientId', null]);
      const byVariable = 'query One($c: ID!) { client(clientId: $c) { id name } }';
      expect(refused(await get(byVariable, { variables: { c: 'C-000001' } }))).toEqual([400, ['BAD_USER_INPUT'], 'clientId', null]);
      const inFragment = 'query { ...F } fragment F on Query { client(clientId: "C-000001") { id } }';
      expect(refused(await get(inFragment))).toEqual([400, ['BAD_USER_INPUT'], 'clientId', null]);
      const post = await sys.gql(byVariable, { token: await sys.token({ product: 'PRD-CERTIFIED' }), variables: { c: 'C-000001' } });
      expect([post.status, post.body.data?.client?.id]).toEqual([200, 'C-000001']);
    });

    it('refuses an auditor\'s GET filtering the access log by client, in an input object or its variables', async () => {
      const token = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'url-auditor' });
      expect(refused(await get('{ accessLogs(filter: { clientId: "C-000001" }, first: 1) { totalCount } }', { token }))).toEqual([400, ['BAD_USER_INPUT'], 'clientId', null]);
      const q = 'query Count($f: AccessLogFilterInput) { accessLogs(filter: $f, first: 1) { totalCount } }';
      expect(refused(await get(q, { token, variables: { f: { clientId: 'C-000001' } } }))).toEqual([400, ['BAD_USER_INPUT'], 'clientId', null]);
      // Any other filter by GET is served.
      const other = await get(q, { token, variables: { f: { decision: 'DENIED' } } });
      expect([other.status, typeof other.body.data?.accessLogs?.totalCount]).toEqual([200, 'number']);
    });

    it('serves a GET that names no client, and records the refused one with the client\'s digest', async () => {
      const open = await get('{ serviceStatus { name } }');
      expect([open.status, typeof open.body.data?.serviceStatus?.name]).toEqual([200, 'string']);
      const res = await fetch(`${sys.gateway.url}?${new URLSearchParams({ query: '{ client(clientId: "C-000002") { id } }' })}`, {
        headers: { authorization: `Bearer ${await sys.token({ product: 'PRD-CERTIFIED' })}`, 'apollo-require-preflight': 'true' },
      });
      expect(res.status).toBe(400);
      const requestId = res.headers.get('x-request-id');
      expect(requestId).toEqual(expect.any(String));
      const record = (await sys.store.queryAccessLogs({}, { first: 100 })).records.find((x) => x.requestId === requestId)!;
      expect([record.httpStatus, record.errorCodes, record.clientDigests]).toEqual([400, ['BAD_USER_INPUT'], [clientDigest(sys.keys.hmacKey, 'C-000002')]]);
    });
  });
});
