/**
 * Session 32's review, F2–F9: what a subgraph's errors may decide about the gateway's answer, its
 * access record and its log. A stand-in `clients` (and `lodgments`) subgraph answers what each
 * test says, through a real gateway; the records are the ones the gateway commits.
 */
import { asJudged, productCheckCode } from '../../monitoring/detectors/record-codes.js';
import { MAX_ERRORS } from '../../gateway/subgraphs/answer-errors.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { answeringSubgraph, type AnsweringSubgraph } from '../helpers/answering-subgraph.js';

const Q = '{ client(clientId: "C-000001") { id name } }';
const errorOn = (path: unknown, extensions: Record<string, unknown>, message: unknown = 'm') => ({ data: { client: null }, errors: [{ message, path, extensions }] });

describe("a subgraph's errors, as the gateway takes them", () => {
  let sys: TestSystem;
  let h: AnsweringSubgraph;

  beforeAll(async () => {
    sys = await startTestSystem();
    h = await answeringSubgraph(sys, 'clients', 'subgraph-errors-gw');
  });
  afterAll(async () => {
    await h.close();
    await sys.close();
  });
  beforeEach(() => void (h.logs.length = 0));

  // F2, F3, F8: a code of the gateway's own stages (authentication, the product check, limits,
  // HTTP), the access log's from a subgraph that does not write it, Apollo's, or none of ours.
  it.each(['UNAUTHENTICATED', 'TOKEN_EXPIRED', 'PRODUCT_REVOKED', 'PRODUCT_SUSPENDED', 'RATE_LIMITED', 'OPERATION_LIMIT_EXCEEDED', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE', 'AUTH_PROVIDER_UNAVAILABLE', 'AUDIT_UNAVAILABLE', 'REGISTRY_UNAVAILABLE', 'REVISION_CONFLICT', 'INTERNAL_SERVER_ERROR', 'INVALID_GRAPHQL', 'DOWNSTREAM_SERVICE_ERROR', 'WHATEVER'])(
    'a subgraph error coded %s is the subgraph failing: 502 SUBGRAPH_UNAVAILABLE, our message, and the record says so',
    async (code) => {
      h.reply(errorOn(['client'], { code, internalHost: 'db01.internal' }, 'This product was revoked at db01.internal.'));
      const r = await h.ask(Q);
      expect(r.status).toBe(502);
      expect(r.body.errors).toEqual([{ message: 'A service could not answer part of this request.', path: ['client'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }]);
      for (const header of ['www-authenticate', 'retry-after', 'allow']) expect(r.headers.get(header)).toBeNull();
      expect(r.record?.errorCodes).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(productCheckCode(r.record!)).toBeNull();
      // The operators hear what the subgraph said, once.
      const lines = h.logs.filter((l) => l.includes('subgraph answer changed on the way in'));
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ subgraph: 'clients', recodedCount: 1, recoded: [{ code, message: 'This product was revoked at db01.internal.' }] });
    },
  );

  it('the codes a subgraph raises pass as they are: a refusal of its own data, a record not found', async () => {
    h.reply(errorOn(['client'], { code: 'RESTRICTED_DATA', clientId: 'C-000001' }, 'restricted'));
    const restricted = await h.ask(Q);
    expect(restricted.status).toBe(403);
    expect(restricted.body.errors).toEqual([{ message: 'restricted', path: ['client'], extensions: { code: 'RESTRICTED_DATA', clientId: 'C-000001' } }]);
    expect(restricted.record?.reasons).toEqual([{ code: 'RESTRICTED_DATA', coordinate: 'Query.client' }]);
    h.reply(errorOn(['client'], { code: 'NOT_FOUND' }, 'No client has this id.'));
    expect((await h.ask(Q)).status).toBe(404);
    expect(h.logs.filter((l) => l.includes('subgraph answer changed on the way in'))).toEqual([]);
  });

  // F4: UNAUTHENTICATED on a record that names a product makes the detectors judge it by its
  // source only (record-codes.ts asJudged); a subgraph could so hide a product's requests.
  it('an UNAUTHENTICATED error beside served data does not take the record away from its product', async () => {
    h.reply({ data: { client: { id: 'C-000001', name: 'Ava' } }, errors: [{ message: 'x', path: ['client', 'name'], extensions: { code: 'UNAUTHENTICATED' } }] });
    const r = await h.ask(Q);
    expect(r.status).toBe(200);
    expect(r.record?.errorCodes).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(asJudged(r.record!).productId).toBe('PRD-CERTIFIED');
  });

  // F5: Apollo Server's JSON.stringify overflowed its stack on the answer, a 500 for the whole request.
  it.each([
    ['a detail value', (deep: string) => `{"data":{"client":null},"errors":[{"message":"m","path":["client"],"extensions":{"code":"NOT_FOUND","reason":${deep}}}]}`],
    ['the path', (deep: string) => `{"data":{"client":null},"errors":[{"message":"m","path":${deep},"extensions":{"code":"NOT_FOUND"}}]}`],
    ['an undeclared key', (deep: string) => `{"data":{"client":null},"errors":[{"message":"m","path":["client"],"extensions":{"code":"NOT_FOUND","x":${deep}}}]}`],
  ])('%s nested 10,000 deep is left out; the error is answered', async (_where, answer) => {
    const depth = 10_000;
    h.reply(answer(`${'['.repeat(depth)}${']'.repeat(depth)}`));
    const r = await h.ask(Q);
    expect(r.status).toBe(404);
    expect(r.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'NOT_FOUND' }]);
  });

  it('a detail value longer than 8 KiB and a message longer than 1,000 characters are cut', async () => {
    h.reply(errorOn(['client'], { code: 'NOT_FOUND', reason: 'r'.repeat(9000), clientId: 'C-000001' }, 'A'.repeat(5000)));
    const r = await h.ask(Q);
    expect(r.body.errors).toEqual([{ message: 'A'.repeat(1000), path: ['client'], extensions: { code: 'NOT_FOUND', clientId: 'C-000001' } }]);
  });

  // F8: a path that is not a path, or an error that is not an object.
  it.each([['a string path', 'client'], ['a number path', 7], ['nested arrays', [['client']]], ['a negative index', ['client', -1]]])('%s is left out (the error stays, pathless)', async (_what, path) => {
    h.reply(errorOn(path, { code: 'NOT_FOUND' }));
    const r = await h.ask(Q);
    expect(r.status).toBe(404);
    expect(r.body.errors).toEqual([{ message: 'm', extensions: { code: 'NOT_FOUND' } }]);
  });

  it.each([['a non-string message', { message: { nested: 1 }, path: ['client'], extensions: { code: 'NOT_FOUND' } }], ['an error that is a string', 'boom'], ['errors that are no list', null]])('%s is the subgraph failing, 502', async (what, error) => {
    h.reply(what === 'errors that are no list' ? { data: { client: null }, errors: { message: 'm' } } : { data: { client: null }, errors: [error] });
    const r = await h.ask(Q);
    expect(r.status).toBe(502);
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });

  // F7 (root fetch): an error may only name a field this fetch asked for.
  it("a path through a field the fetch did not select is cut back to the subgraph's own field", async () => {
    h.reply({ data: { client: { id: 'C-000001', name: 'Ava' } }, errors: [{ message: 'm', path: ['client', 'tfnMasked', 'x'], extensions: { code: 'FORBIDDEN' } }, { message: 'n', path: ['serviceStatus', 'version'], extensions: { code: 'FORBIDDEN' } }] });
    const r = await h.ask(Q);
    expect(r.body.errors?.map((e) => e.path)).toEqual([['client'], undefined]);
    expect(r.record?.reasons).toEqual([{ code: 'FORBIDDEN', coordinate: 'Query.client' }]);
  });

  // F9: one answer of 10,000 errors wrote 10,000 log lines.
  it(`an answer of 10,000 errors gives at most ${MAX_ERRORS} and one log line`, async () => {
    h.reply({ data: { client: null }, errors: Array.from({ length: 10_000 }, (_, i) => ({ message: `secret-${i}`, path: ['client'], extensions: { code: i % 2 ? 'NOT_FOUND' : 'WHATEVER', [`k${i}`]: 1 } })) });
    const r = await h.ask(Q);
    expect(r.body.errors).toHaveLength(MAX_ERRORS);
    expect(h.logs).toHaveLength(1);
    expect(JSON.parse(h.logs[0]!)).toMatchObject({ received: 10_000, dropped: 10_000 - MAX_ERRORS, recodedCount: MAX_ERRORS / 2 });
    expect(h.logs[0]!.length).toBeLessThan(4096);
  });

  // Session 33 left alone: an answer failed as a whole put its own error before the 200 admitted, 201 in all.
  it(`an answer failed as a whole with 10,000 errors still gives at most ${MAX_ERRORS}, its failure first`, async () => {
    h.reply({ data: 'not an object', errors: Array.from({ length: 10_000 }, () => ({ message: 'm', path: ['client'], extensions: { code: 'NOT_FOUND' } })) });
    const r = await h.ask(Q);
    const subgraphErrors = (r.body.errors ?? []).filter((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE' || e.extensions?.code === 'NOT_FOUND');
    expect(subgraphErrors.length).toBeGreaterThan(1);
    expect(r.body.errors!.length).toBeLessThanOrEqual(MAX_ERRORS);
    expect(r.body.errors![0]).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    expect(h.logs).toHaveLength(1);
    expect(JSON.parse(h.logs[0]!)).toMatchObject({ dataFailed: true, received: 10_000, dropped: 10_000 - (MAX_ERRORS - 1) });
  });

  it('an answer holding fields its fetch did not ask for is cut, and the log says so once, without the values', async () => {
    h.reply({ data: { client: { id: 'C-000001', name: 'Ava', tfnMasked: '123-456-789' }, serviceStatus: { version: 'x' } } });
    const r = await h.ask(Q);
    expect(r.body).toEqual({ data: { client: { id: 'C-000001', name: 'Ava' } } });
    expect(h.logs).toHaveLength(1);
    expect(JSON.parse(h.logs[0]!)).toMatchObject({ subgraph: 'clients', dataCut: true, msg: 'subgraph answer changed on the way in' });
    expect(h.logs[0]).not.toContain('123-456-789');
  });

  // F6: Apollo's `extensions.valueCompletion` went to the caller past formatError, and the record missed it.
  it('a value of the wrong type is an error at its field, not an answer extension', async () => {
    h.reply({ data: { client: { id: 'C-000001', name: { nested: { deep: 'x' } } } } });
    const r = await h.ask(Q);
    expect(r.body.extensions).toBeUndefined();
    expect(r.body.data).toEqual({ client: null }); // Client.name is non-null: its null reaches the nullable client
    expect(r.body.errors).toEqual([{ message: 'A service could not answer part of this request.', path: ['client', 'name'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }]);
    expect(r.record?.errorCodes).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });
});

// F7 (entity fetch): a lodgments answer naming fields of Client the clients subgraph served.
describe("an entity fetch's errors name only what the fetch asked for", () => {
  let sys: TestSystem;
  let h: AnsweringSubgraph;
  const q = '{ client(clientId: "C-000001") { id name lodgments(first: 1) { id } } }';

  beforeAll(async () => {
    sys = await startTestSystem();
    h = await answeringSubgraph(sys, 'lodgments', 'subgraph-entity-errors-gw');
  });
  afterAll(async () => {
    await h.close();
    await sys.close();
  });

  it.each([
    ['a field of the entity it did not serve', ['_entities', 0, 'name'], undefined],
    ['the entity itself', ['_entities', 0], undefined],
    ['its own field', ['_entities', 0, 'lodgments'], ['client', 'lodgments']],
    ['an entity it was not sent', ['_entities', 5, 'lodgments'], undefined],
    ['no entity', ['_entities'], undefined],
  ])('%s', async (_what, path, expected) => {
    h.reply({ data: { _entities: [{ __typename: 'Client', lodgments: null }] }, errors: [{ message: 'm', path, extensions: { code: 'FORBIDDEN' } }] });
    const r = await h.ask(q);
    expect(r.body.data?.client).toMatchObject({ id: 'C-000001', name: expect.any(String) });
    expect(r.body.errors?.map((e) => e.path)).toEqual([expected]);
    expect(r.record?.reasons.map((x) => x.coordinate)).not.toContain('Client.name');
  });
});
