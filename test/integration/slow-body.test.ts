/**
 * What was admitted when a request's headers came is judged again once its body has arrived,
 * which can take up to the server's request timeout (review s17a F2): a token that expired, or a
 * suspension that reached the gateway, while the body was on its way refuses the request, and so
 * does a key binding (review s19d: a bearer token stolen before setKeyBinding). And a
 * body refused as too large is not read again to describe what the request attempted.
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi, within } from '../helpers/registry-api.js';
import { recordsWithCode } from './support/rate-limit-expect.js';

const QUERY = JSON.stringify({ query: '{ client(clientId: "C-000001") { id name } }' });

describe('a request whose body arrives after the facts it was admitted on changed', () => {
  const clock = { now: Date.now() };
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({}, { now: () => clock.now });
  });
  afterAll(async () => {
    await sys.close();
  });

  /**
   * Sends the headers and the first bytes of the body; resolves once the gateway has admitted the
   * request and gone on to read the body (the audit capacity check, the stage before, was asked),
   * with `finish()`, which sends the rest and resolves with the answer.
   */
  async function slowPost(token: string, sent: { abort?: () => void } = {}): Promise<() => Promise<{ status: number; codes: string[]; data: unknown }>> {
    const writer = sys.gateway.writer;
    const accepting = writer.accepting.bind(writer);
    let reached!: () => void;
    const atBody = new Promise<void>((resolve) => (reached = resolve));
    const spy = jest.spyOn(writer, 'accepting').mockImplementation(() => (reached(), accepting()));
    const u = new URL(sys.gateway.url);
    let answer!: (v: { status: number; codes: string[]; data: unknown }) => void;
    const answered = new Promise<{ status: number; codes: string[]; data: unknown }>((resolve) => (answer = resolve));
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(QUERY), authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => {
        const body = JSON.parse(text) as { data?: unknown; errors?: Array<{ extensions?: { code?: string; dpop?: string } }> };
        answer({ status: res.statusCode ?? 0, codes: (body.errors ?? []).map((e) => `${e.extensions?.code ?? ''}${e.extensions?.dpop ? `:${e.extensions.dpop}` : ''}`), data: body.data ?? null });
      });
    });
    req.on('error', () => undefined);
    sent.abort = () => req.destroy();
    req.write(QUERY.slice(0, 10));
    await atBody;
    spy.mockRestore();
    return () => (req.end(QUERY.slice(10)), answered);
  }

  it('serves a slow body when nothing changed', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED', org: '12345679016', now: clock.now });
    const finish = await slowPost(token);
    const r = await finish();
    expect(r.status).toBe(200);
    expect(r.data).toEqual({ client: { id: 'C-000001', name: expect.any(String) } });
  });

  it('records a request whose client closed the connection mid-body, with who sent it (review s17b F2)', async () => {
    const token = await sys.token({ product: 'PRD-LIMITED', org: '12345679016', now: clock.now });
    const sent: { abort?: () => void } = {};
    await slowPost(token, sent);
    sent.abort!();
    // The gateway writes the record once it has seen the connection close: wait for that event.
    const found = async () => (await recordsWithCode(sys.store, 'BAD_REQUEST')).filter((r) => r.productId === 'PRD-LIMITED');
    expect(await within(10_000, async () => (await found()).length > 0)).toBeLessThan(Number.POSITIVE_INFINITY);
    expect((await found()).map((r) => [r.httpStatus, r.errorCodes, r.decision])).toEqual([[400, ['BAD_REQUEST'], 'DENIED']]);
  });

  it('refuses with TOKEN_EXPIRED when the token expired while the body was on its way', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED', org: '12345679016', ttlS: 60, now: clock.now });
    const finish = await slowPost(token);
    clock.now += 120_000; // past exp and the clock tolerance (30 s)
    await sys.gateway.snapshot.refresh();
    expect(await finish()).toEqual({ status: 401, codes: ['TOKEN_EXPIRED'], data: null });
  });

  it('refuses with PRODUCT_SUSPENDED when the product was suspended while the body was on its way', async () => {
    const api = registryApi(sys);
    const token = await sys.token({ product: 'PRD-CERTIFIED', org: '12345679016', now: clock.now });
    const finish = await slowPost(token);
    const rev = await api.revisionOf('product', 'PRD-CERTIFIED');
    ok(await api.admin('mutation ($rev: Int!) { suspendProduct(productId: "PRD-CERTIFIED", expectedRevision: $rev, reason: "Fraud suspected") { status } }', { rev }));
    await api.synced();
    expect(await finish()).toEqual({ status: 403, codes: ['PRODUCT_SUSPENDED'], data: null });
  });

  it('refuses a bearer token whose product was bound to a key while the body was on its way, as it refuses a new request (review s19d)', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jkt = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
    const api = registryApi(sys);
    const stolen = await sys.token({ product: 'PRD-LIMITED', scope: 'clients.read', now: clock.now });
    const finish = await slowPost(stolen);
    const rev = await api.revisionOf('product', 'PRD-LIMITED');
    const bind = `mutation ($id: ID!, $rev: Int!, $thumbprints: [String!]!) {
      setKeyBinding(productId: $id, expectedRevision: $rev, required: true, thumbprints: $thumbprints, reason: "Token stolen: bind to the product key", ticket: "INC-1") { revision }
    }`;
    ok(await api.admin(bind, { id: 'PRD-LIMITED', rev, thumbprints: [jkt] }));
    await api.synced();
    expect((await sys.gql('{ client(clientId: "C-000001") { id } }', { token: stolen })).status).toBe(401);
    expect(await finish()).toEqual({ status: 401, codes: ['UNAUTHENTICATED:binding_required'], data: null });
  });

});

describe('a body refused as too large (615e5b8)', () => {
  const LIMIT = 1024;
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ operationLimits: { maxBodyBytes: LIMIT } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('is not read again to describe its record: what follows the limit is a tail the client chose', async () => {
    const token = await sys.token({ product: 'PRD-LIMITED', org: '12345679016' });
    const writer = sys.gateway.writer;
    let appended = false;
    const append = writer.append.bind(writer);
    const spy = jest.spyOn(writer, 'append').mockImplementation((record) => ((appended = true), append(record)));
    let received: IncomingMessage | undefined;
    const onRequest = (r: IncomingMessage) => (received = r);
    sys.gateway.server.prependListener('request', onRequest);
    try {
      const u = new URL(sys.gateway.url);
      // No content-length: chunked, so the limit is found while reading, not from the header.
      const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } });
      const status = new Promise<number>((resolve) => req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0))));
      req.on('error', () => undefined);
      // Past the limit in one write, and not JSON by itself.
      req.write(`{"query":"{ __typename }","pad":"${'a'.repeat(LIMIT + 100)}`);
      // Either the record is written (the body is not read again), or the gateway listens to the
      // request again (a second 'data' listener: describing the attempt from what comes next).
      await new Promise<void>((resolve) => {
        const turn = () => (appended || (received?.listenerCount('data') ?? 0) >= 2 ? resolve() : setImmediate(turn));
        turn();
      });
      // The tail: a whole request on its own, naming a client PRD-LIMITED's org is not authorised for.
      req.end(JSON.stringify({ query: 'query Tail { client(clientId: "C-000100") { id } }' }));
      expect(await status).toBe(413);
    } finally {
      sys.gateway.server.removeListener('request', onRequest);
      spy.mockRestore();
    }
    const records = (await recordsWithCode(sys.store, 'PAYLOAD_TOO_LARGE')).filter((r) => r.productId === 'PRD-LIMITED');
    expect(records.map((r) => [r.httpStatus, r.operationName, r.coordinates, r.clientDigests])).toEqual([[413, null, [], []]]);
  });
});
