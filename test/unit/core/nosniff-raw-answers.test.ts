/**
 * Second review of 7f978e3: "every gateway answer says X-Content-Type-Options: nosniff". The
 * answers written outside the request handler (a malformed request's 400, an oversized header's
 * 431, the 408, CONNECT's 405, an unmet Expect's 400) do not. Session 31's attacker review: nor
 * did they say `Cache-Control: no-store`, which every other answer now says.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createGatewayServer, type GatewayServer } from '../../../gateway/routes.js';
import { createLogger } from '../../../core/logger.js';

let gw: GatewayServer;
let port: number;
beforeAll(async () => {
  gw = createGatewayServer({ graphql: async (_req, res) => void res.end('{}'), readiness: async () => ({ ready: true }), others: [] }, createLogger({ level: 'silent' } as never));
  await new Promise<void>((resolve) => gw.server.listen(0, '127.0.0.1', resolve));
  port = (gw.server.address() as AddressInfo).port;
});
afterAll(async () => {
  gw.server.closeAllConnections();
  await new Promise((resolve) => gw.server.close(resolve));
});

function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (text += d));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
}

describe('nosniff and no-store on the answers Node hands back to the gateway', () => {
  it.each([
    ['a malformed request (400)', 'GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n'],
    ['CONNECT (405)', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'],
    ['an unmet Expect (400)', 'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nConnection: close\r\n\r\n'],
  ])('%s', async (_what, request) => {
    const answer = await raw(request);
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    expect(answer.toLowerCase()).toContain('x-content-type-options: nosniff');
    // As every other answer (gateway/routes.ts): no cache may keep it, CONNECT's 405 included (cacheable by default, RFC 9110).
    expect(answer.toLowerCase()).toContain('cache-control: no-store');
  });
});
