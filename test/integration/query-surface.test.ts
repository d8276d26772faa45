/**
 * Review s19b: what the /graphql path tells a product about the gateway's insides, and which
 * requests skip the checks before parsing. Real system, real HTTP.
 */
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

describe('review s19b: /graphql surface', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ operationLimits: { maxDocumentBytes: 2000, maxTokens: 500 } });
  });
  afterAll(async () => {
    await sys.close();
  });

  const get = async (query: string): Promise<GraphQLResult> => {
    const res = await fetch(`${sys.gateway.url}?query=${encodeURIComponent(query)}`, {
      headers: { authorization: `Bearer ${await sys.token({ product: 'PRD-CERTIFIED' })}`, 'apollo-require-preflight': 'true' },
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
});
