/**
 * Session 31's attacker review: what a subgraph's answer may decide about the gateway's. A
 * subgraph's GraphQL error may carry `extensions.http.status`; @apollo/gateway copies a
 * subgraph error's extensions as they are, and Apollo Server applies a numeric
 * `extensions.http.status` to the whole answer before formatError runs. So a subgraph (a
 * compromised one, or one that is not Apollo's) could answer the caller 302 without a
 * Location, 101, 204 without a body, or 418. The gateway's status is its own: the subgraph's
 * `http` extension is dropped where its answer is read (gateway/subgraphs/data-source.ts).
 */
import { createServer, type Server } from 'node:http';
import type { RunningGateway } from '../../gateway/server.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { closeStandIn, listenOnLoopback, startGatewayOn } from '../helpers/subgraph-stand-in.js';

describe("a subgraph's answer does not set the gateway's status", () => {
  let sys: TestSystem;
  let subgraph: Server;
  let gateway: RunningGateway;
  let token: string;
  /** What the fake clients subgraph answers next: its status and body (JSON unless a type is given). */
  let next: { status: number; body: unknown; type?: string } = { status: 200, body: {} };

  beforeAll(async () => {
    sys = await startTestSystem();
    subgraph = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(next.status, { 'content-type': next.type ?? 'application/json' }).end(next.type ? String(next.body) : JSON.stringify(next.body)));
    });
    gateway = await startGatewayOn(sys, { clients: await listenOnLoopback(subgraph) }, 'influence-gw');
    token = await sys.token({ product: 'PRD-CERTIFIED' });
  });
  afterAll(async () => {
    await gateway.close();
    await closeStandIn(subgraph);
    await sys.close();
  });

  const ask = async () => {
    const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ client(clientId: "C-000001") { id name } }' }) });
    const body = (await res.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
    return { status: res.status, codes: body.errors?.map((e) => e.extensions?.code), http: body.errors?.map((e) => e.extensions?.http), extensions: body.errors?.map((e) => e.extensions) };
  };
  const withError = (extensions: Record<string, unknown>) => ({ data: { client: null }, errors: [{ message: 'm', path: ['client'], extensions }] });

  it.each([302, 101, 204, 418, 401])('a 200 answer whose error says http.status %i is answered as the same error without it', async (status) => {
    next = { status: 200, body: withError({ code: 'NOT_FOUND' }) };
    const plain = await ask();
    next = { status: 200, body: withError({ code: 'NOT_FOUND', http: { status } }) };
    const told = await ask();
    expect(told).toEqual(plain);
    expect(told.status).not.toBe(status);
  });

  it("and so is a subgraph's 4xx GraphQL answer whose error says it", async () => {
    next = { status: 400, body: { errors: [{ message: 'm', extensions: { code: 'WHATEVER' } }] } };
    const plain = await ask();
    next = { status: 400, body: { errors: [{ message: 'm', extensions: { code: 'WHATEVER', http: { status: 418 } } }] } };
    const told = await ask();
    expect(told).toEqual(plain);
    expect(told.status).not.toBe(418);
  });

  // A subgraph's answer that is no GraphQL result (a proxy's or a WAF's page) says nothing about
  // the caller: it is the subgraph failing, answered as any other failure of it, never a 500 and
  // never the caller's FORBIDDEN.
  it.each([
    [400, 'text/html', '<html>bad request</html>'],
    [403, 'text/html', '<html>forbidden by the WAF</html>'],
    [404, 'text/plain', 'not found'],
    [429, 'text/plain', 'slow down'],
    [302, 'text/plain', ''],
    [413, 'application/json', '{"message":"too large"}'],
  ])('a %i %s answer from the subgraph is SUBGRAPH_UNAVAILABLE, as a 503 from it is', async (status, type, body) => {
    next = { status: 503, type: 'text/plain', body: 'down' };
    const failing = await ask();
    expect(failing.codes).toEqual(['SUBGRAPH_UNAVAILABLE']);
    next = { status, type, body };
    expect(await ask()).toEqual(failing);
  });

  // Session 31's F5: a subgraph error carrying one of our codes kept every other key it sent.
  it("a subgraph error with one of our codes reaches the caller with our detail keys only, not the subgraph's own", async () => {
    next = { status: 200, body: withError({ code: 'NOT_FOUND', clientId: 'C-000001', internalHost: 'clients-db01.internal:5432', sql: 'SELECT * FROM clients WHERE id = $1', exception: { stacktrace: ['at db.query'] } }) };
    const told = await ask();
    expect(told.codes).toEqual(['NOT_FOUND']);
    expect(told.extensions).toEqual([{ code: 'NOT_FOUND', clientId: 'C-000001' }]);
  });
});

// Session 32's review, F1: @apollo/gateway deep-merges an entity answer into the entity the fetches
// before it built, so a subgraph asked for `Client.lodgments` that also answered `name`, `id`
// or `tfnMasked` overwrote the clients subgraph's values in the caller's answer.
describe("a subgraph's entity answer sets only the fields its fetch asked for", () => {
  let sys: TestSystem;
  let lodgments: Server;
  let gateway: RunningGateway;
  let token: string;
  let entity: Record<string, unknown> = {};

  beforeAll(async () => {
    sys = await startTestSystem();
    lodgments = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: { _entities: [entity] } })));
    });
    gateway = await startGatewayOn(sys, { lodgments: await listenOnLoopback(lodgments) }, 'entity-shape-gw');
    token = await sys.token({ product: 'PRD-CERTIFIED' });
  });
  afterAll(async () => {
    await gateway.close();
    await closeStandIn(lodgments);
    await sys.close();
  });

  const ask = async () => {
    const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ client(clientId: "C-000001") { id name tfnMasked lodgments(first: 1) { id period } } }' }) });
    return { status: res.status, body: (await res.json()) as { data?: { client?: Record<string, unknown> } } };
  };

  it("keeps the clients subgraph's id, name and masked TFN when the lodgments answer carries its own", async () => {
    entity = { __typename: 'Client', lodgments: [{ id: 'L-1', period: '2024-Q1' }] };
    const honest = await ask();
    expect(honest.status).toBe(200);
    expect(honest.body.data?.client?.lodgments).toEqual([{ id: 'L-1', period: '2024-Q1' }]);
    entity = { __typename: 'Client', id: 'C-000999', name: 'FORGED BY LODGMENTS', tfnMasked: '999-999-999', lodgments: [{ id: 'L-1', period: '2024-Q1', forged: true }] };
    const forged = await ask();
    expect(forged).toEqual(honest);
  });
});
