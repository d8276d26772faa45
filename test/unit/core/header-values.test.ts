/**
 * headerValues (core/http.ts) reads one header's every value from the raw header lines; it must
 * give what Node's `headersDistinct` gives for that header, for a request as Node parsed it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { headerValues } from '../../../core/http.js';

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** Sends `head` (header lines, CRLF-separated) to a real server and returns the request Node parsed. */
async function parsed(head: string): Promise<IncomingMessage> {
  const got = new Promise<IncomingMessage>((resolve) => {
    server = createServer((req, res) => {
      resolve(req);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const socket = connect((server!.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(`GET /graphql HTTP/1.1\r\nHost: gw\r\n${head}\r\n\r\n`);
  const req = await got;
  socket.destroy();
  return req;
}

describe('headerValues', () => {
  it("gives every value of a header in order, whatever its name's case, as headersDistinct does", async () => {
    const req = await parsed(['Authorization: Bearer one', 'X-Other: 1', 'AUTHORIZATION: Bearer two', 'authorization: Bearer three', 'DPoP: proof', 'Authorizationx: no', 'Authorizatio: no'].join('\r\n'));
    expect(headerValues(req, 'authorization')).toEqual(['Bearer one', 'Bearer two', 'Bearer three']);
    expect(headerValues(req, 'dpop')).toEqual(['proof']);
    expect(headerValues(req, 'missing')).toBeUndefined();
    for (const name of ['authorization', 'dpop', 'x-other', 'authorizationx', 'missing']) expect(headerValues(req, name)).toEqual(req.headersDistinct[name]);
  });

  it('keeps an empty value, as Node does', async () => {
    const req = await parsed('Authorization:');
    expect(headerValues(req, 'authorization')).toEqual(['']);
    expect(headerValues(req, 'authorization')).toEqual(req.headersDistinct.authorization);
  });
});
