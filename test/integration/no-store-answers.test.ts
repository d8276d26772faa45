/**
 * A /graphql answer holds one caller's view of taxpayer data (filtered for its product), so no
 * cache may keep it: every answer says `cache-control: no-store`, whatever a subgraph says of its
 * own answer. Apollo's gateway would otherwise turn a subgraph's `public, max-age` into the
 * gateway's header (RemoteGraphQLDataSource's honorSubgraphCacheControlHeader and Apollo Server's
 * cache-control plugin), and a shared cache may keep a `public` answer to a request that carried
 * a token (RFC 9111 §3.5) and hand it to the next caller.
 */
import { createServer, type Server } from 'node:http';
import type { RunningGateway } from '../../gateway/server.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { closeStandIn, forwardPost, listenOnLoopback, startGatewayOn } from '../helpers/subgraph-stand-in.js';

describe('every /graphql answer is no-store', () => {
  let sys: TestSystem;
  let subgraph: Server;
  let gateway: RunningGateway;
  let forwarded = 0;

  beforeAll(async () => {
    sys = await startTestSystem();
    const target = sys.subgraphs.clients.url;
    // The clients subgraph, saying its answers may be kept by any cache for five minutes.
    subgraph = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void forwardPost(target, req.headers, Buffer.concat(chunks)).then((answer) => {
          forwarded += 1;
          res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }).end(answer.body);
        });
      });
    });
    gateway = await startGatewayOn(sys, { clients: await listenOnLoopback(subgraph) }, 'no-store-gw');
  });
  afterAll(async () => {
    await gateway.close();
    await closeStandIn(subgraph);
    await sys.close();
  });

  const post = async (body: unknown, headers: Record<string, string> = {}) =>
    fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  it('serves a client read the subgraph calls public and cacheable as no-store', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const before = forwarded;
    const res = await post({ query: '{ client(clientId: "C-000001") { id name } }' }, { authorization: `Bearer ${token}` });
    const body = (await res.json()) as { data?: { client?: { id?: string } } };
    // Served, through the subgraph that said `public, max-age=300`.
    expect([res.status, body.data?.client?.id, forwarded - before]).toEqual([200, 'C-000001', 1]);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('says no-store on refusals and on answers Apollo writes itself (GET without a preflight header)', async () => {
    const refused = await post({ query: '{ client(clientId: "C-000001") { id } }' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const csrf = await fetch(`${gateway.url}?query=${encodeURIComponent('{ serviceStatus { name } }')}`, { headers: { authorization: `Bearer ${token}` } });
    expect(csrf.status).toBe(400);
    expect(csrf.headers.get('cache-control')).toBe('no-store');
  });

  it('says no-store on the other answers of the gateway (health, an unknown path)', async () => {
    for (const path of ['/healthz', '/readyz', '/nowhere']) {
      const res = await fetch(new URL(path, gateway.url));
      expect([path, res.headers.get('cache-control')]).toEqual([path, 'no-store']);
    }
  });
});
