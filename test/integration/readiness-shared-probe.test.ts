/**
 * Review (console/dashboard, attacker's view): /readyz is anonymous and unthrottled, and its
 * subgraph probes are "cached briefly so a load balancer polling readiness adds no load to the
 * subgraphs" (gateway/http/readiness.ts). The cache only helps callers that come after a probe has
 * finished: every /readyz that arrives while a probe is in flight (up to its 1 s timeout when a
 * subgraph is slow, which is exactly when readiness matters) starts its own probe of every
 * subgraph. N concurrent anonymous requests cost N × (number of subgraphs) fetches.
 *
 * createReadiness against a stub subgraph that counts its /healthz calls; the clock is fixed (the
 * cache never expires during the test).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReadiness } from '../../gateway/http/readiness.js';

describe('readiness probes are shared by concurrent callers', () => {
  let server: Server;
  let hits = 0;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/healthz') hits += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('probes each subgraph once for 20 concurrent /readyz, not 20 times', async () => {
    const subgraphUrls = { clients: url, lodgments: url, accounts: url, registry: url, audit: url };
    const readiness = createReadiness({
      gateway: { current: () => ({}) } as never,
      store: { ping: async () => {} },
      snapshot: { fresh: () => true } as never,
      writer: { accepting: () => true, stats: () => ({ retryingSinceMs: null }) } as never,
      subgraphUrls,
      now: () => 1_000_000,
      // What is counted here is probes, not their speed: with the default 1 s, a run with the
      // event loop slowed had a probe of this in-process stub give up, and the report not ready.
      probeTimeoutMs: 60_000,
    });
    const reports = await Promise.all(Array.from({ length: 20 }, () => readiness.check()));
    expect(reports.every((r) => r.ready)).toBe(true);
    // One probe of the five subgraphs serves all twenty callers.
    expect(hits).toBe(5);
    // And a caller after it is answered from the cache.
    await readiness.check();
    expect(hits).toBe(5);
  });
});
