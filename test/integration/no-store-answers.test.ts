/**
 * A /graphql answer holds one caller's view of taxpayer data (filtered for its product), so no
 * cache may keep it: every answer says `cache-control: no-store`, whatever a subgraph says of its
 * own answer. Apollo's gateway would otherwise turn a subgraph's `public, max-age` into the
 * gateway's header (RemoteGraphQLDataSource's honorSubgraphCacheControlHeader and Apollo Server's
 * cache-control plugin), and a shared cache may keep a `public` answer to a request that carried
 * a token (RFC 9111 §3.5) and hand it to the next caller.
 */
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

/** Forwards a request to `url` as it came; answers with the subgraph's status and body. */
function forward(url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<{ status: number; body: string }> {
  const { host: _h, connection: _c, 'content-length': _l, ...rest } = headers;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...rest, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

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
        void forward(target, req.headers, Buffer.concat(chunks)).then((answer) => {
          forwarded += 1;
          res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' }).end(answer.body);
        });
      });
    });
    await new Promise<void>((resolve) => subgraph.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`;
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { dataDir: sys.dataDir, port: 0, instanceId: 'no-store-gw', audit: { sqliteSync: 'normal' }, subgraphs: { ...sys.config.subgraphs, clients: url } as Config['subgraphs'] });
    gateway = await startGateway({ config, store: sys.store, keys: sys.keys, logger: createLogger({ level: 'silent', name: 'no-store' }) });
  });
  afterAll(async () => {
    await gateway.close();
    subgraph.closeAllConnections();
    await new Promise((resolve) => subgraph.close(resolve));
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
