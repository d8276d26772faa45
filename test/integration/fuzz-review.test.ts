/**
 * Review: malformed requests across every endpoint the gateway serves, sent as raw HTTP (node:net)
 * where fetch would normalise them away. The standard: every malformed input is refused with a
 * coded 4xx (errors[].extensions.code), never a 500, never a bare status, never a dropped
 * connection (review s25, findings F1–F10).
 */
import { connect } from 'node:net';
import { httpStatusOf, type ErrorCode } from '../../core/errors.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

interface RawAnswer {
  status: number | null;
  headers: string;
  body: string;
}

/** Sends `data` as it stands and reads the answer until the server closes (every request says Connection: close). */
function raw(port: number, data: Buffer | string): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const [headers = '', ...rest] = text.split('\r\n\r\n');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      let body = rest.join('\r\n\r\n');
      // A chunked body: keep the chunks' data only.
      if (/transfer-encoding: chunked/i.test(headers)) body = body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '').replace(/\r\n$/, '');
      resolve({ status: status ? Number(status[1]) : null, headers, body });
    };
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', finish);
    socket.on('error', finish);
    // A guard only: every answer here ends with the server closing the connection.
    setTimeout(finish, 5000).unref();
    socket.write(data);
  });
}

function request(method: string, target: string, headers: Record<string, string> = {}, body = '', options: { host?: boolean } = {}): string {
  const lines = [`${method} ${target} HTTP/1.1`, ...(options.host === false ? [] : ['Host: 127.0.0.1']), 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const codeOf = (r: RawAnswer): string | null => {
  try {
    return (JSON.parse(r.body) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code ?? null;
  } catch {
    return null;
  }
};

describe('review: malformed requests get a coded 4xx', () => {
  let sys: TestSystem;
  let port: number;
  let auditor: string;
  let product: string;
  beforeAll(async () => {
    sys = await startTestSystem();
    port = sys.gateway.port;
    auditor = await sys.token({ roles: ['ato:auditor'], mfa: true });
    product = await sys.token({ product: 'PRD-CERTIFIED' });
  });
  afterAll(async () => {
    await sys.close();
  });

  // F1: a SafeInt argument given a literal the query planner cannot print back (Infinity) makes
  // @apollo/federation-internals throw a plain Error ("Invalid value, cannot be converted to AST"),
  // which filtering-gateway.ts `planned` re-throws and Apollo masks: a 500.
  it('refuses a SafeInt literal out of range with a 400, never a 500', async () => {
    for (const query of [
      '{ verifyAccessLog(chainId: "x", fromSeq: 1e400) { chainId } }',
      '{ verifyAccessLogs(trustedLedgerSeq: -1e400) { __typename } }',
      '{ verifyAccessLog(chainId: "x", fromSeq: [1e400]) { chainId } }',
      '{ verifyAccessLog(chainId: "x", fromSeq: { a: 1e400 }) { chainId } }',
      'query ($n: SafeInt = 1e400) { verifyAccessLog(chainId: "x", fromSeq: $n) { chainId } }',
    ]) {
      const r = await sys.gql(query, { token: auditor });
      expect([query, r.status, codesOf(r)]).toEqual([query, 400, ['GRAPHQL_VALIDATION_FAILED']]);
    }
  });

  // F2: the supergraph's SafeInt takes any variable value; JSON 1e400 (Infinity) is sent on to the
  // audit subgraph as null, so `fromSeq: $n` with n = 1e400 silently verifies from the start.
  it('refuses a SafeInt variable that is not a safe integer (Infinity) instead of sending null on', async () => {
    const query = `query ($n: SafeInt) { verifyAccessLog(chainId: ${JSON.stringify(sys.gateway.chainId)}, fromSeq: $n) { chainId } }`;
    for (const n of ['1e400', '-1e400']) {
      const r = await sys.post(`{"query":${JSON.stringify(query)},"variables":{"n":${n}}}`, { authorization: `Bearer ${auditor}` });
      expect([n, r.status, codesOf(r)]).toEqual([n, 400, ['BAD_USER_INPUT']]);
    }
  });

  // F3: Node answers an Expect it does not meet with a bare 417 (no body, no code).
  it('answers an unsupported Expect header with a coded error', async () => {
    for (const [target, headers, body] of [
      ['/graphql', { authorization: `Bearer ${product}`, 'content-type': 'application/json', expect: 'foo' }, '{"query":"{ __typename }"}'],
      ['/audit/export', { authorization: `Bearer ${auditor}`, 'content-type': 'application/x-www-form-urlencoded', expect: 'foo' }, 'format=csv'],
      ['/healthz', { expect: 'foo' }, ''],
    ] as const) {
      const r = await raw(port, request('POST', target, headers, body));
      expect([target, r.status! >= 400 && r.status! < 500, codeOf(r)]).toEqual([target, true, 'BAD_REQUEST']);
    }
  });

  // F4: an HTTP/1.1 request without Host gets Node's bare 400 (no body, no code).
  it('answers an HTTP/1.1 request without Host with a coded 400', async () => {
    const r = await raw(port, request('POST', '/graphql', { authorization: `Bearer ${product}`, 'content-type': 'application/json' }, '{"query":"{ __typename }"}', { host: false }));
    expect([r.status, codeOf(r)]).toEqual([400, 'BAD_REQUEST']);
  });

  // F5: CONNECT has no listener, so Node destroys the socket: no answer at all.
  it('answers CONNECT with a coded 4xx instead of dropping the connection', async () => {
    const r = await raw(port, 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n');
    expect([r.status, codeOf(r)]).toEqual([405, 'METHOD_NOT_ALLOWED']);
  });

  // F6: /healthz and /readyz answer any method (PUT, DELETE, POST with a body) with 200.
  it('refuses methods other than GET and HEAD on /healthz and /readyz', async () => {
    for (const path of ['/healthz', '/readyz']) {
      for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
        const r = await raw(port, request(method, path, { 'content-type': 'application/json' }, '{}'));
        expect([method, path, r.status, codeOf(r)]).toEqual([method, path, 405, 'METHOD_NOT_ALLOWED']);
        expect(r.headers.toLowerCase()).toContain('allow: get, head');
      }
    }
  });

  // F7: a mutation by GET is Apollo's 405 carrying BAD_REQUEST, which docs/errors.md gives 400
  // (METHOD_NOT_ALLOWED is the 405 code).
  it('answers a mutation sent by GET with a status that matches its code', async () => {
    const res = await fetch(`${sys.gateway.url}?query=${encodeURIComponent('mutation { __typename }')}`, { headers: { authorization: `Bearer ${product}`, 'apollo-require-preflight': 'true' } });
    const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
    const code = body.errors[0]!.extensions.code as ErrorCode;
    expect([code, res.status, httpStatusOf(code), res.headers.get('allow')]).toEqual(['METHOD_NOT_ALLOWED', 405, 405, 'POST']);
  });

  // F8: /graphql decodes a body that is not UTF-8 with U+FFFD in place of the bad bytes and serves
  // it; the export refuses the same body (BAD_REQUEST).
  it('refuses a /graphql body that is not well-formed UTF-8', async () => {
    for (const bad of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]]) {
      const body = Buffer.concat([Buffer.from('{"query":"{ __typename } # '), Buffer.from(bad), Buffer.from('"}')]);
      const res = await fetch(sys.gateway.url, { method: 'POST', headers: { authorization: `Bearer ${product}`, 'content-type': 'application/json' }, body });
      const json = (await res.json()) as { errors?: Array<{ extensions: { code: string } }> };
      expect([bad, res.status, json.errors?.[0]?.extensions.code]).toEqual([bad, 400, 'BAD_REQUEST']);
    }
  });

  // F9: the access-log filter's dates go through Date.parse, which rolls a date that does not exist
  // over (2026-02-30 is 2 March, T24:00 the next day): the export and accessLogs answer 200.
  it('refuses a filter date that does not exist', async () => {
    for (const from of ['2026-02-30', '2025-02-29', '2026-04-31T10:00Z', '2026-01-01T24:00Z']) {
      const r = await raw(port, request('POST', '/audit/export', { authorization: `Bearer ${auditor}`, 'content-type': 'application/x-www-form-urlencoded' }, `from=${encodeURIComponent(from)}`));
      expect([from, r.status, codeOf(r)]).toEqual([from, 400, 'BAD_USER_INPUT']);
      const q = await sys.gql('query ($f: AccessLogFilterInput) { accessLogs(filter: $f) { totalCount } }', { token: auditor, variables: { f: { from } } });
      expect([from, q.status, codesOf(q)]).toEqual([from, 400, ['BAD_USER_INPUT']]);
    }
  });

  // F10: the export refuses raw bytes that are not UTF-8, but not the same bytes percent-escaped, nor
  // malformed escapes: URLSearchParams turns them into U+FFFD or keeps them as they stand, and the
  // export runs with a criterion the auditor did not write.
  it('refuses export criteria with malformed or non-UTF-8 percent-escapes', async () => {
    for (const criteria of ['org=%FF', 'org=%ED%A0%80', 'org=%E0%A4%A', 'org=%zz', 'org=%']) {
      const post = await raw(port, request('POST', '/audit/export', { authorization: `Bearer ${auditor}`, 'content-type': 'application/x-www-form-urlencoded' }, criteria));
      expect([criteria, post.status, codeOf(post)]).toEqual([criteria, 400, 'BAD_REQUEST']);
      const get = await raw(port, request('GET', `/audit/export?${criteria}`, { authorization: `Bearer ${auditor}` }));
      expect([criteria, get.status, codeOf(get)]).toEqual([criteria, 400, 'BAD_REQUEST']);
    }
  });

  // F11 (GET /console/operations.json naming demo ids to anonymous callers) is held in
  // test/unit/console/index.test.ts: without the development tools nothing in it names one.
});
