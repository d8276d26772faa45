/**
 * headerValues (core/http.ts) reads one header's every value from the raw header lines; it must
 * give what Node's `headersDistinct` gives for that header, for a request as Node parsed it.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { headerValues } from '../../../core/http.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** Sends `head` (header lines, CRLF-separated) to a real server and returns the request Node parsed. */
async function parsed(head: string): Promise<IncomingMessage> {
  let server!: Server;
  const got = new Promise<IncomingMessage>((resolve) => {
    // The gateway's header size limit (32 KiB), so a request of a thousand short lines is parsed.
    server = createServer({ maxHeaderSize: 32_768 }, (req, res) => {
      resolve(req);
      res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
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

describe('headerValues past Node\'s header-count limit (review s30)', () => {
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `x-f${i}: 1`);
  it('does not see an Authorization Node dropped (after 1,000 header lines)', async () => {
    const req = await parsed([...filler(1000), 'Authorization: Bearer a.b.c'].join('\r\n'));
    expect(req.rawHeaders.length).toBeGreaterThan(2000); // Node read it, and kept it out of headers
    expect(headerValues(req, 'authorization')).toEqual(req.headersDistinct.authorization);
    expect(headerValues(req, 'authorization')).toBeUndefined();
  });

  it('judges a long request on what Node kept, as before', async () => {
    const req = await parsed(['Authorization: Bearer a.b.c', ...filler(999), 'Authorization: Bearer x.y.z'].join('\r\n'));
    expect(headerValues(req, 'authorization')).toEqual(req.headersDistinct.authorization);
    // Below the limit every line counts: a repeated header is seen wherever it is.
    const shorter = await parsed(['Authorization: Bearer a.b.c', ...filler(150), 'Authorization: Bearer x.y.z'].join('\r\n'));
    expect(headerValues(shorter, 'authorization')).toEqual(['Bearer a.b.c', 'Bearer x.y.z']);
  });
});
