/**
 * The gateway's HTTP surface (gateway/routes.ts), on a server of its own with stub routes: what
 * Node would otherwise answer itself, or not at all (review s25).
 */
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { SERVER_TIMEOUTS } from '../../../core/http.js';
import { createLogger } from '../../../core/logger.js';
import { createGatewayServer, type GatewayServer } from '../../../gateway/routes.js';

async function started(): Promise<{ gs: GatewayServer; port: number }> {
  const gs = createGatewayServer({ graphql: async (_req, res) => void res.end('{}'), readiness: async () => ({ ready: true }), others: [] }, createLogger({ level: 'silent', name: 'routes-test' }));
  await new Promise<void>((resolve) => gs.server.listen(0, '127.0.0.1', resolve));
  return { gs, port: (gs.server.address() as AddressInfo).port };
}

/** Sends a CONNECT and resolves with the client's socket once the whole answer is read; the client keeps its side open. */
function connectAndHold(port: number): Promise<{ socket: Socket; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let answer = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('utf8');
      const head = answer.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(answer)?.[1] ?? -1);
      if (head >= 0 && answer.length >= head + 4 + length) resolve({ socket, answer });
    });
    socket.write('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
  });
}

describe('CONNECT', () => {
  it('is answered with a coded 405, and its socket is let go once the answer is written', async () => {
    const { gs, port } = await started();
    const { socket, answer } = await connectAndHold(port);
    expect(answer).toMatch(/^HTTP\/1\.1 405 /);
    expect(answer).toContain('"code":"METHOD_NOT_ALLOWED"');
    // A client that keeps its side open does not hold the server: close() completes (a graceful
    // shutdown waits for it), which a half-closed socket would prevent for ever.
    await new Promise<void>((resolve, reject) => gs.server.close((err) => (err ? reject(err) : resolve())));
    socket.destroy();
  });

  it('survives an error on a CONNECT socket (a reset by the client) instead of ending the process', async () => {
    const { gs, port } = await started();
    // After the gateway's own handler: the socket fails as a reset does. Without a listener of the
    // gateway's on it, the 'error' event would be unhandled (an uncaught exception: the process ends).
    let listening = -1;
    const failed = new Promise<void>((resolve) => {
      gs.server.on('connect', (_req, socket: Socket) => {
        // Node took its own 'error' listener off this socket before 'connect': the gateway's must be there.
        listening = socket.listenerCount('error');
        socket.on('close', () => resolve());
        if (listening > 0) socket.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
        else socket.destroy();
      });
    });
    const client = connect({ port, host: '127.0.0.1' });
    client.on('error', () => undefined);
    client.write('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
    await failed;
    client.destroy();
    expect(listening).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect([res.status, await res.text()]).toEqual([200, '{"status":"ok"}']);
    gs.server.closeAllConnections();
    await new Promise<void>((resolve) => gs.server.close(() => resolve()));
  });
});

describe('HTTP timeouts', () => {
  it("are SERVER_TIMEOUTS, the subgraphs' too, not Node's defaults (300 s for a request to arrive, 5 s keep-alive)", () => {
    const gs = createGatewayServer({ graphql: async (_req, res) => void res.end('{}'), readiness: async () => ({ ready: true }), others: [] }, createLogger({ level: 'silent', name: 'routes-test' }));
    expect({ keepAliveTimeout: gs.server.keepAliveTimeout, headersTimeout: gs.server.headersTimeout, requestTimeout: gs.server.requestTimeout, connectionsCheckingInterval: (gs.server as typeof gs.server & { connectionsCheckingInterval: number }).connectionsCheckingInterval }).toEqual(SERVER_TIMEOUTS);
    // Above requestTimeout, Node swaps the two (the whole request would get the headers' time).
    expect(SERVER_TIMEOUTS.headersTimeout).toBeLessThanOrEqual(SERVER_TIMEOUTS.requestTimeout);
    expect(SERVER_TIMEOUTS.requestTimeout).toBe(30_000);
    // Node checks both only every connectionsCheckingInterval (its default, 30 s, let a request take 60 s).
    expect(SERVER_TIMEOUTS.connectionsCheckingInterval).toBeLessThanOrEqual(1_000);
  });
});

describe('/healthz', () => {
  it('answers 200 while every part is alive, and 503 once one has stopped for good (a liveness probe then restarts the process)', async () => {
    let alive = true;
    const gs = createGatewayServer({ graphql: async (_req, res) => void res.end('{}'), readiness: async () => ({ ready: true }), alive: () => alive, others: [] }, createLogger({ level: 'silent', name: 'routes-test' }));
    await new Promise<void>((resolve) => gs.server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(gs.server.address() as AddressInfo).port}/healthz`;
      const before = await fetch(url);
      expect([before.status, await before.json()]).toEqual([200, { status: 'ok' }]);
      alive = false;
      const after = await fetch(url);
      expect([after.status, await after.json()]).toEqual([503, { status: 'failed' }]);
    } finally {
      await new Promise<void>((resolve) => gs.server.close(() => resolve()));
    }
  });
});
