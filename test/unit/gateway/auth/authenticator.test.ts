import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { SignJWT, base64url, exportSPKI } from 'jose';
import { loadConfig } from '../../../../core/config.js';
import { createAuthenticator, type Authenticator } from '../../../../gateway/auth/authenticator.js';
import type { AuthResult } from '../../../../core/verified-token.js';
import { NOW_MS, NOW_S, authConfig, bearer, makeKey, productClaims, sign, type TestKey } from './fixtures.js';

/** A well-formed RFC 7638 thumbprint (cnf.jkt). */
const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';

let key: TestKey;
let otherKey: TestKey;
let rsaKey: TestKey;
let es384Key: TestKey;
let clockMs: number;
let auth: Authenticator;

beforeAll(async () => {
  [key, otherKey, rsaKey, es384Key] = await Promise.all([makeKey('ES256'), makeKey('ES256'), makeKey('RS256'), makeKey('ES384')]);
});

beforeEach(() => {
  clockMs = NOW_MS;
  auth = createAuthenticator({ auth: authConfig(), jwks: { keys: [key.publicJwk, rsaKey.publicJwk, es384Key.publicJwk] }, now: () => clockMs });
});

function codeOf(result: AuthResult): string {
  return result.ok ? 'OK' : result.denial.code;
}

const unsignedPart = (value: unknown): string => base64url.encode(JSON.stringify(value));

describe('refuses bad tokens', () => {
  const reasonOf = (result: AuthResult) => (result.ok ? 'OK' : (result.denial.details as { reason?: string } | undefined)?.reason);

  it('accepts one text per token: a signature whose spare base64url bits are set is refused (review s18c F4)', async () => {
    const token = await sign(key, productClaims());
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('OK');
    const [h, p, sig] = token.split('.') as [string, string, string];
    // An ES256 signature is 64 bytes: 86 characters, the last carrying 4 spare bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sig.at(-1)!);
    const variants = Array.from({ length: 15 }, (_, i) => `${h}.${p}.${sig.slice(0, -1)}${alphabet[(last & ~15) | (((last & 15) + i + 1) % 16)]}`);
    for (const variant of variants) expect(reasonOf(await auth.authenticate(bearer(variant)))).toBe('malformed');
    // A segment of a length no base64url text has.
    expect(reasonOf(await auth.authenticate(bearer(`${h}.${p}.${sig}AAA`)))).toBe('malformed');
  });

  it.each([['dpop+jwt'], ['JWT+DPOP'], ['id_token+jwt'], ['dsp-assertion+jwt'], [7]])('refuses a token whose typ is %j (review s18c F5)', async (typ) => {
    const token = await new SignJWT(productClaims()).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: typ as string }).sign(key.privateKey);
    expect(reasonOf(await auth.authenticate(bearer(token)))).toBe('typ');
  });

  it.each([['JWT'], ['jwt'], ['application/jwt'], ['at+jwt'], ['application/at+JWT'], [undefined]])('accepts typ %j', async (typ) => {
    const token = await new SignJWT(productClaims()).setProtectedHeader({ alg: key.alg, kid: key.kid, ...(typ ? { typ } : {}) }).sign(key.privateKey);
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('OK');
  });

  it('refuses a cnf naming another confirmation method beside jkt (review s18c F6)', async () => {
    const token = await sign(key, productClaims({ cnf: { jkt: JKT, 'x5t#S256': JKT } }));
    expect(reasonOf(await auth.authenticate(`DPoP ${token}`, { acceptDpop: true }))).toBe('claim_type');
  });

  it.each([[' '], ['\t\n'], ['a\nb'], ['alice\u202e'], ['\u200b'], ['a\u0000b'], ['a\u2028b'], ['\u3164'], ['\u2800'], ['alice\u034f'], ['alice\ufe0f'], ['a\ud800b'], ['a\ue000b'], ['alice\u{e0100}']])('refuses the sub %j (review s18c F9, s18d F9)', async (sub) => {
    expect(reasonOf(await auth.authenticate(bearer(await sign(key, productClaims({ sub })))))).toBe('claim_type');
  });

  it.each([['alice'], ['Émilie O\'Brien'], ['user 42'], ['李']])('accepts the sub %j', async (sub) => {
    expect(codeOf(await auth.authenticate(bearer(await sign(key, productClaims({ sub })))))).toBe('OK');
  });

  it('refuses a request without an Authorization header', async () => {
    expect(codeOf(await auth.authenticate(undefined))).toBe('UNAUTHENTICATED');
  });

  it('refuses an empty Authorization header', async () => {
    expect(codeOf(await auth.authenticate(''))).toBe('UNAUTHENTICATED');
  });

  it('refuses a scheme other than Bearer even with a good token', async () => {
    const token = await sign(key, productClaims());
    expect(codeOf(await auth.authenticate(`Basic ${token}`))).toBe('UNAUTHENTICATED');
  });

  it('refuses a bare token without the Bearer scheme', async () => {
    const token = await sign(key, productClaims());
    expect(codeOf(await auth.authenticate(token))).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['a word', 'not-a-jwt'],
    ['two segments', 'abc.def'],
    ['four segments', 'a.b.c.d'],
    ['non-base64url characters', 'a+b.c/d.e=f'],
    ['base64url segments that are not JSON', 'aGVsbG8.d29ybGQ.c2ln'],
  ])('refuses a token that is not a JWT (%s)', async (_label, token) => {
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses alg "none" with an empty signature', async () => {
    const token = `${unsignedPart({ alg: 'none', typ: 'JWT' })}.${unsignedPart(productClaims())}.`;
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses alg "none" with a made-up signature', async () => {
    const token = `${unsignedPart({ alg: 'none', typ: 'JWT' })}.${unsignedPart(productClaims())}.${base64url.encode('sig')}`;
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses HS256 signed with the public key bytes (algorithm confusion)', async () => {
    const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
    const token = await new SignJWT(productClaims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret);
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses HS256 signed with the public JWK as the secret', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const token = await new SignJWT(productClaims()).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret);
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses an algorithm outside the allow-list even when signed by a trusted key (ES384)', async () => {
    const token = await sign(es384Key, productClaims());
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
    const es384Allowed = createAuthenticator({ auth: authConfig({ algorithms: ['ES384'] }), jwks: { keys: [es384Key.publicJwk] }, now: () => clockMs });
    expect(codeOf(await es384Allowed.authenticate(bearer(token)))).toBe('OK');
  });

  it('refuses a token whose kid names no trusted key', async () => {
    const token = await sign(key, productClaims(), { kid: 'unknown-kid' });
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token signed by another key under a trusted kid', async () => {
    const token = await sign(otherKey, productClaims(), { kid: key.kid });
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const [h, , s] = (await sign(key, productClaims())).split('.');
    const forged = `${h}.${unsignedPart(productClaims({ software_id: 'PRD-ENHANCED' }))}.${s}`;
    expect(codeOf(await auth.authenticate(bearer(forged)))).toBe('UNAUTHENTICATED');
  });

  it('refuses an issuer not on the allow-list', async () => {
    expect(codeOf(await auth.authenticate(bearer(await sign(key, productClaims({ iss: 'evil-issuer' })))))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token without iss', async () => {
    const { iss: _iss, ...claims } = productClaims();
    expect(codeOf(await auth.authenticate(bearer(await sign(key, claims))))).toBe('UNAUTHENTICATED');
  });

  it('refuses the wrong audience', async () => {
    expect(codeOf(await auth.authenticate(bearer(await sign(key, productClaims({ aud: 'another-api' })))))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token without aud', async () => {
    const { aud: _aud, ...claims } = productClaims();
    expect(codeOf(await auth.authenticate(bearer(await sign(key, claims))))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token without exp', async () => {
    const { exp: _exp, ...claims } = productClaims();
    expect(codeOf(await auth.authenticate(bearer(await sign(key, claims))))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token without iat (the lifetime cannot be bounded)', async () => {
    const { iat: _iat, ...claims } = productClaims();
    expect(codeOf(await auth.authenticate(bearer(await sign(key, claims))))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token without sub', async () => {
    const { sub: _sub, ...claims } = productClaims();
    expect(codeOf(await auth.authenticate(bearer(await sign(key, claims))))).toBe('UNAUTHENTICATED');
  });

  it('refuses an expired token with TOKEN_EXPIRED', async () => {
    const token = await sign(key, productClaims({ iat: NOW_S - 1000, exp: NOW_S - 31 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('TOKEN_EXPIRED');
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    const token = await sign(key, productClaims({ iat: NOW_S - 900, exp: NOW_S - 10 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('OK');
  });

  it('refuses a token not yet valid (nbf beyond the clock tolerance)', async () => {
    const token = await sign(key, productClaims({ nbf: NOW_S + 31 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('accepts nbf ahead of the clock by less than the tolerance', async () => {
    const token = await sign(key, productClaims({ nbf: NOW_S + 20 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('OK');
  });

  it('refuses a lifetime (exp - iat) above the maximum', async () => {
    const token = await sign(key, productClaims({ iat: NOW_S, exp: NOW_S + 3601 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses an exp further ahead than the maximum lifetime, whatever iat says', async () => {
    const token = await sign(key, productClaims({ iat: NOW_S + 3000, exp: NOW_S + 3700 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses a token issued in the future beyond the tolerance', async () => {
    const token = await sign(key, productClaims({ iat: NOW_S + 600, exp: NOW_S + 900 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('accepts a lifetime of exactly the maximum', async () => {
    const token = await sign(key, productClaims({ iat: NOW_S, exp: NOW_S + 3600 }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('OK');
  });

  it('refuses a token larger than maxTokenBytes even though it is validly signed', async () => {
    const token = await sign(key, productClaims({ padding: 'x'.repeat(9000) }));
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
    const roomy = createAuthenticator({ auth: authConfig({ maxTokenBytes: 20_000 }), jwks: { keys: [key.publicJwk] }, now: () => clockMs });
    expect(codeOf(await roomy.authenticate(bearer(token)))).toBe('OK');
  });

  it.each([
    ['software_id a number', { software_id: 123 }],
    ['software_id null', { software_id: null }],
    ['software_version a number', { software_version: 2.1 }],
    ['org a number', { org: 12345679016 }],
    ['org not 11 digits', { org: '1234567901' }],
    ['org with letters', { org: '1234567901A' }],
    ['scope an array', { scope: ['clients.read'] }],
    ['roles a string', { software_id: undefined, roles: 'ato:admin' }],
    ['roles with a non-string', { software_id: undefined, roles: ['ato:admin', 7] }],
    ['amr a string', { amr: 'mfa' }],
    ['developer_id a number', { developer_id: 42 }],
    ['jti a number', { jti: 7 }],
    ['sub a number', { sub: 42 }],
    ['sub empty', { sub: '' }],
    ['iat a string', { iat: String(NOW_S) }],
  ])('refuses wrong claim types: %s', async (_label, extra) => {
    const token = await sign(key, JSON.parse(JSON.stringify(productClaims(extra))) as Record<string, unknown>);
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('UNAUTHENTICATED');
  });

  it('refuses a staff token (no software_id) without any role', async () => {
    const { software_id: _s, ...claims } = productClaims();
    expect(codeOf(await auth.authenticate(bearer(await sign(key, claims))))).toBe('UNAUTHENTICATED');
  });

  it('refuses a staff token whose only role is unknown', async () => {
    const { software_id: _s, ...claims } = productClaims({ roles: ['root'] });
    expect(codeOf(await auth.authenticate(bearer(await sign(key, claims))))).toBe('UNAUTHENTICATED');
  });

  it('never throws, even for a header of the wrong type', async () => {
    const result = await auth.authenticate(42 as unknown as string);
    expect(codeOf(result)).toBe('UNAUTHENTICATED');
  });
});

describe('maps good tokens', () => {
  it('accepts a product token and maps its claims', async () => {
    const result = await auth.authenticate(bearer(await sign(key, productClaims({ amr: ['pwd', 'mfa'] }))));
    expect(result).toEqual({
      ok: true,
      token: {
        sub: 'alice',
        iss: 'dsp-dev-issuer',
        jti: 'jti-1',
        exp: NOW_S + 900,
        softwareId: 'PRD-CERTIFIED',
        softwareVersion: '2.1.0',
        org: '12345679016',
        scopes: ['clients.read', 'lodgments.read'],
        roles: [],
        developerId: null,
        mfa: true,
        kind: 'product',
      },
      presentation: { scheme: 'Bearer', ath: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) },
    });
  });

  it('says how the token was presented: its scheme and ath (base64url SHA-256 of the token)', async () => {
    const token = await sign(key, productClaims({ cnf: { jkt: JKT } }));
    const result = await auth.authenticate(`DPoP ${token}`, { acceptDpop: true });
    expect(result).toMatchObject({ ok: true, token: { jkt: JKT }, presentation: { scheme: 'DPoP', ath: createHash('sha256').update(token).digest('base64url') } });
  });

  it('accepts an RS256 token from the allow-list', async () => {
    expect(codeOf(await auth.authenticate(bearer(await sign(rsaKey, productClaims()))))).toBe('OK');
  });

  it('accepts the Bearer scheme in any letter case', async () => {
    expect(codeOf(await auth.authenticate(`bearer ${await sign(key, productClaims())}`))).toBe('OK');
  });

  it('strips roles (and developer_id) from a product token', async () => {
    const result = await auth.authenticate(bearer(await sign(key, productClaims({ roles: ['ato:admin'], developer_id: 'DEV-GOOD', amr: ['pwd', 'mfa'] }))));
    expect(result.ok && { kind: result.token.kind, roles: result.token.roles, developerId: result.token.developerId }).toEqual({ kind: 'product', roles: [], developerId: null });
  });

  it('maps a staff token: known roles kept, unknown dropped, developer and mfa', async () => {
    const { software_id: _s, software_version: _v, org: _o, scope: _sc, ...claims } = productClaims({ roles: ['dsp:developer', 'root'], developer_id: 'DEV-GOOD', amr: ['pwd', 'mfa'] });
    const result = await auth.authenticate(bearer(await sign(key, claims)));
    expect(result.ok && result.token).toEqual({
      sub: 'alice',
      iss: 'dsp-dev-issuer',
      jti: 'jti-1',
      exp: NOW_S + 900,
      softwareId: null,
      softwareVersion: null,
      org: null,
      scopes: [],
      roles: ['dsp:developer'],
      developerId: 'DEV-GOOD',
      mfa: true,
      kind: 'staff',
    });
  });

  it('reports mfa false when amr lacks mfa, and a null jti when absent', async () => {
    const { jti: _j, ...claims } = productClaims({ amr: ['pwd'] });
    const result = await auth.authenticate(bearer(await sign(key, claims)));
    expect(result.ok && { mfa: result.token.mfa, jti: result.token.jti }).toEqual({ mfa: false, jti: null });
  });
});

describe('verified-token cache', () => {
  it('serves the second call with the same token from the cache', async () => {
    const header = bearer(await sign(key, productClaims()));
    const first = await auth.authenticate(header);
    const second = await auth.authenticate(header);
    expect([codeOf(first), codeOf(second)]).toEqual(['OK', 'OK']);
    expect(second.ok && second.token).toEqual(first.ok && first.token);
    expect(auth.stats()).toMatchObject({ hits: 1, misses: 1, size: 1 });
  });

  it('refuses a cached token once the clock passes its exp (the entry lapses with it)', async () => {
    const header = bearer(await sign(key, productClaims({ exp: NOW_S + 60 })));
    expect(codeOf(await auth.authenticate(header))).toBe('OK');
    clockMs = NOW_MS + (60 + 29) * 1000;
    expect(codeOf(await auth.authenticate(header))).toBe('OK');
    expect(auth.stats().hits).toBe(1);
    clockMs = NOW_MS + (60 + 31) * 1000;
    expect(codeOf(await auth.authenticate(header))).toBe('TOKEN_EXPIRED');
    expect(auth.stats()).toMatchObject({ hits: 1, size: 0 });
  });

  it('does not serve a token differing in one signature character from the cache', async () => {
    const token = await sign(key, productClaims());
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('OK');
    const [h, p, s] = token.split('.') as [string, string, string];
    const i = Math.floor(s.length / 2);
    const tampered = `${h}.${p}.${s.slice(0, i)}${s[i] === 'A' ? 'B' : 'A'}${s.slice(i + 1)}`;
    expect(codeOf(await auth.authenticate(bearer(tampered)))).toBe('UNAUTHENTICATED');
    expect(auth.stats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it('does not cache refused tokens', async () => {
    const header = bearer(await sign(key, productClaims({ aud: 'another-api' })));
    await auth.authenticate(header);
    await auth.authenticate(header);
    expect(auth.stats()).toMatchObject({ hits: 0, misses: 2, size: 0 });
  });

  it('caches nothing when tokenCacheSize is 0', async () => {
    const uncached = createAuthenticator({ auth: authConfig({ tokenCacheSize: 0 }), jwks: { keys: [key.publicJwk] }, now: () => clockMs });
    const header = bearer(await sign(key, productClaims()));
    expect([codeOf(await uncached.authenticate(header)), codeOf(await uncached.authenticate(header))]).toEqual(['OK', 'OK']);
    expect(uncached.stats()).toMatchObject({ hits: 0, misses: 2 });
  });

  it('hands out a cached token that cannot be modified by one request for the next', async () => {
    const header = bearer(await sign(key, productClaims()));
    const first = await auth.authenticate(header);
    if (!first.ok) throw new Error('expected OK');
    expect(() => first.token.scopes.push('accounts.read')).toThrow(TypeError);
    const second = await auth.authenticate(header);
    expect(second.ok && second.token.scopes).toEqual(['clients.read', 'lodgments.read']);
  });
});

describe('key sources', () => {
  let dir: string;
  const servers: Server[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'auth-test-'));
  });

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    const server = createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  }

  it('verifies with keys from a JWKS file', async () => {
    const file = join(dir, 'jwks.json');
    writeFileSync(file, JSON.stringify({ keys: [otherKey.publicJwk] }));
    // The file wins over the explicit set: only otherKey is trusted.
    const fromFile = createAuthenticator({ auth: authConfig({ jwksFile: file }), jwks: { keys: [key.publicJwk] }, now: () => clockMs });
    expect(fromFile.keySource).toBe('file');
    expect(codeOf(await fromFile.authenticate(bearer(await sign(otherKey, productClaims()))))).toBe('OK');
    expect(codeOf(await fromFile.authenticate(bearer(await sign(key, productClaims()))))).toBe('UNAUTHENTICATED');
  });

  it('throws at creation when the JWKS file is missing', () => {
    expect(() => createAuthenticator({ auth: authConfig({ jwksFile: join(dir, 'missing.json') }) })).toThrow();
  });

  it('throws at creation when the JWKS file holds a private key', async () => {
    const file = join(dir, 'private.json');
    const { exportJWK } = await import('jose');
    writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(key.privateKey)), kid: key.kid }] }));
    expect(() => createAuthenticator({ auth: authConfig({ jwksFile: file }) })).toThrow();
  });

  it('does not ask a failing issuer again for the backoff after a failure, however many tokens come (review s18c F3)', async () => {
    let fetches = 0;
    let status = 503;
    const url = await serve((_req, res) => {
      fetches++;
      if (status === 200) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] }));
      else res.writeHead(status).end();
    });
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs, remoteJwks: { failureBackoffMs: 10_000 } });
    for (let i = 0; i < 20; i++) expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims({ jti: `t-${i}` })))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(fetches).toBe(1);
    // Once the backoff has passed the issuer is asked again, and a recovered one serves.
    status = 200;
    clockMs += 9_999;
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
    clockMs += 1;
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('OK');
    expect(fetches).toBe(2);
  });

  it.each([
    ['a document over 256 KiB', () => JSON.stringify({ keys: [key.publicJwk], pad: 'x'.repeat(300 * 1024) })],
    ['more than 100 keys', () => JSON.stringify({ keys: Array.from({ length: 101 }, (_, i) => ({ ...key.publicJwk, kid: `k${i}` })) })],
  ])('refuses a remote key set of %s (review s18c F7)', async (_label, body) => {
    const text = body();
    const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(text));
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs });
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  it.each([['{"error":"maintenance"}'], ['{"keys":{}}'], ['{"keys":[1]}']])('treats a 200 answer %s that is no key set as a failure, and backs off (review s18d F3)', async (answer) => {
    let fetches = 0;
    const url = await serve((_req, res) => (fetches++, res.writeHead(200, { 'content-type': 'application/json' }).end(answer)));
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs });
    for (let i = 0; i < 10; i++) expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims({ jti: `t-${i}` }), { kid: `random-${i}` }))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
    expect(fetches).toBe(1);
  });

  it('refuses an oversized key set while reading it, without a content-length', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"keys":[${JSON.stringify(key.publicJwk)}],"pad":"`);
      for (let i = 0; i < 40; i++) res.write('x'.repeat(8192));
      res.end('"}');
    });
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs });
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  describe('several issuers, each with its own key set (review s18c F1)', () => {
    const PRODUCTS = 'https://products-idp.example';
    const STAFF = 'https://staff-idp.example';
    /** The products IdP issues product tokens only; the staff IdP the two ATO roles (not dsp:developer), unless told otherwise. */
    const GRANTS = JSON.stringify({ [PRODUCTS]: ['product'], [STAFF]: ['ato:admin', 'ato:auditor'] });
    const twoIssuers = (grants = GRANTS) => {
      const products = join(dir, 'products.json');
      const staff = join(dir, 'staff.json');
      writeFileSync(products, JSON.stringify({ keys: [key.publicJwk] }));
      writeFileSync(staff, JSON.stringify({ keys: [otherKey.publicJwk] }));
      const config = loadConfig({ TOKEN_ISSUER_KEYS: JSON.stringify({ [PRODUCTS]: products, [STAFF]: staff }), TOKEN_ISSUER_GRANTS: grants });
      return createAuthenticator({ auth: config.auth, now: () => clockMs });
    };
    const refusal = (result: AuthResult) => (result.ok ? 'OK' : [result.denial.code, result.denial.details]);
    const admin = (iss: string) => ({ ...productClaims({ iss }), software_id: undefined, software_version: undefined, org: undefined, scope: undefined, roles: ['ato:admin'], amr: ['mfa'] });

    it('verifies each issuer\'s tokens with its own keys', async () => {
      const both = twoIssuers();
      expect(both.keySource).toBe('issuers');
      expect(codeOf(await both.authenticate(bearer(await sign(key, productClaims({ iss: PRODUCTS })))))).toBe('OK');
      const staffToken = await both.authenticate(bearer(await sign(otherKey, admin(STAFF))));
      expect(staffToken.ok && staffToken.token.roles).toEqual(['ato:admin']);
    });

    it('names the issuer whose subject the token\'s sub is, from the cache too; a gateway with one issuer names none', async () => {
      const both = twoIssuers();
      const token = bearer(await sign(otherKey, admin(STAFF)));
      for (let i = 0; i < 2; i++) {
        const result = await both.authenticate(token);
        expect(result.ok && result.token.subjectIssuer).toBe(STAFF);
      }
      expect(both.stats().hits).toBe(1);
      const one = await auth.authenticate(bearer(await sign(key, productClaims())));
      expect(one.ok && 'subjectIssuer' in one.token).toBe(false);
    });

    it('refuses a token claiming one issuer signed with another issuer\'s key', async () => {
      const both = twoIssuers();
      const forged = await both.authenticate(bearer(await sign(key, admin(STAFF))));
      expect(forged.ok).toBe(false);
      expect(codeOf(await both.authenticate(bearer(await sign(otherKey, productClaims({ iss: PRODUCTS })))))).toBe('UNAUTHENTICATED');
    });

    it('refuses a token claiming what its issuer may not issue: a staff role from the products IdP, a product from the staff IdP, a role the staff IdP was not given', async () => {
      const both = twoIssuers();
      // Signed with the products IdP's own key, under its own name: valid, but a staff role is not the products IdP's to grant.
      expect(refusal(await both.authenticate(bearer(await sign(key, admin(PRODUCTS)))))).toEqual(['UNAUTHENTICATED', { reason: 'issuer_grant', claim: 'roles' }]);
      expect(refusal(await both.authenticate(bearer(await sign(otherKey, productClaims({ iss: STAFF })))))).toEqual(['UNAUTHENTICATED', { reason: 'issuer_grant', claim: 'software_id' }]);
      // One role it may not grant refuses the token, whatever else it holds.
      const developer = { ...admin(STAFF), roles: ['ato:auditor', 'dsp:developer'], developer_id: 'DEV-GOOD' };
      expect(refusal(await both.authenticate(bearer(await sign(otherKey, developer))))).toEqual(['UNAUTHENTICATED', { reason: 'issuer_grant', claim: 'roles' }]);
      // What each was granted still passes, and a grant list decides, not the issuer's name.
      expect(refusal(await both.authenticate(bearer(await sign(otherKey, { ...admin(STAFF), roles: ['ato:auditor'] }))))).toBe('OK');
      const open = twoIssuers(JSON.stringify({ [PRODUCTS]: ['product', 'ato:admin'], [STAFF]: ['ato:admin'] }));
      expect(refusal(await open.authenticate(bearer(await sign(key, admin(PRODUCTS)))))).toBe('OK');
    });

    it('will not trust several issuers without saying what each may issue', () => {
      const keys = JSON.stringify({ [PRODUCTS]: '/keys/products.json', [STAFF]: '/keys/staff.json' });
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys })).toThrow(/TOKEN_ISSUER_GRANTS: required with several issuers/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: JSON.stringify({ [PRODUCTS]: ['product'] }) })).toThrow(/TOKEN_ISSUER_GRANTS: names no grants for the trusted issuer https:\/\/staff-idp.example/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: JSON.stringify({ [PRODUCTS]: ['product'], [STAFF]: ['ato:root'] }) })).toThrow(/TOKEN_ISSUER_GRANTS \(https:\/\/staff-idp.example\): unknown grant ato:root/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: JSON.stringify({ [PRODUCTS]: ['product'], [STAFF]: [] }) })).toThrow(/TOKEN_ISSUER_GRANTS/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: JSON.stringify({ [PRODUCTS]: ['product'], [STAFF]: ['ato:admin'], 'https://other.example': ['product'] }) })).toThrow(/TOKEN_ISSUER_GRANTS: https:\/\/other.example is not a trusted issuer/);
      // One issuer may be limited too (a gateway for products only), or left to issue everything.
      expect(loadConfig({ TOKEN_ISSUER_GRANTS: JSON.stringify({ 'dsp-dev-issuer': ['product'] }) }).auth.issuerGrants).toEqual({ 'dsp-dev-issuer': ['product'] });
      expect(loadConfig({}).auth.issuerGrants).toBeNull();
      // Built by hand, past the configuration, the authenticator refuses too.
      const auth = { ...loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: GRANTS }).auth, issuerGrants: null };
      expect(() => createAuthenticator({ auth })).toThrow(/TOKEN_ISSUER_GRANTS: required with several issuers/);
    });

    it('holds the grants against tokens built to slip past them (review of f7766cc)', async () => {
      const both = twoIssuers();
      const reason = (result: AuthResult) => (result.ok ? 'OK' : (result.denial.details as { reason?: string } | undefined)?.reason);
      // A role spelt so the known-role filter drops it grants nothing, and does not hide the one it keeps.
      expect(reason(await both.authenticate(bearer(await sign(key, { ...admin(PRODUCTS), roles: ['ATO:ADMIN', 'ato:admin\u200b'] }))))).toBe('role');
      expect(reason(await both.authenticate(bearer(await sign(key, { ...admin(PRODUCTS), roles: ['ATO:ADMIN', 'ato:admin'] }))))).toBe('issuer_grant');
      // A granted role beside one the staff IdP lacks (dsp:developer), in either order and repeated.
      for (const roles of [['dsp:developer', 'ato:admin'], ['ato:admin', 'ato:admin', 'dsp:developer']]) {
        expect(reason(await both.authenticate(bearer(await sign(otherKey, { ...admin(STAFF), roles }))))).toBe('issuer_grant');
      }
      // A product token carrying staff roles is a product token with none.
      const productWithRoles = await both.authenticate(bearer(await sign(key, productClaims({ iss: PRODUCTS, roles: ['ato:admin'], developer_id: 'DEV-X' }))));
      expect(productWithRoles.ok && [productWithRoles.token.kind, productWithRoles.token.roles, productWithRoles.token.developerId]).toEqual(['product', [], null]);
      // A refused token is not cached: presented again it is refused again.
      const refusedToken = await sign(key, admin(PRODUCTS));
      for (let i = 0; i < 3; i++) expect(reason(await both.authenticate(bearer(refusedToken)))).toBe('issuer_grant');
      expect(both.stats().size).toBe(1);
      // An iss only like the staff IdP's has no keys; the staff IdP's name under the products key fails its signature.
      for (const iss of [`${STAFF}/`, STAFF.toUpperCase(), STAFF.replace('a', '\u0430')]) expect(reason(await both.authenticate(bearer(await sign(otherKey, admin(iss)))))).toBe('claims');
      expect(codeOf(await both.authenticate(bearer(await sign(key, admin(STAFF)))))).toBe('UNAUTHENTICATED');
      // The same token through a second authenticator with other grants is judged by that one's grants.
      const open = twoIssuers(JSON.stringify({ [PRODUCTS]: ['product', 'ato:admin'], [STAFF]: ['ato:admin'] }));
      expect(reason(await open.authenticate(bearer(refusedToken)))).toBe('OK');
      expect(reason(await both.authenticate(bearer(refusedToken)))).toBe('issuer_grant');
    });

    it('names every trusted issuer in the grants, even one called like an Object.prototype member (review of f7766cc)', async () => {
      const keys = JSON.stringify({ constructor: '/keys/a.json', [STAFF]: '/keys/staff.json' });
      // "constructor" in {...} is true through the prototype: the check must ask for an own key.
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: JSON.stringify({ [STAFF]: ['ato:admin'] }) })).toThrow(/names no grants for the trusted issuer constructor/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: JSON.stringify({ [STAFF]: ['ato:admin'], toString: ['product'] }) })).toThrow(/TOKEN_ISSUER_GRANTS/);
      // Likewise TOKEN_ISSUERS must name exactly TOKEN_ISSUER_KEYS' issuers.
      const two = JSON.stringify({ [PRODUCTS]: '/keys/products.json', [STAFF]: '/keys/staff.json' });
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: two, TOKEN_ISSUER_GRANTS: GRANTS, TOKEN_ISSUERS: `${STAFF},constructor` })).toThrow(/TOKEN_ISSUERS: must name exactly the issuers of TOKEN_ISSUER_KEYS/);
    });

    it('refuses an issuer the access record could not name as it is (review s22: two issuers could be recorded as one)', () => {
      const grantsFor = (issuers: string[]) => JSON.stringify(Object.fromEntries(issuers.map((i) => [i, ['product']])));
      for (const odd of [`${STAFF} `, `${STAFF}\u200b`, `${STAFF}/${'x'.repeat(300)}`]) {
        const keys = JSON.stringify({ [STAFF]: '/keys/staff.json', [odd]: '/keys/odd.json' });
        expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: grantsFor([STAFF, odd]) })).toThrow(/TOKEN_ISSUER_KEYS: the issuer .* must be printable text without surrounding spaces, at most 256 characters/);
      }
    });

    it('judges the grants only once the issuers are settled: a key problem is reported alone, not with grants against the default issuer', () => {
      const keys = JSON.stringify({ [PRODUCTS]: 'ftp://products-idp.example/jwks.json', [STAFF]: '/keys/staff.json' });
      let message = '';
      try {
        loadConfig({ TOKEN_ISSUER_KEYS: keys, TOKEN_ISSUER_GRANTS: GRANTS });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/TOKEN_ISSUER_KEYS \(https:\/\/products-idp.example\): must be an https URL/);
      expect(message).not.toMatch(/TOKEN_ISSUER_GRANTS/);
    });

    it('refuses an issuer it does not know, as the allow-list did', async () => {
      const result = await twoIssuers().authenticate(bearer(await sign(key, productClaims({ iss: 'https://other.example' }))));
      expect(result.ok ? null : [result.denial.code, result.denial.details]).toEqual(['UNAUTHENTICATED', { reason: 'claims', claim: 'iss' }]);
    });

    it('will not name one key set for two issuers (review s18d F8)', () => {
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: JSON.stringify({ [PRODUCTS]: '/k/shared.json', [STAFF]: '/k/shared.json' }) })).toThrow(/TOKEN_ISSUER_KEYS: each issuer needs a key set of its own/);
    });

    it('will not share one key set between several issuers', () => {
      expect(() => createAuthenticator({ auth: authConfig({ issuers: [PRODUCTS, STAFF] }), jwks: { keys: [key.publicJwk] } })).toThrow(/several issuers cannot share one key set/);
      expect(() => loadConfig({ TOKEN_ISSUERS: `${PRODUCTS},${STAFF}`, JWKS_FILE: join(dir, 'products.json') })).toThrow(/TOKEN_ISSUERS: several issuers cannot share one key set/);
    });

    it('reads TOKEN_ISSUER_KEYS strictly', () => {
      const keys = JSON.stringify({ [PRODUCTS]: '/keys/products.json', [STAFF]: 'https://staff-idp.example/jwks.json' });
      const grants = { TOKEN_ISSUER_GRANTS: GRANTS };
      expect(loadConfig({ TOKEN_ISSUER_KEYS: keys, ...grants }).auth.issuers).toEqual([PRODUCTS, STAFF]);
      expect(loadConfig({ TOKEN_ISSUER_KEYS: keys, ...grants, TOKEN_ISSUERS: `${STAFF},${PRODUCTS}` }).auth.issuers).toEqual([PRODUCTS, STAFF]);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, ...grants, TOKEN_ISSUERS: PRODUCTS })).toThrow(/TOKEN_ISSUERS: must name exactly the issuers of TOKEN_ISSUER_KEYS/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: keys, ...grants, JWKS_FILE: '/keys/jwks.json' })).toThrow(/TOKEN_ISSUER_KEYS and JWKS_FILE\/JWKS_URL: set one, not both/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: JSON.stringify({ [STAFF]: 'ftp://staff-idp.example/jwks.json' }) })).toThrow(/TOKEN_ISSUER_KEYS \(https:\/\/staff-idp.example\): must be an https URL/);
      const secret = Buffer.alloc(32, 7).toString('base64');
      const prod = { NODE_ENV: 'production', AUDIT_HMAC_KEY: secret, SUBGRAPH_MAC_KEY: secret, METRICS_BEARER: 'scrape-secret-0123456789' };
      expect(loadConfig({ ...prod, TOKEN_ISSUER_KEYS: keys, ...grants }).auth.issuers).toEqual([PRODUCTS, STAFF]);
      expect(() => loadConfig({ ...prod, TOKEN_ISSUER_KEYS: JSON.stringify({ [STAFF]: 'http://staff-idp.example/jwks.json' }) })).toThrow(/must be an https URL in production/);
      expect(() => loadConfig({ TOKEN_ISSUER_KEYS: '{"a":' })).toThrow(/TOKEN_ISSUER_KEYS/);
    });
  });

  it('throws at creation when no key source is configured', () => {
    expect(() => createAuthenticator({ auth: authConfig() })).toThrow();
  });

  it('verifies with keys fetched from a JWKS URL', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] }));
    });
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs });
    expect(remote.keySource).toBe('url');
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('OK');
    // A reachable provider that does not know the kid is the token's fault, not an outage.
    expect(codeOf(await remote.authenticate(bearer(await sign(otherKey, productClaims()))))).toBe('UNAUTHENTICATED');
  });

  it('does not honour a cached token past the remote key set cache age once the issuer withdrew its key', async () => {
    let keys = [key.publicJwk];
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    // jose's remote set times its cache with Date.now: it follows the test's clock here, so the set's
    // 1 ms age has passed whether or not a real millisecond has.
    const realNow = Date.now;
    Date.now = () => clockMs;
    try {
      const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs, remoteJwks: { cacheMaxAgeMs: 1, cooldownMs: 0 } });
      const token = bearer(await sign(key, productClaims()));
      expect(codeOf(await remote.authenticate(token))).toBe('OK');
      keys = [otherKey.publicJwk];
      clockMs += 5;
      expect(codeOf(await remote.authenticate(token))).toBe('UNAUTHENTICATED');
      expect(remote.stats().hits).toBe(0);
    } finally {
      Date.now = realNow;
    }
  });

  it("honours a cached token no longer than the key set it was verified with is trusted, counted from that set's fetch (review s17a F5)", async () => {
    let keys = [key.publicJwk];
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    const MIN = 60_000;
    // jose's remote set times its cache with Date.now: it follows the test's clock here.
    const realNow = Date.now;
    const start = clockMs;
    Date.now = () => clockMs;
    try {
      const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs, remoteJwks: { cacheMaxAgeMs: 10 * MIN } });
      expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims({ jti: 'first' })))))).toBe('OK'); // the set is fetched at t = 0
      keys = [otherKey.publicJwk]; // the issuer withdraws the key
      clockMs = start + 10 * MIN - 1_000; // the set fetched at t = 0 still holds it
      const late = bearer(await sign(key, productClaims({ jti: 'late' })));
      expect(codeOf(await remote.authenticate(late))).toBe('OK');
      clockMs = start + 10 * MIN + 1_000; // the set is 10 min old: the verification made with it lapses with it
      expect(codeOf(await remote.authenticate(late))).toBe('UNAUTHENTICATED');
    } finally {
      Date.now = realNow;
    }
  });

  it('answers AUTH_PROVIDER_UNAVAILABLE when the JWKS URL is unreachable (closed port)', async () => {
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: 'http://127.0.0.1:1/' }), now: () => clockMs });
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  it('answers AUTH_PROVIDER_UNAVAILABLE when the JWKS URL answers 500', async () => {
    const url = await serve((_req, res) => res.writeHead(500).end());
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs });
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  it('answers AUTH_PROVIDER_UNAVAILABLE when the JWKS URL serves something that is not a key set', async () => {
    const url = await serve((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello":"world"}'));
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs });
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });

  it('answers AUTH_PROVIDER_UNAVAILABLE when the JWKS URL does not answer in time', async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const remote = createAuthenticator({ auth: authConfig({ jwksUrl: url }), now: () => clockMs, remoteJwks: { timeoutMs: 200 } });
    expect(codeOf(await remote.authenticate(bearer(await sign(key, productClaims()))))).toBe('AUTH_PROVIDER_UNAVAILABLE');
  });
});

describe('DPoP-bound tokens (RFC 9449)', () => {
  it('refuses a bound token (cnf.jkt) presented as Bearer, with a DPoP challenge, also from the cache', async () => {
    const token = await sign(key, productClaims({ cnf: { jkt: JKT } }));
    await auth.authenticate(`DPoP ${token}`, { acceptDpop: true });
    for (let i = 0; i < 2; i++) {
      const result = await auth.authenticate(bearer(token));
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.denial).toMatchObject({ code: 'UNAUTHENTICATED', details: { reason: 'dpop', dpop: 'bound_token_as_bearer' } });
      expect(result.denial.headers?.['www-authenticate']).toMatch(/^DPoP .*algs="[^"]*ES256/);
    }
  });

  it('refuses the DPoP scheme where it is not accepted (not_bearer)', async () => {
    const token = await sign(key, productClaims({ cnf: { jkt: JKT } }));
    const result = await auth.authenticate(`DPoP ${token}`);
    expect(result.ok ? null : result.denial.details).toMatchObject({ reason: 'not_bearer' });
  });

  it('refuses a cnf claim without a well-formed jkt as a claim of the wrong type', async () => {
    for (const cnf of [{ jkt: 'short' }, { 'x5t#S256': 'abc' }, 'a-string']) {
      const result = await auth.authenticate(bearer(await sign(key, productClaims({ cnf }))));
      expect(result.ok ? null : result.denial.details).toMatchObject({ reason: 'claim_type', claims: ['cnf'] });
    }
  });
});

describe('authenticateNow: the answer at once when no signature needs verifying', () => {
  it('answers nothing for a token not yet verified; once verified, what authenticate answers, until it expires', async () => {
    const token = await sign(key, productClaims());
    expect(auth.authenticateNow!(bearer(token))).toBeNull(); // its signature must be verified first
    const verified = await auth.authenticate(bearer(token));
    expect(codeOf(verified)).toBe('OK');
    const now = auth.authenticateNow!(bearer(token));
    expect(now).toEqual(verified);
    expect(now).toEqual(await auth.authenticate(bearer(token)));
    // Past its expiry the cache no longer holds it: nothing at once, and verifying refuses it.
    clockMs = (productClaims().exp as number) * 1000 + 3_600_000;
    expect(auth.authenticateNow!(bearer(token))).toBeNull();
    expect(codeOf(await auth.authenticate(bearer(token)))).toBe('TOKEN_EXPIRED');
  });

  it('refuses a header on its form at once, with the reason authenticate gives', async () => {
    for (const header of [undefined, 'Basic abc', ['Bearer a.b.c', 'Bearer a.b.c'], 'Bearer not-a-jws']) {
      const now = auth.authenticateNow!(header);
      expect(now).not.toBeNull();
      expect(now).toEqual(await auth.authenticate(header));
    }
  });
});
