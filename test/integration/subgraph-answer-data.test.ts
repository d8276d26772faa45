/**
 * Session 33's review (a helper's attacker probes, kept as tests): a subgraph's `data` of the
 * wrong shape, held to its fetch's selections and its fields' types where it is read
 * (gateway/subgraphs/answer-shape.ts). Each test failed on the code before the fix.
 *  S33-A: a non-object where the fetch selected an object (or a list) made @apollo/gateway's
 *         post-processing throw: every subgraph's data lost, 400 INTERNAL_SERVER_ERROR, a DENIED
 *         record counted by the denial burst, and the subgraph's value in the log unbounded.
 *  S33-B: an array nested 200,000 deep overflowed the shape check's recursion: a 500.
 *  S33-C: a `data` that is a string or an array was deep-merged key by key (seconds of blocked
 *         event loop, a gigabyte of heap for a 16 MiB string): now the answer fails as a whole.
 *  S33-D: an `_entities` that is no list of one object per representation: INTERNAL_SERVER_ERROR.
 *  S33-E: 100,000 list items of the wrong type cost seconds of errors Apollo builds: now the
 *         nearest nullable position is made null, one error, nothing for Apollo to complete.
 *  S33-F: an entity-level error path (`_entities, 0`) labelled the owning subgraph's root field refused.
 *  S33-G: the custom scalar SafeInt took any value: a 10,000-deep one was a 500, text was served.
 *  S33-H: a `__typename` naming another type was served.
 */
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { answeringSubgraph, type AnsweringSubgraph } from '../helpers/answering-subgraph.js';
import { UNAVAILABLE_MESSAGE } from '../../gateway/subgraphs/answer-errors.js';

const Q = '{ client(clientId: "C-000001") { id name } }';
/** Through the lodgments subgraph's entity fetch. */
const q = '{ client(clientId: "C-000001") { id name lodgments(first: 1) { id } } }';
const unavailableAt = (path: unknown[]) => ({ message: UNAVAILABLE_MESSAGE, path, extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });

describe('S33 review: a subgraph data of the wrong shape (clients stand-in)', () => {
  let sys: TestSystem;
  let h: AnsweringSubgraph;
  beforeAll(async () => {
    sys = await startTestSystem();
    h = await answeringSubgraph(sys, 'clients', 'rev33-data-shape');
  });
  afterAll(async () => {
    await h.close();
    await sys.close();
  });
  beforeEach(() => void (h.logs.length = 0));

  // S33-A
  it.each([
    ['a string', 'x'],
    ['a number', 7],
    ['true', true],
  ])('an object field answered with %s is SUBGRAPH_UNAVAILABLE at that field (502), not a 400 INTERNAL_SERVER_ERROR', async (_what, value) => {
    h.reply({ data: { client: value } });
    const r = await h.ask(Q);
    expect(r.body.errors).toEqual([unavailableAt(['client'])]);
    expect(r.body.data).toEqual({ client: null });
    expect(r.status).toBe(502);
    expect(r.record?.errorCodes).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(r.record?.httpStatus).toBe(502); // a 4xx DENIED record counts on the product's denial burst
  });

  it('the other root fields survive a wrong-shaped one (no answer-wide loss)', async () => {
    h.reply({ data: { serviceStatus: { name: 'clients' }, client: 'x' } });
    const r = await h.ask('{ serviceStatus { name } client(clientId: "C-000001") { id } }');
    expect(r.body.data).toEqual({ serviceStatus: { name: 'clients' }, client: null });
    expect(r.status).toBe(200);
  });

  it("the subgraph's value does not reach the log unbounded (1 MB string at an object field)", async () => {
    h.reply({ data: { client: 'S'.repeat(1_000_000) } });
    await h.ask(Q);
    const bytes = h.logs.reduce((n, l) => n + l.length, 0);
    expect(bytes).toBeLessThan(64 * 1024); // before: one line of ~2,000,000 bytes (message and stack)
  });

  it.each([[5], [{}], [['Client']]])('__typename %j (the caller selected __typename) is SUBGRAPH_UNAVAILABLE, not a 400 INTERNAL_SERVER_ERROR', async (typename) => {
    h.reply({ data: { client: { __typename: typename, id: 'C-000001', name: 'x' } } });
    const r = await h.ask('{ client(clientId: "C-000001") { __typename id name } }');
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(r.status).toBe(502);
  });

  it('__typename naming another type is not served for a Client (Low)', async () => {
    h.reply({ data: { client: { __typename: 'Lodgment', id: 'C-000001', name: 'x' } } });
    const r = await h.ask('{ client(clientId: "C-000001") { __typename id name } }');
    expect(r.body.data?.client?.__typename ?? 'Client').toBe('Client');
  });

  // S33-B
  it.each([
    ['at the root field', (deep: string) => `{"data":{"client":${deep}}}`, '{ client(clientId: "C-000001") { id name } }'],
    ['at a nested object field', (deep: string) => `{"data":{"client":{"id":"C-000001","name":"x","address":${deep}}}}`, '{ client(clientId: "C-000001") { id name address { line1 } } }'],
  ])('an array nested 200,000 deep %s is not a 500', async (_where, answer, q) => {
    const depth = 200_000;
    h.reply(answer(`${'['.repeat(depth)}${']'.repeat(depth)}`));
    const r = await h.ask(q);
    expect(r.status).not.toBe(500);
    expect(r.body.errors?.map((e) => e.extensions?.code)).not.toContain('INTERNAL_SERVER_ERROR');
  });

  // S33-C
  it.each([
    ['a 2 MB string', () => JSON.stringify({ data: 'x'.repeat(2_000_000) })],
    ['an array of 2,000,000 numbers', () => `{"data":[${Array(2_000_000).fill('0').join(',')}]}`],
  ])('data that is %s is refused cheaply, as the subgraph failing', async (_what, body) => {
    h.reply(body());
    const r = await h.ask(Q);
    expect(r.status).toBe(502);
    expect(r.body).toEqual({ data: { client: null }, errors: [{ message: UNAVAILABLE_MESSAGE, extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }] });
    // Refused before @apollo/gateway merged it: the log says the answer failed as a whole.
    expect(h.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.dataFailed === true)).toHaveLength(1);
  });
});

describe("S33 review: an entity fetch's answer", () => {
  let sys: TestSystem;
  let h: AnsweringSubgraph;
  beforeAll(async () => {
    sys = await startTestSystem();
    h = await answeringSubgraph(sys, 'lodgments', 'rev33-entities');
  });
  afterAll(async () => {
    await h.close();
    await sys.close();
  });

  // S33-A
  it.each([
    ['a string for the list', 'x'],
    ['an object for the list', { id: 'L-1' }],
    ['a string item', ['x']],
  ])("%s nulls that field only; the clients subgraph's data is served", async (_what, lodgments) => {
    h.reply({ data: { _entities: [{ lodgments }] } });
    const r = await h.ask(q);
    expect(r.status).toBe(200);
    expect(r.body.data?.client).toMatchObject({ id: 'C-000001', name: expect.any(String), lodgments: null });
    expect(r.body.errors?.map((e) => [e.extensions?.code, e.path])).toEqual([['SUBGRAPH_UNAVAILABLE', expect.arrayContaining(['client', 'lodgments'])]]);
  });

  // S33-D
  it.each([
    ['not an array', 'x'],
    ['empty', []],
    ['longer than the representations', [{ lodgments: null }, { lodgments: null }]],
    ['a string item', ['x']],
    ['a number item', [5]],
  ])('_entities %s is the subgraph failing (SUBGRAPH_UNAVAILABLE), not INTERNAL_SERVER_ERROR', async (_what, entities) => {
    h.reply({ data: { _entities: entities } });
    const r = await h.ask(q);
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(r.record?.errorCodes).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });

  // S33-E
  it('100,000 list items of the wrong type leave @apollo/gateway nothing to complete: the list is null, with one error', async () => {
    h.reply(`{"data":{"_entities":[{"lodgments":[${Array(100_000).fill('{"id":{}}').join(',')}]}]}}`);
    const r = await h.ask(q);
    expect(r.body.data?.client).toMatchObject({ id: 'C-000001', lodgments: null });
    expect(r.body.errors).toEqual([unavailableAt(['client', 'lodgments', 0, 'id'])]);
  });

  // Session 33's second review: a key left out, in 100,000 items (3.4 s of Apollo's errors before).
  it('100,000 lodgments without their non-null id: the list is null, with one error', async () => {
    h.reply(`{"data":{"_entities":[{"lodgments":[${Array(100_000).fill('{}').join(',')}]}]}}`);
    const r = await h.ask(q);
    expect(r.body.data?.client).toMatchObject({ id: 'C-000001', lodgments: null });
    expect(r.body.errors).toEqual([unavailableAt(['client', 'lodgments', 0, 'id'])]);
  });

  // S33-F (Low)
  it("an error at the entity itself does not record the clients subgraph's Query.client as refused", async () => {
    h.reply({ data: { _entities: [{ lodgments: null }] }, errors: [{ message: 'm', path: ['_entities', 0], extensions: { code: 'RESTRICTED_DATA' } }] });
    const r = await h.ask(q);
    expect(r.record?.reasons.map((x) => x.coordinate)).not.toContain('Query.client');
  });
});

describe('S33 review: SafeInt from the audit subgraph', () => {
  let sys: TestSystem;
  let h: AnsweringSubgraph;
  beforeAll(async () => {
    sys = await startTestSystem();
    h = await answeringSubgraph(sys, 'audit', 'rev33-scalars', { roles: ['ato:auditor'], mfa: true });
  });
  afterAll(async () => {
    await h.close();
    await sys.close();
  });

  it('a SafeInt nested 10,000 deep is not a 500', async () => {
    h.reply(`{"data":{"accessSummary":{"total":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}`);
    const r = await h.ask('{ accessSummary { total } }');
    expect(r.status).not.toBe(500);
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });

  it.each([
    ['a string', 'db01.internal: SELECT * FROM access_log'],
    ['an object', { host: 'db01.internal', blob: 'x'.repeat(100_000) }],
    ['a fraction', 1.5],
    ['past 2^53', 2 ** 60],
  ])('%s is not served as a SafeInt', async (_what, total) => {
    h.reply({ data: { accessSummary: { total } } });
    const r = await h.ask('{ accessSummary { total } }');
    expect(r.body.data?.accessSummary ?? null).toBeNull();
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
  });
});

describe('S33 review: a registry mutation answered with the wrong shape', () => {
  let sys: TestSystem;
  let h: AnsweringSubgraph;
  beforeAll(async () => {
    sys = await startTestSystem();
    h = await answeringSubgraph(sys, 'registry', 'rev33-registry', { roles: ['ato:admin'], mfa: true });
  });
  afterAll(async () => {
    await h.close();
    await sys.close();
  });

  it('is 502 SUBGRAPH_UNAVAILABLE, not 400 INTERNAL_SERVER_ERROR', async () => {
    h.reply({ data: { approveDeveloper: 'x' } });
    const r = await h.ask('mutation { approveDeveloper(developerId: "DEV-1", expectedRevision: 1, reason: "r") { id } }');
    expect(r.status).toBe(502);
    expect(r.body.errors?.map((e) => e.extensions?.code)).toEqual(['SUBGRAPH_UNAVAILABLE']);
    expect(r.record?.httpStatus).toBe(502);
  });
});
