/**
 * Review: a subgraph attacked directly over raw HTTP (node:net), bypassing the gateway. Each
 * malformed request must get a coded 4xx (errors[].extensions.code) or a clean close, never an
 * uncoded answer, a 500 or an error log, and the subgraph must serve a good signed request after.
 */
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAssertionSigner, type AssertionClaims } from '../../core/assertion.js';
import { ensureKeys, subgraphKeysOf, type DevKeyMaterial } from '../../core/keys.js';
import type { Logger } from '../../core/logger.js';
import { SERVER_TIMEOUTS } from '../../core/http.js';
import { createRequestSigner, SIGNATURE_HEADER } from '../../core/request-signature.js';
import { startSubgraph } from '../../subgraphs/catalog.js';
import type { RunningServer } from '../../subgraphs/shared/server.js';

const GOOD = '{"query":"{ serviceStatus { name } }"}';
const CLAIMS: AssertionClaims = { sub: 'fuzz', org: '12345678901', softwareId: 'PRD-CERTIFIED', softwareVersion: '1.0.0', developerId: 'DEV-1', tier: 'ENHANCED', roles: [], mfa: true, requestId: null };

describe('subgraph server under direct, malformed requests', () => {
  const clock = { now: Date.now() };
  const errors: unknown[] = [];
  let dir: string;
  let keys: DevKeyMaterial;
  let sub: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'subgraph-fuzz-'));
    keys = await ensureKeys(dir);
    const noop = () => undefined;
    const logger = { error: (...a: unknown[]) => void errors.push(a), warn: noop, info: noop, debug: noop, trace: noop, fatal: noop, child: () => logger } as unknown as Logger;
    sub = await startSubgraph('clients', { store: null, keys: subgraphKeysOf(keys), host: '127.0.0.1', port: 0, logger, now: () => clock.now });
  });
  afterAll(async () => {
    await sub?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function signed(body: string | Buffer, o: { method?: string; extra?: string; host?: boolean; assertionAt?: number } = {}): Promise<{ head: string; body: string }> {
    const method = o.method ?? 'POST';
    const at = o.assertionAt ?? clock.now;
    const token = await createAssertionSigner({ privateKey: keys.gateway.privateKey, kid: keys.gateway.kid, ttlS: 60, now: () => at }).sign('clients', CLAIMS);
    const auth = `Bearer ${token}`;
    const sig = createRequestSigner({ key: keys.subgraphMacKey, now: () => clock.now }).sign({ audience: 'clients', method, authorization: auth, body });
    const host = o.host === false ? '' : 'Host: 127.0.0.1\r\n';
    return { head: `${method} /graphql HTTP/1.1\r\n${host}Content-Type: application/json\r\nAuthorization: ${auth}\r\n${SIGNATURE_HEADER}: ${sig}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${o.extra ?? ''}Connection: close\r\n\r\n`, body: typeof body === 'string' ? body : '' };
  }

  /** Writes, then resolves with everything the server sent once it closes the connection. */
  function exchange(write: (s: Socket) => void): Promise<string> {
    return new Promise((resolve) => {
      const s = connect(sub.port, '127.0.0.1');
      let out = '';
      s.on('data', (d: Buffer) => (out += d.toString('latin1')));
      s.on('error', () => undefined);
      s.on('close', () => resolve(out));
      s.on('connect', () => write(s));
    });
  }
  const send = (text: string) => exchange((s) => s.write(text));

  function parse(raw: string): { status: number; codes: string[] } {
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
    const text = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    let codes: string[] = [];
    try {
      codes = ((JSON.parse(text) as { errors?: Array<{ extensions?: { code?: string } }> }).errors ?? []).map((e) => e.extensions?.code ?? '');
    } catch {
      codes = [];
    }
    return { status, codes };
  }

  async function stillServes(): Promise<void> {
    const r = await signed(GOOD);
    const raw = await send(r.head + r.body);
    expect(raw).toMatch(/^HTTP\/1\.1 200/);
    expect(raw).toContain('"serviceStatus":{"name":"clients"}');
  }

  it('answers an HTTP/1.1 request without Host with a coded 400', async () => {
    const r = await signed(GOOD, { host: false });
    expect(parse(await send(r.head + r.body))).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
    await stillServes();
  });

  it('answers an Expect other than 100-continue with a coded 400 (not a bare 417)', async () => {
    const r = await signed(GOOD, { extra: 'Expect: bogus\r\n' });
    expect(parse(await send(r.head + r.body))).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
    await stillServes();
  });

  it.each([
    ['two differing Content-Length', (h: string) => h.replace(/Content-Length: (\d+)/, 'Content-Length: $1\r\nContent-Length: 3')],
    ['Content-Length and chunked', (h: string) => h.replace(/Content-Length: (\d+)/, 'Content-Length: $1\r\nTransfer-Encoding: chunked')],
    ['an unknown method', (h: string) => h.replace(/^POST/, 'FOO')],
    ['a header without a colon', (h: string) => h.replace('Content-Type', 'broken\r\nContent-Type')],
  ])('answers malformed HTTP (%s) with a coded 400', async (_label, mangle) => {
    const r = await signed(GOOD);
    expect(parse(await send(mangle(r.head) + r.body))).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
    await stillServes();
  });

  it('answers headers too large with a coded 431', async () => {
    const r = await signed(GOOD, { extra: `X-Pad: ${'a'.repeat(40_000)}\r\n` });
    expect(parse(await send(r.head + r.body))).toEqual({ status: 431, codes: ['REQUEST_HEADER_FIELDS_TOO_LARGE'] });
    await stillServes();
  });

  it('closes quietly, without an error log or a 500, when the client resets mid-body', async () => {
    const r = await signed(GOOD);
    const closed = new Promise<void>((resolve) => sub.server.once('request', (req) => req.once('close', () => resolve())));
    const before = errors.length;
    const raw = await exchange((s) => s.write(r.head + r.body.slice(0, 5), () => setImmediate(() => s.resetAndDestroy())));
    await closed;
    // Let the handler's rejection run to its end.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(raw).toBe('');
    expect(errors.slice(before)).toEqual([]);
    await stillServes();
  });

  it('refuses an assertion that is not yet valid (issued a minute ahead of the subgraph clock)', async () => {
    const r = await signed(GOOD, { assertionAt: clock.now + 60_000 });
    expect(parse(await send(r.head + r.body))).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
    await stillServes();
  });

  it.each([
    ['an unknown __typename', [{ __typename: 'Nope' }]],
    ['no __typename', [{ id: 'C-000001' }]],
    ['__typename __proto__', [{ __typename: '__proto__' }]],
  ])('answers _entities with %s with BAD_USER_INPUT, not INTERNAL_SERVER_ERROR', async (_label, representations) => {
    const before = errors.length;
    const r = await signed(JSON.stringify({ query: 'query($r: [_Any!]!) { _entities(representations: $r) { __typename } }', variables: { r: representations } }));
    expect(parse(await send(r.head + r.body))).toEqual({ status: 400, codes: ['BAD_USER_INPUT'] });
    expect(errors.slice(before)).toEqual([]);
    await stillServes();
  });

  it('refuses a signed body that is not well-formed UTF-8 with a coded 400 (not decoded with U+FFFD)', async () => {
    // Valid JSON once the bad byte is replaced: before the check it was served with a 200.
    const body = Buffer.concat([Buffer.from('{"query":"{ serviceStatus { name } }","extensions":{"x":"'), Buffer.from([0xff]), Buffer.from('"}}')]);
    const r = await signed(body);
    const before = errors.length;
    expect(parse(await exchange((s) => s.write(Buffer.concat([Buffer.from(r.head, 'latin1'), body]))))).toEqual({ status: 400, codes: ['BAD_REQUEST'] });
    expect(errors.slice(before)).toEqual([]);
    await stillServes();
  });

  it("keeps the gateway's HTTP timeouts, not Node's defaults (a request trickled in holds a socket 30 s at most)", () => {
    expect({ keepAliveTimeout: sub.server.keepAliveTimeout, headersTimeout: sub.server.headersTimeout, requestTimeout: sub.server.requestTimeout, connectionsCheckingInterval: (sub.server as typeof sub.server & { connectionsCheckingInterval: number }).connectionsCheckingInterval }).toEqual(SERVER_TIMEOUTS);
  });
});
