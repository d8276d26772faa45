/**
 * answerHttpErrorsCoded (core/http.ts) answers Node's request timeout with a coded 408. Node
 * reports a request that has not arrived in full within `requestTimeout` as a 'clientError' with
 * code ERR_HTTP_REQUEST_TIMEOUT on the request's socket; that event is emitted here as Node
 * emits it, so no test waits out a real timeout.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { answerHttpErrorsCoded, SERVER_TIMEOUTS } from '../../../core/http.js';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** A server with the coded answers; resolves with what the client read once the server ends the connection. */
async function answerTo(err: NodeJS.ErrnoException, before = 'POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n{"qu'): Promise<string> {
  server = createServer(() => undefined);
  answerHttpErrorsCoded(server);
  const accepted = new Promise<Socket>((resolve) => server!.once('connection', resolve));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  let answer = '';
  client.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => client.on('close', () => resolve()));
  const socket = await accepted;
  // The request has begun to arrive (so the server is mid-request, as at a real timeout).
  const arrived = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  client.write(before);
  await arrived;
  server.emit('clientError', err, socket);
  await ended;
  return answer;
}

describe('the request timeout', () => {
  it(`is answered with 408 REQUEST_TIMEOUT, not a 400 "malformed" (requestTimeout ${SERVER_TIMEOUTS.requestTimeout} ms)`, async () => {
    const answer = await answerTo(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }));
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors).toEqual([{ message: 'The HTTP request did not arrive in full within 30 s.', extensions: { code: 'REQUEST_TIMEOUT' } }]);
    expect(answer).toMatch(/\r\nconnection: close\r\n/);
  });

  it('leaves other parse errors a coded 400', async () => {
    const answer = await answerTo(Object.assign(new Error('Parse Error: Invalid method encountered'), { code: 'HPE_INVALID_METHOD' }));
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('"code":"BAD_REQUEST"');
  });
});
