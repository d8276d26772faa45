/**
 * A captured gateway→subgraph request cannot be used again: a recording proxy sits between a
 * real gateway and the real clients subgraph; the request it captured, replayed byte for byte to
 * the subgraph, is refused, as are the same headers with another body and a request whose moment
 * is older than the acceptance window. The real request itself was served.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { SIGNATURE_HEADER } from '../../core/request-signature.js';
import type { RunningGateway } from '../../gateway/server.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { closeStandIn, forwardPost, listenOnLoopback, startGatewayOn } from '../helpers/subgraph-stand-in.js';

interface Captured {
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Answer {
  status: number;
  body: { data?: unknown; errors?: Array<{ extensions?: { code?: string; reason?: string } }> };
}

/** Sends a request with exactly these headers and body (hop-by-hop headers dropped). */
async function send(url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> {
  const answer = await forwardPost(url, headers, body);
  return { status: answer.status, body: JSON.parse(answer.body) as Answer['body'] };
}

describe('subgraph requests are bound to their body, subgraph and moment', () => {
  const clock = { now: Date.now() };
  let sys: TestSystem;
  let proxy: Server;
  let gateway: RunningGateway;
  const captured: Captured[] = [];
  /** When set, the proxy keeps the request instead of delivering it (a man in the middle holding it back). */
  let holdBack = false;

  beforeAll(async () => {
    sys = await startTestSystem({}, { now: () => clock.now });
    const target = sys.subgraphs.clients.url;
    proxy = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        captured.push({ headers: req.headers, body });
        if (holdBack) {
          res.writeHead(502, { 'content-type': 'application/json' }).end('{}');
          return;
        }
        void send(target, req.headers, body).then((answer) => {
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
        });
      });
    });
    gateway = await startGatewayOn(sys, { clients: await listenOnLoopback(proxy) }, 'proxied-gw', { now: () => clock.now });
  });
  afterAll(async () => {
    await gateway.close();
    await closeStandIn(proxy);
    await sys.close();
  });

  async function captureOne(): Promise<Captured> {
    captured.length = 0;
    const token = await sys.token({ product: 'PRD-CERTIFIED', now: clock.now });
    const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ client(clientId: "C-000001") { id name } }' }) });
    const body = (await res.json()) as { data?: { client?: { id?: string } } };
    // The real request went through the proxy and was served.
    expect([res.status, body.data?.client?.id]).toEqual([200, 'C-000001']);
    expect(captured).toHaveLength(1);
    expect(captured[0]!.headers[SIGNATURE_HEADER]).toMatch(/^v1;/);
    return captured[0]!;
  }

  const refusedAs = (answer: Answer) => [answer.status, answer.body.errors?.[0]?.extensions?.code, answer.body.errors?.[0]?.extensions?.reason];

  it('refuses the captured request replayed with the same headers and body', async () => {
    const original = await captureOne();
    expect(refusedAs(await send(sys.subgraphs.clients.url, original.headers, original.body))).toEqual([401, 'UNAUTHENTICATED', 'replayed']);
  });

  it('refuses the same headers with a different body', async () => {
    const original = await captureOne();
    const other = Buffer.from(original.body.toString('utf8').replace('C-000001', 'C-000002'));
    expect(other.equals(original.body)).toBe(false);
    expect(refusedAs(await send(sys.subgraphs.clients.url, original.headers, other))).toEqual([401, 'UNAUTHENTICATED', 'bad_signature']);
  });

  it('refuses the same headers sent to another subgraph', async () => {
    const original = await captureOne();
    // The accounts subgraph would refuse the assertion's audience; the signature names the subgraph too.
    const answer = await send(sys.subgraphs.accounts.url, original.headers, original.body);
    expect(answer.status).toBe(401);
  });

  it('refuses a request older than the acceptance window that the subgraph never saw', async () => {
    captured.length = 0;
    holdBack = true;
    try {
      const token = await sys.token({ product: 'PRD-CERTIFIED', now: clock.now });
      await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ client(clientId: "C-000001") { id } }' }) });
    } finally {
      holdBack = false;
    }
    expect(captured).toHaveLength(1);
    const held = captured[0]!;
    const at = clock.now;
    clock.now = at + 6_000;
    try {
      expect(refusedAs(await send(sys.subgraphs.clients.url, held.headers, held.body))).toEqual([401, 'UNAUTHENTICATED', 'stale']);
    } finally {
      clock.now = at;
    }
    // Delivered within the window, the same held-back request would have been accepted once.
    expect((await send(sys.subgraphs.clients.url, held.headers, held.body)).status).toBe(200);
  });


  it('refuses a request without a signature though its assertion is valid', async () => {
    const original = await captureOne();
    const { [SIGNATURE_HEADER]: _dropped, ...unsigned } = original.headers;
    expect(refusedAs(await send(sys.subgraphs.clients.url, unsigned, original.body))).toEqual([401, 'UNAUTHENTICATED', 'missing']);
  });
});
