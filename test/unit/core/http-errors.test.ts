/**
 * answerHttpErrorsCoded (core/http.ts) answers Node's request timeout with a coded 408. Node
 * reports a request that has not arrived in full within `requestTimeout` as a 'clientError' with
 * code ERR_HTTP_REQUEST_TIMEOUT on the request's socket; that event is emitted here as Node
 * emits it, so no test waits out a real timeout.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { answerHttpErrorsCoded, BodyAbortedError, readBody, readTextBody, SERVER_TIMEOUTS } from '../../../core/http.js';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

const TIMEOUT = () => Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' });
const MID_BODY = 'POST /graphql HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n{"qu';

/**
 * A server with the coded answers, a client that has sent `before`, and `err` emitted on the
 * request's socket as Node emits it; resolves with what the client read, and the handler's read
 * of the body (`read`; null when the headers never ended, so no handler ran).
 *
 * The client keeps its side open (allowHalfOpen) after the answer and sends one more byte: the
 * server must have let the socket go, not read on. Ending the server's side alone left the socket
 * open for as long as the client liked, and Node does not time a request again once it has timed
 * it out, so the client could send the rest of the body (the handler then ran the request
 * answered 408) or trickle headers forever.
 */
async function answerTo(err: NodeJS.ErrnoException, before: string, read: (req: IncomingMessage) => Promise<unknown> = (req) => readBody(req, 1_000)): Promise<{ answer: string; body: Promise<unknown> | null }> {
  let request: IncomingMessage | null = null;
  let body: Promise<unknown> | null = null;
  const handling = new Promise<void>((resolve) => {
    server = createServer((req) => {
      request = req;
      body = read(req).catch((e: unknown) => e);
      resolve();
    });
  });
  answerHttpErrorsCoded(server!);
  const accepted = new Promise<Socket>((resolve) => server!.once('connection', resolve));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const client = connect({ port: (server!.address() as AddressInfo).port, host: '127.0.0.1', allowHalfOpen: true });
  client.on('error', () => undefined);
  let answer = '';
  client.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
  const ended = new Promise<void>((resolve) => client.on('end', () => resolve()));
  const socket = await accepted;
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  client.write(before);
  // The request has begun to arrive (so the server is mid-request, as at a real timeout).
  if (before.includes('\r\n\r\n')) await handling;
  else await new Promise<void>((resolve) => socket.once('data', () => resolve()));
  server!.emit('clientError', err, socket);
  await ended;
  try {
    client.write('X');
    const outcome = await Promise.race([closed.then(() => 'closed'), new Promise<string>((resolve) => socket.once('data', () => resolve('still reading after its answer')))]);
    expect(outcome).toBe('closed');
    expect(request === null || (request as IncomingMessage).destroyed).toBe(true);
  } finally {
    // Also when an expectation fails: a socket left open would keep the server from closing.
    client.destroy();
    socket.destroy();
  }
  return { answer, body };
}

describe('the request timeout', () => {
  it(`is answered with 408 REQUEST_TIMEOUT, not a 400 "malformed" (requestTimeout ${SERVER_TIMEOUTS.requestTimeout} ms)`, async () => {
    const { answer } = await answerTo(TIMEOUT(), MID_BODY);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(body.errors).toEqual([{ message: 'The HTTP request did not arrive in full within 30 s.', extensions: { code: 'REQUEST_TIMEOUT' } }]);
    expect(answer).toMatch(/\r\nconnection: close\r\n/);
  });

  it('leaves other parse errors a coded 400', async () => {
    const { answer } = await answerTo(Object.assign(new Error('Parse Error: Invalid method encountered'), { code: 'HPE_INVALID_METHOD' }), MID_BODY);
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('"code":"BAD_REQUEST"');
  });
});

describe('the connection after a coded answer', () => {
  it('is closed after the 408 even if the client keeps its side open, and the handler reading the body is let go', async () => {
    const { answer, body } = await answerTo(TIMEOUT(), MID_BODY);
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(await body).toBeInstanceOf(BodyAbortedError);
  });

  it('is closed after the 408 on trickled headers (no handler yet) even if the client keeps its side open', async () => {
    const { answer, body } = await answerTo(TIMEOUT(), 'POST /graphql HTTP/1.1\r\nHost: gw\r\nX-a: b\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(body).toBeNull();
  });

  it('is closed after a 400 for malformed HTTP even if the client keeps its side open', async () => {
    const parse = Object.assign(new Error('Parse Error: Invalid method encountered'), { code: 'HPE_INVALID_METHOD' });
    const { answer } = await answerTo(parse, 'GET / HTTP/1.1\r\nHost: gw\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  it('leaves the handler reading the body a REQUEST_TIMEOUT refusal (its access record says what the client was told), not BAD_REQUEST', async () => {
    const { body } = await answerTo(TIMEOUT(), MID_BODY, (req) => readTextBody(req, 1_000));
    expect(await body).toEqual({ refusal: { code: 'REQUEST_TIMEOUT', message: 'The HTTP request did not arrive in full within 30 s.' } });
  });
});
