/**
 * A shutdown whose grace ends before a request in flight is done cuts the connection, but the
 * request's handler runs on and its access record is committed before the final checkpoint
 * (review s18b 1: the request had read a taxpayer's data from a subgraph and left no record).
 * And once draining, every response closes its connection (review s18b 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../core/config.js';
import { ensureKeys } from '../../core/keys.js';
import { createLogger } from '../../core/logger.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { createGatewayServer } from '../../gateway/routes.js';
import { startGateway } from '../../gateway/server.js';
import { createStore } from '../../store/index.js';
import { seedDemoRegister } from '../../store/seed.js';

/** A clients subgraph whose answers wait until released. */
function heldSubgraph(): Promise<{ server: Server; url: string; received: Promise<void>; release(): void; answerWith(body: unknown): void }> {
  let arrived!: () => void;
  const received = new Promise<void>((resolve) => (arrived = resolve));
  const held: Array<() => void> = [];
  let released = false;
  let body: unknown = { data: { serviceStatus: { name: 'clients', version: 'held' } } };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      arrived();
      if (released) answer();
      else held.push(answer);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/graphql`, received, release: () => ((released = true), held.splice(0).forEach((a) => a())), answerWith: (b) => (body = b) }),
    ),
  );
}

describe('shutdown past its grace', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsp-shutdown-cut-'));
  const cleanups: Array<() => unknown> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const UNUSED = 'http://127.0.0.1:9/graphql';

  /**
   * A gateway on its own store whose clients subgraph is `clients` (the others `lodgments` or
   * nowhere), with a 1 ms grace; sends `query` as `sub`, closes the gateway once the clients
   * subgraph holds it, releases it once the connection was cut, and resolves the sub's records.
   */
  async function cutMidRequest(name: string, query: string, options: { lodgments?: string; subgraphTimeoutMs?: number; answer?: unknown }) {
    const clients = await heldSubgraph();
    cleanups.push(() => new Promise((r) => clients.server.close(r)));
    if (options.answer) clients.answerWith(options.answer);
    const storeUrl = `sqlite:${join(dataDir, `${name}.db`)}`;
    const store = await createStore(storeUrl);
    cleanups.push(() => store.close());
    await seedDemoRegister(store, new Date());
    const keys = await ensureKeys(dataDir);
    const subgraphs = { clients: clients.url, lodgments: options.lodgments ?? UNUSED, accounts: UNUSED, registry: UNUSED, audit: UNUSED };
    const config = loadConfig({ NODE_ENV: 'test' }, { dataDir, storeUrl, port: 0, host: '127.0.0.1', instanceId: name, subgraphs, ...(options.subgraphTimeoutMs ? { subgraphTimeoutMs: options.subgraphTimeoutMs } : {}) });
    const gw = await startGateway({ config, store, keys, logger: createLogger({ level: 'silent', name }), shutdownGraceMs: 1 });
    const token = await signDevToken(keys.issuer, { sub: `${name}-user`, product: 'PRD-CERTIFIED', org: '12345679016' }, config);
    const inFlight = fetch(gw.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
    await clients.received;
    const closed = gw.close();
    // The grace ends and the connection is cut while the subgraph still holds the answer.
    await expect(inFlight).rejects.toThrow();
    clients.release();
    await closed;
    const [head] = await store.listChains();
    return (await store.readChain(head!.chainId, 1, 1_000)).filter((r) => r.sub === `${name}-user`);
  }

  it('commits the record of a request whose connection the shutdown cut', async () => {
    const records = await cutMidRequest('cut', '{ serviceStatus { name version } }', {});
    expect(records.map((r) => [r.operationName, r.coordinates, r.decision])).toEqual([[null, ['Query.serviceStatus', 'ServiceStatus.name', 'ServiceStatus.version'], 'ALLOWED']]);
  });

  it('starts no subgraph fetch after the grace, so a plan with further steps still ends and is recorded (review s18d F1)', async () => {
    // The plan's second step: answers nothing, ever; it only counts.
    let lodgmentFetches = 0;
    const never = createServer((req) => (req.resume(), lodgmentFetches++));
    await new Promise<void>((r) => never.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => (never.closeAllConnections(), never.close(r))));
    const records = await cutMidRequest('plan', '{ client(clientId: "C-000001") { id lodgments { period } } }', {
      lodgments: `http://127.0.0.1:${(never.address() as { port: number }).port}/graphql`,
      // A long subgraph timeout: before the fix, close() waited it out for the second fetch, and the record was lost.
      subgraphTimeoutMs: 600_000,
      answer: { data: { client: { __typename: 'Client', id: 'C-000001' } } },
    });
    expect(lodgmentFetches).toBe(0);
    expect(records.map((r) => [r.coordinates.includes('Client.lodgments'), r.errorCodes])).toEqual([[true, ['SUBGRAPH_UNAVAILABLE']]]);
  });

  it('closes each connection after its response once draining, so a keep-alive pool cannot carry new requests through the drain', async () => {
    const http = createGatewayServer({ graphql: async (_req, res) => void res.end('{}'), readiness: async () => ({ ready: true }), others: [] }, createLogger({ level: 'silent', name: 'drain-test' }));
    await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((r) => (http.server.closeAllConnections(), http.server.close(r))));
    const port = (http.server.address() as { port: number }).port;
    const connectionHeader = () =>
      new Promise<string | undefined>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/graphql', method: 'POST', headers: { connection: 'keep-alive' } }, (res) => {
          res.resume();
          resolve(res.headers.connection);
        });
        req.on('error', reject);
        req.end('{}');
      });
    expect(await connectionHeader()).toBe('keep-alive');
    http.drain();
    expect(await connectionHeader()).toBe('close');
    expect(await http.settled(1_000)).toBe(0);
  });
});
