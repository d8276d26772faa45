/** The subgraph transport: answers read whole, and a deadline over the whole call (headers and body). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphFetcher } from '../../../../gateway/subgraphs/transport.js';

const servers: Server[] = [];
async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

describe('subgraph transport', () => {
  it('sends the body and headers and reads the whole answer', async () => {
    const url = await serve((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'x-seen': req.headers['x-probe'] as string }).end(JSON.stringify({ echoed: body })));
    });
    const fetch = createSubgraphFetcher({ timeoutMs: 5000 });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-probe': 'yes' }, body: '{"query":"{ a }"}' });
    expect([res.ok, res.status, res.headers.get('x-seen'), await res.json()]).toEqual([true, 200, 'yes', { echoed: '{"query":"{ a }"}' }]);
  });

  it('hands on a non-2xx answer with its status', async () => {
    const url = await serve((_req, res) => res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[]}'));
    const res = await createSubgraphFetcher({ timeoutMs: 5000 })(url, { body: '{}' });
    expect([res.ok, res.status]).toEqual([false, 503]);
  });

  it('fails a call whose headers never come within the deadline', async () => {
    const url = await serve(() => {
      /* never answers */
    });
    await expect(createSubgraphFetcher({ timeoutMs: 200 })(url, { body: '{}' })).rejects.toThrow();
  });

  it('fails a call whose body keeps trickling past the deadline (a socket-idle timeout would never fire)', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    await expect(createSubgraphFetcher({ timeoutMs: 300 })(url, { body: '{}' })).rejects.toThrow();
  });

  it('refuses an answer larger than the bound', async () => {
    const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(10_000)));
    await expect(createSubgraphFetcher({ timeoutMs: 5000, maxBodyBytes: 1000 })(url, { body: '{}' })).rejects.toThrow();
  });
});
