/**
 * Attacks on the DPoP key cache's idle expiry (gateway/auth/dpop.ts, commit a8f9435): the cache
 * keyed by algorithm and JWK thumbprint now forgets a key unused for `keyIdle.idleMs`, and
 * purgeStale() (called by the server's cache sweeper) reports the bytes it freed.
 *
 * The idle clock is injected; imports are counted through a spy on crypto.subtle.importKey
 * (jose imports a JWK through WebCrypto), so a test can tell a cached key from a re-imported one.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createCacheSweeper } from '../../../../core/idle-expiry.js';
import { accessTokenHash, signDpopProof, type ProofKey } from '../../../../gateway/auth/dev-dpop.js';
import { createDpopVerifier, type ProofCheck, type ReplayCache } from '../../../../gateway/auth/dpop.js';

const NOW_MS = Date.UTC(2026, 0, 1, 9, 0, 0);
const HTU = 'https://api.example.gov.au/graphql';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
const ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'];
const IDLE_MS = 1000;
const KEY_OVERHEAD_BYTES = 1024; // dpop.ts: a key is charged its JWK's JSON length plus this

type Key = ProofKey & { jkt: string };
async function newKey(alg: 'ES256' | 'EdDSA' | 'RS256' = 'ES256'): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}
const charged = (jwk: JWK) => JSON.stringify(jwk).length + KEY_OVERHEAD_BYTES;

function memoryReplay(): ReplayCache {
  const seen = new Set<string>();
  return { firstUse: async (k) => !seen.has(k) && Boolean(seen.add(k)) };
}

const proof = (k: Key, over: Partial<Parameters<typeof signDpopProof>[1]> = {}) => signDpopProof(k, { htm: 'POST', htu: HTU, accessToken: TOKEN, now: NOW_MS, ...over });
const check = (header: string, jkt: string): ProofCheck => ({ header, method: 'POST', htu: HTU, ath: accessTokenHash(TOKEN), jkt });
type Result = Awaited<ReturnType<ReturnType<typeof createDpopVerifier>['verify']>>;
const problemOf = (r: Result) => (r.ok ? 'OK' : `${r.denial.code}:${String(r.denial.details?.['dpop'] ?? r.denial.details?.['reason'])}`);

let monotonic = 1; // not 0: lru-cache treats an entry whose start time is 0 as one without a ttl
function verifierWithIdle() {
  return createDpopVerifier({ algorithms: ALGS, windowS: 60, replay: memoryReplay(), now: () => NOW_MS, keyIdle: { idleMs: IDLE_MS, now: () => monotonic } });
}

const subtle = globalThis.crypto.subtle;
const realImportKey = subtle.importKey.bind(subtle) as (...args: unknown[]) => Promise<CryptoKey>;
let jwkImports = 0;
let failNextImport = false;
beforeAll(() => {
  jest.spyOn(subtle, 'importKey').mockImplementation((async (...args: unknown[]) => {
    if (args[0] === 'jwk') {
      jwkImports += 1;
      if (failNextImport) {
        failNextImport = false;
        throw new Error('injected import failure');
      }
    }
    return realImportKey(...args);
  }) as unknown as typeof subtle.importKey);
});
afterAll(() => {
  jest.restoreAllMocks();
});

let a: Key;
let b: Key;
let rsa: Key;
beforeAll(async () => {
  a = await newKey();
  b = await newKey('EdDSA');
  rsa = await newKey('RS256');
});

describe('DPoP key cache idle expiry', () => {
  it('a key in use lives through any number of idle periods without being re-imported; an unused one is purged, freeing exactly what it was charged', async () => {
    monotonic = 1;
    const v = verifierWithIdle();
    const imports0 = jwkImports;
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    expect(problemOf(await v.verify(check(await proof(b), b.jkt)))).toBe('OK');
    expect(jwkImports - imports0).toBe(2);
    for (let i = 0; i < 20; i++) {
      monotonic += IDLE_MS; // exactly the idle time since the last use: not yet stale
      expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
      const freed = v.purgeStale();
      if (i === 1) expect(freed).toBe(charged(b.publicJwk)); // b, unused since the start: stale once more than the idle time has passed
      else expect(freed).toBe(0);
    }
    expect(jwkImports - imports0).toBe(2); // a never re-imported
    // b comes back: imported once more, verifies.
    expect(problemOf(await v.verify(check(await proof(b), b.jkt)))).toBe('OK');
    expect(jwkImports - imports0).toBe(3);
  });

  it('a stale key read before the sweep is re-imported and verifies; the sweep then frees nothing (never negative), and the sweeper sums what the caches freed', async () => {
    monotonic = 1;
    const v = verifierWithIdle();
    const sweeper = createCacheSweeper({ caches: [v], intervalMs: 1000, timer: false, collect: null });
    expect(sweeper.sweep().freedBytes).toBe(0); // empty
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    expect(problemOf(await v.verify(check(await proof(rsa), rsa.jkt)))).toBe('OK');
    monotonic += IDLE_MS + 1;
    const imports0 = jwkImports;
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK'); // stale: dropped on read, imported again
    expect(jwkImports - imports0).toBe(1);
    expect(sweeper.sweep().freedBytes).toBe(charged(rsa.publicJwk)); // only rsa is left stale
    expect(sweeper.sweep().freedBytes).toBe(0);
    monotonic += 10 * IDLE_MS;
    expect(v.purgeStale()).toBe(charged(a.publicJwk));
    expect(v.purgeStale()).toBe(0);
  });

  it('a clock that steps backwards neither makes purgeStale negative nor breaks verification; a key used again after the step is kept', async () => {
    monotonic = 1_000_000;
    const v = verifierWithIdle();
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    monotonic = 5; // backwards
    expect(v.purgeStale()).toBe(0);
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    monotonic = 5 + IDLE_MS;
    expect(v.purgeStale()).toBe(0);
    monotonic = 5 + IDLE_MS + 1;
    expect(v.purgeStale()).toBe(charged(a.publicJwk));
  });

  it('after expiry, re-imported keys are still checked: the bound key\'s JWK with another key\'s signature, another key, and an algorithm swap on a cached RSA key are all refused', async () => {
    monotonic = 1;
    const v = verifierWithIdle();
    const other = await newKey();
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    expect(problemOf(await v.verify(check(await proof(rsa), rsa.jkt)))).toBe('OK'); // cached as RS256:<jkt>
    monotonic += IDLE_MS + 1;
    expect(v.purgeStale()).toBeGreaterThan(0);
    // The bound key's JWK in the header, signed by another key: both right after expiry and once re-cached.
    for (let i = 0; i < 2; i++) {
      const forged = await signDpopProof({ ...other, publicJwk: a.publicJwk }, { htm: 'POST', htu: HTU, accessToken: TOKEN, now: NOW_MS });
      expect(problemOf(await v.verify(check(forged, a.jkt)))).toBe('UNAUTHENTICATED:proof_signature');
      expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    }
    expect(problemOf(await v.verify(check(await proof(other), a.jkt)))).toBe('UNAUTHENTICATED:proof_key_mismatch');
    // The RSA key is cached under RS256 again; a header claiming PS256 over an RS256 signature must not pass.
    expect(problemOf(await v.verify(check(await proof(rsa), rsa.jkt)))).toBe('OK');
    const rs256 = await proof(rsa);
    const [, payload, signature] = rs256.split('.');
    const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'PS256', jwk: rsa.publicJwk })).toString('base64url');
    const swapped = `${header}.${payload}.${signature}`;
    expect(problemOf(await v.verify(check(swapped, rsa.jkt)))).toBe('UNAUTHENTICATED:proof_signature');
    monotonic += IDLE_MS + 1;
    v.purgeStale();
    expect(problemOf(await v.verify(check(swapped, rsa.jkt)))).toBe('UNAUTHENTICATED:proof_signature');
  });

  it('an import that fails after expiry is a coded refusal (never a throw), is not cached, and the next proof imports and verifies', async () => {
    monotonic = 1;
    const v = verifierWithIdle();
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    monotonic += IDLE_MS + 1;
    expect(v.purgeStale()).toBe(charged(a.publicJwk));
    failNextImport = true;
    const imports0 = jwkImports;
    const refused = await v.verify(check(await proof(a), a.jkt));
    expect(problemOf(refused)).toBe('UNAUTHENTICATED:proof_malformed');
    expect(v.purgeStale()).toBe(0); // nothing was cached by the failed import
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    expect(jwkImports - imports0).toBe(2);
    monotonic += IDLE_MS + 1;
    expect(v.purgeStale()).toBe(charged(a.publicJwk));
  });

  it('the verdict on a proof does not depend on whether its key is cached: the same key with extra JWK members (outside the thumbprint) is judged alike before and after expiry', async () => {
    monotonic = 1;
    const v = verifierWithIdle();
    const withExtras: Key = { ...a, publicJwk: { ...a.publicJwk, use: 'sig', key_ops: ['verify'], kid: 'k1' } };
    const cold = problemOf(await v.verify(check(await proof(withExtras), a.jkt))); // imported from this JWK
    expect(cold).toBe('OK');
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK'); // the same key, plain JWK, served from the cache
    monotonic += IDLE_MS + 1;
    v.purgeStale();
    expect(problemOf(await v.verify(check(await proof(a), a.jkt)))).toBe('OK');
    expect(problemOf(await v.verify(check(await proof(withExtras), a.jkt)))).toBe(cold);
    // A JWK of another type under the same thumbprint cannot exist; a symmetric one is refused before the cache.
    const hs = await new SignJWT({ jti: 'x', htm: 'POST', htu: HTU, iat: NOW_MS / 1000, ath: accessTokenHash(TOKEN) })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'AAAA' } as never })
      .sign(new Uint8Array(32));
    expect(problemOf(await v.verify(check(hs, a.jkt)))).toBe('UNAUTHENTICATED:proof_malformed');
  });
});
