import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BodyAbortedError, BodyTooLargeError, readBody } from '../../../core/http.js';

/** A server that hands each request to the test, and a client that sends part of a body then resets. */
describe('readBody', () => {
  let port = 0;
  let next: ((req: IncomingMessage) => void) | null = null;
  const server = createServer((req, res) => {
    next?.(req);
    req.on('close', () => res.destroy());
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  /** The request as the server sees it, once the client's first bytes of body are sent. */
  function partRequest(): Promise<{ req: IncomingMessage; reset: () => void }> {
    return new Promise((resolve) => {
      next = (req) => {
        next = null;
        resolve({ req, reset: () => client.destroy() });
      };
      const client = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': '1000' } });
      client.on('error', () => undefined);
      client.write('{"query":');
    });
  }

  it('rejects with BodyAbortedError when the client closes mid-body', async () => {
    const { req, reset } = await partRequest();
    const read = readBody(req, 10_000);
    reset();
    await expect(read).rejects.toBeInstanceOf(BodyAbortedError);
  });

  it('rejects at once when called on a request already closed mid-body (its close would never come again)', async () => {
    const { req, reset } = await partRequest();
    const closed = new Promise((resolve) => req.on('close', resolve));
    reset();
    await closed;
    await expect(readBody(req, 10_000)).rejects.toBeInstanceOf(BodyAbortedError);
  });

  it('still refuses a declared body over the limit as too large', async () => {
    const { req, reset } = await partRequest();
    await expect(readBody(req, 10)).rejects.toBeInstanceOf(BodyTooLargeError);
    reset();
  });
});
