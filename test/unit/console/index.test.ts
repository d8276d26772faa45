/**
 * The console's HTTP surface (console/index.ts, console/dev-tools.ts) on a loopback server: the
 * page under its Content-Security-Policy (the import map allowed by its hash, nothing else inline),
 * GET only for the files; where the development tools are off, none of their paths exists; where
 * they are on, every request to them, served or refused, is recorded first, and when the record
 * cannot be written no token leaves (AUDIT_UNAVAILABLE). Fakes stand in for the issuer and the
 * authenticator here; test/browser/console-*.test.ts and the integration test drive the real ones.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConsole } from '../../../console/index.js';
import { addressedHere, type DevAction, type DevToolsOptions } from '../../../console/dev-tools.js';
import type { VerifiedToken } from '../../../core/verified-token.js';
import type { DevTokenOptions } from '../../../gateway/auth/dev-tokens.js';

interface Recorded {
  action: DevAction;
  ip: string | undefined;
}

function staff(sub: string, roles: string[]): VerifiedToken {
  return { sub, iss: 'test', jti: `jti-${sub}`, exp: 2_000_000_000, softwareId: null, softwareVersion: null, org: null, scopes: [], roles, developerId: null, mfa: true, kind: 'staff' };
}

/** Tokens are `tok:<json of the sign options>`; the authenticator reads them back. */
function fakes(recorded: Recorded[], writable: () => boolean): DevToolsOptions {
  return {
    sign: async (o: DevTokenOptions) => `tok:${Buffer.from(JSON.stringify(o)).toString('base64url')}`,
    async authenticate(header) {
      const value = Array.isArray(header) ? header[0] : header;
      if (!value?.startsWith('Bearer tok:')) return { ok: false, denial: { code: 'UNAUTHENTICATED', message: 'no' } };
      const o = JSON.parse(Buffer.from(value.slice('Bearer tok:'.length), 'base64url').toString()) as DevTokenOptions;
      const presentation = { scheme: 'Bearer' as const, ath: 'ath' };
      if (o.product) return { ok: true, token: { ...staff(o.sub ?? 'p', []), softwareId: o.product, kind: 'product' }, presentation };
      return { ok: true, token: { ...staff(o.sub ?? 'x', [...(o.roles ?? [])]), mfa: !!o.mfa }, presentation };
    },
    now: () => 1_800_000_000_000,
    async record(req: IncomingMessage, _at, action) {
      if (!writable()) return null;
      recorded.push({ action, ip: req.socket.remoteAddress });
      return `req-${recorded.length}`;
    },
  };
}

async function serve(handle: (req: IncomingMessage, res: import('node:http').ServerResponse) => Promise<boolean>): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    void handle(req, res).then((done) => {
      if (!done) res.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const codeOf = async (res: Response) => ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code;

describe('the console without development tools (production, or a real issuer trusted)', () => {
  let url: string;
  let server: Server;
  beforeAll(async () => {
    ({ url, server } = await serve(createConsole({ devTools: null }).handle));
  });
  afterAll(() => server.close());

  it('serves the page under a CSP that allows this origin\'s scripts and the import map by its hash only', async () => {
    const res = await fetch(`${url}/console`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy')!;
    const importMap = /<script type="importmap">(.*?)<\/script>/s.exec(html)![1]!;
    const hash = `sha256-${createHash('sha256').update(importMap).digest('base64')}`;
    expect(csp).toContain(`script-src 'self' '${hash}';`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe');
    // The only inline script is the import map.
    expect([...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)].map((m) => m[0])).toEqual(['<script type="importmap">']);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('has no development paths, no explorer and says so in operations.json', async () => {
    for (const path of ['/console/dev/sign-in', '/console/dev/product-token']) expect([path, (await post(`${url}${path}`, { as: 'admin' })).status]).toEqual([path, 404]);
    expect((await fetch(`${url}/console/explorer/graphiql.js`)).status).toBe(404);
    const catalogue = (await (await fetch(`${url}/console/operations.json`)).json()) as { devTools: unknown; operations: Record<string, unknown> };
    expect(catalogue.devTools).toBeNull();
    expect(Object.keys(catalogue.operations)).toContain('register/Product');
  });

  // Read before sign-in: nothing in it names a product, a developer, an organisation or a client.
  const DEMO_IDS = /PRD-[A-Z0-9-]+|DEV-[A-Z0-9-]+|C-\d{6}|\b\d{11}\b|\b\d{9}\b/g;
  it('names no product, developer, organisation or client in operations.json', async () => {
    const text = await (await fetch(`${url}/console/operations.json`)).text();
    expect(text).toContain('"register/Product"');
    expect([...new Set(text.match(DEMO_IDS) ?? [])]).toEqual([]);
    expect(text).not.toMatch(/exampleVariables|Example variables/);
  });

  it('names none in any file it serves before sign-in (review s25 T4)', async () => {
    const files = readdirSync(new URL('../../../console/static/', import.meta.url)).filter((f) => /\.(js|css|html)$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['app.js', 'register.js', 'app.css', 'index.html']));
    for (const file of files) {
      const res = await fetch(`${url}/console/${file === 'index.html' ? '' : file}`);
      expect([file, res.status]).toEqual([file, 200]);
      expect([file, [...new Set((await res.text()).match(DEMO_IDS) ?? [])]]).toEqual([file, []]);
    }
  });

  it('answers GET and HEAD only for its files, 404 for anything else under /console, and leaves other paths alone', async () => {
    expect((await fetch(`${url}/console/app.js`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/console/app.js`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${url}/console/../gateway/server.ts`)).status).not.toBe(200);
    expect((await fetch(`${url}/console/nothing.js`)).status).toBe(404);
    expect((await fetch(`${url}/consoles`)).status).toBe(418);
  });
});

describe('the console\'s development tools', () => {
  let url: string;
  let server: Server;
  const recorded: Recorded[] = [];
  let writable = true;
  beforeAll(async () => {
    ({ url, server } = await serve(createConsole({ devTools: fakes(recorded, () => writable) }).handle));
  });
  afterAll(() => server.close());

  it('gives the explorer each operation\'s example variables (demo ids, development only), its document without the example line', async () => {
    const catalogue = (await (await fetch(`${url}/console/operations.json`)).json()) as { operations: Record<string, { exampleVariables?: Record<string, unknown>; document: string }> };
    const op = catalogue.operations['register/Product']!;
    expect(op.exampleVariables).toEqual({ id: expect.stringMatching(/^PRD-/) });
    expect(op.document).toMatch(/^# .*\n# Users: .*\nquery Product\(/);
  });
  beforeEach(() => {
    recorded.length = 0;
    writable = true;
  });

  it('signs in as a demo identity with MFA, and records the sign-in under the token it issued', async () => {
    const res = await post(`${url}/console/dev/sign-in`, { as: 'developer', name: 'jane' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-1');
    const { token } = (await res.json()) as { token: string };
    const claims = JSON.parse(Buffer.from(token.slice(4), 'base64url').toString()) as DevTokenOptions;
    expect(claims).toMatchObject({ roles: ['dsp:developer'], sub: 'jane', mfa: true, developer: 'DEV-GOOD', ttlS: 3600 });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.action).toMatchObject({ operationName: 'DevSignIn', status: 200, errorCodes: [], token: { sub: 'jane', roles: ['dsp:developer'], jti: 'jti-jane' } });
  });

  it('answers a sign-in only when it is addressed to this machine by localhost or an IP address (no rebound name), each attempt recorded', async () => {
    const port = new URL(url).port;
    const signInWithHost = (host: string) =>
      new Promise<{ status: number; code: unknown }>((resolve, reject) => {
        const body = JSON.stringify({ as: 'admin' });
        const req = request({ host: '127.0.0.1', port, path: '/console/dev/sign-in', method: 'POST', headers: { host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, code: (JSON.parse(text) as { errors?: Array<{ extensions: { code: string } }> }).errors?.[0]?.extensions.code }));
        });
        req.on('error', reject);
        req.end(body);
      });
    for (const host of ['attacker.example', `attacker.example:${port}`, 'localhost.attacker.example', '127.0.0.1.nip.io']) expect([host, await signInWithHost(host)]).toEqual([host, { status: 403, code: 'FORBIDDEN' }]);
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'gw.localhost', '10.0.0.5']) expect([host, (await signInWithHost(host)).status]).toEqual([host, 200]);
    expect(recorded.map((r) => r.action.status)).toEqual([403, 403, 403, 403, 200, 200, 200, 200, 200]);
    expect(addressedHere('gateway.example.gov.au:443', 'gateway.example.gov.au')).toBe(true);
    expect(addressedHere(undefined, null)).toBe(false);
  });

  it('refuses malformed requests with coded 4xx answers, each recorded', async () => {
    const cases: Array<[Promise<Response>, number, string]> = [
      [fetch(`${url}/console/dev/sign-in`), 405, 'METHOD_NOT_ALLOWED'],
      [post(`${url}/console/dev/sign-in`, { as: 'root' }), 400, 'BAD_REQUEST'],
      [post(`${url}/console/dev/sign-in`, { as: 'admin', name: 'a b' }), 400, 'BAD_REQUEST'],
      [post(`${url}/console/dev/sign-in`, '{bad'), 400, 'BAD_REQUEST'],
      [post(`${url}/console/dev/sign-in`, { as: 'admin' }, { 'content-type': 'text/plain' }), 400, 'BAD_REQUEST'],
      [post(`${url}/console/dev/sign-in`, { as: 'admin', name: 'x'.repeat(5000) }), 413, 'PAYLOAD_TOO_LARGE'],
      [post(`${url}/console/dev/other`, {}), 404, 'NOT_FOUND'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect([res.status, await codeOf(res)]).toEqual([status, code]);
    }
    expect(recorded.map((r) => [r.action.status, r.action.errorCodes, r.action.token])).toEqual(cases.map(([, status, code]) => [status, [code], null]));
  });

  it('mints a product token for an admin only, each attempt recorded under whoever asked', async () => {
    const admin = (await (await post(`${url}/console/dev/sign-in`, { as: 'admin', name: 'ann' })).json()) as { token: string };
    const auditor = (await (await post(`${url}/console/dev/sign-in`, { as: 'auditor', name: 'aud' })).json()) as { token: string };
    recorded.length = 0;
    const ask = (token: string | null, body: unknown = { productId: 'PRD-CERTIFIED', version: '2.0.0' }) => post(`${url}/console/dev/product-token`, body, token ? { authorization: `Bearer ${token}` } : {});

    let res = await ask(null);
    expect([res.status, await codeOf(res)]).toEqual([401, 'UNAUTHENTICATED']);
    res = await ask(auditor.token);
    expect([res.status, await codeOf(res)]).toEqual([403, 'ROLE_REQUIRED']);
    res = await ask(admin.token, { productId: 'PRD CERTIFIED' });
    expect([res.status, await codeOf(res)]).toEqual([400, 'BAD_REQUEST']);
    res = await ask(admin.token);
    expect(res.status).toBe(200);
    const minted = (await res.json()) as { token: string };
    // A product token cannot mint another.
    res = await ask(minted.token);
    expect([res.status, await codeOf(res)]).toEqual([403, 'ROLE_REQUIRED']);
    expect(JSON.parse(Buffer.from(minted.token.slice(4), 'base64url').toString())).toMatchObject({ product: 'PRD-CERTIFIED', version: '2.0.0', sub: 'console:ann', ttlS: 900 });
    expect(recorded.map((r) => [r.action.operationName, r.action.status, r.action.token?.sub ?? null])).toEqual([
      ['DevProductToken', 401, null],
      ['DevProductToken', 403, 'aud'],
      ['DevProductToken', 400, 'ann'],
      ['DevProductToken', 200, 'ann'],
      ['DevProductToken', 403, 'console:ann'],
    ]);
  });

  it('fails closed: when the record cannot be written no token leaves (AUDIT_UNAVAILABLE)', async () => {
    writable = false;
    const res = await post(`${url}/console/dev/sign-in`, { as: 'admin' });
    expect([res.status, await codeOf(res)]).toEqual([503, 'AUDIT_UNAVAILABLE']);
    expect(res.headers.get('x-request-id')).toBeNull();
    expect(recorded).toEqual([]);
  });
});
