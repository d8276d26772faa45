/**
 * Batching (ALLOW_BATCHED_REQUESTS) and field filtering: every operation of a batch is decided and
 * filtered on its own. Apollo runs a batch's operations concurrently, each with a shallow clone of
 * one context; the filtered document each one plans must be its own, whatever the other decided.
 * The operations below share a document and differ only in the client id their variables name,
 * so a decision, a filtered document or a plan shared between them would show here: a client the
 * org may not act for served in full (a leak), or one it may act for withheld (a suppression).
 */
import { startTestSystem, type TestSystem } from '../helpers/system.js';

let sys: TestSystem;

beforeAll(async () => {
  sys = await startTestSystem({ operationLimits: { allowBatchedRequests: true } });
});
afterAll(async () => {
  await sys.close();
});

/** The demo practitioner (the default product token's org) may act for C-000001…C-000050 only. */
const AUTHORISED = 'C-000001';
const NOT_AUTHORISED = 'C-000099';

interface OperationResult {
  data?: { serviceStatus?: { name: string } | null; c?: { id: string; name: string } | null } | null;
  errors?: Array<{ path?: Array<string | number>; extensions?: { code?: string } }>;
}

async function batch(operationName: string, clientIds: string[]): Promise<{ status: number; results: OperationResult[]; requestId: string }> {
  const query = `query ${operationName}($id: ID!) { serviceStatus { name } c: client(clientId: $id) { id name } }`;
  const token = await sys.token();
  const res = await fetch(sys.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(clientIds.map((id) => ({ query, operationName, variables: { id } }))),
  });
  return { status: res.status, results: (await res.json()) as OperationResult[], requestId: res.headers.get('x-request-id')! };
}

/** What one operation was served: the client it read, or the code it was refused with at `c`. */
function servedOf(r: OperationResult): string {
  if (r.data?.c) return r.data.c.id;
  const refusal = r.errors?.find((e) => e.path?.[0] === 'c');
  return `refused ${refusal?.extensions?.code ?? '(none)'}${r.data?.serviceStatus ? ' (rest served)' : ''}`;
}

describe('a batch\'s operations are filtered one by one', () => {
  it.each([
    ['AuthorisedFirst', [AUTHORISED, NOT_AUTHORISED]],
    ['RefusedFirst', [NOT_AUTHORISED, AUTHORISED]],
    ['RefusedBetween', [AUTHORISED, NOT_AUTHORISED, AUTHORISED]],
  ])('%s: each operation gets its own decision, in either order', async (name, ids) => {
    const { status, results } = await batch(name, ids);
    expect(status).toBe(200);
    expect(results.map(servedOf)).toEqual(ids.map((id) => (id === AUTHORISED ? AUTHORISED : 'refused CLIENT_NOT_AUTHORISED (rest served)')));
  });

  it('the same batch, decided from the caches, still decides per operation', async () => {
    // Warm: both decisions (and both filtered plans) are cached after the first run.
    await batch('Warm', [AUTHORISED, NOT_AUTHORISED]);
    for (const ids of [[NOT_AUTHORISED, AUTHORISED], [AUTHORISED, NOT_AUTHORISED]]) {
      const { results } = await batch('Warm', ids);
      expect(results.map(servedOf)).toEqual(ids.map((id) => (id === AUTHORISED ? AUTHORISED : 'refused CLIENT_NOT_AUTHORISED (rest served)')));
    }
  });

  it('records the batch as partial, with the refusal and both clients', async () => {
    const { requestId } = await batch('Recorded', [AUTHORISED, NOT_AUTHORISED]);
    const record = (await sys.store.queryAccessLogs({}, { first: 100 })).records.find((x) => x.requestId === requestId)!;
    expect(record.decision).toBe('PARTIAL');
    expect(record.reasons).toEqual([expect.objectContaining({ code: 'CLIENT_NOT_AUTHORISED', coordinate: 'Query.client' })]);
    expect(record.clientDigests).toHaveLength(2);
  });

  it('records a batch whose one operation is refused whole as PARTIAL when another\'s data was served, DENIED when none was', async () => {
    // Only the client at the root: a refused client leaves nothing, so that operation is refused
    // whole (403), and Apollo gives a batch one HTTP status, so the answer is a 403 that carries
    // the other operation's data.
    const query = 'query Whole($id: ID!) { client(clientId: $id) { id name } }';
    const send = async (ids: string[]) => {
      const res = await fetch(sys.gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await sys.token()}` },
        body: JSON.stringify(ids.map((id) => ({ query, variables: { id } }))),
      });
      const results = (await res.json()) as OperationResult[];
      const requestId = res.headers.get('x-request-id')!;
      const record = (await sys.store.queryAccessLogs({}, { first: 100 })).records.find((x) => x.requestId === requestId)!;
      return { served: results.map((r) => (r.data as { client?: { id: string } | null } | null | undefined)?.client?.id ?? null), record };
    };
    const mixed = await send([AUTHORISED, NOT_AUTHORISED]);
    expect(mixed.served).toEqual([AUTHORISED, null]);
    expect([mixed.record.decision, mixed.record.reasons]).toEqual(['PARTIAL', [{ code: 'CLIENT_NOT_AUTHORISED', coordinate: 'Query.client' }]]);
    const none = await send([NOT_AUTHORISED, 'C-000098']);
    expect(none.served).toEqual([null, null]);
    expect(none.record.decision).toBe('DENIED');
  });
});
