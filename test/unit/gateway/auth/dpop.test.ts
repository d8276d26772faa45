import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { RateLimiterRes } from 'rate-limiter-flexible';
import type { Presentation, VerifiedToken } from '../../../../core/verified-token.js';
import { accessTokenHash, signDpopProof, type ProofKey } from '../../../../gateway/auth/dev-dpop.js';
import { createDpopVerifier, createStoreReplayCache, DPOP_MAX_PROOF_BYTES, normalisedHtu, senderConstraintFor, type ProofCheck, type ReplayCache } from '../../../../gateway/auth/dpop.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';

const NOW_MS = Date.UTC(2026, 0, 1, 9, 0, 0);
const HTU = 'https://api.example.gov.au/graphql';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
const ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'];

async function newKey(alg: 'ES256' | 'EdDSA' | 'RS256' = 'ES256'): Promise<ProofKey & { jkt: string }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/** A replay cache in memory (the store-backed one is tested below). */
function memoryReplay(): ReplayCache {
  const seen = new Set<string>();
  return { firstUse: async (key) => !seen.has(key) && Boolean(seen.add(key)) };
}

let key: Awaited<ReturnType<typeof newKey>>;
let otherKey: Awaited<ReturnType<typeof newKey>>;
let clock = NOW_MS;
const verifier = () => createDpopVerifier({ algorithms: ALGS, windowS: 60, replay: memoryReplay(), now: () => clock });

beforeAll(async () => {
  key = await newKey();
  otherKey = await newKey();
});
beforeEach(() => {
  clock = NOW_MS;
});

const proof = (over: Parameters<typeof signDpopProof>[1] extends infer O ? Partial<O> : never = {}, k: ProofKey = key) =>
  signDpopProof(k, { htm: 'POST', htu: HTU, accessToken: TOKEN, now: NOW_MS, ...over });
const check = (header: ProofCheck['header'], over: Partial<ProofCheck> = {}): ProofCheck => ({ header, method: 'POST', htu: HTU, ath: accessTokenHash(TOKEN), jkt: key.jkt, ...over });
const problemOf = (r: Awaited<ReturnType<ReturnType<typeof createDpopVerifier>['verify']>>) => (r.ok ? 'OK' : `${r.denial.code}:${String(r.denial.details?.['dpop'] ?? r.denial.details?.['reason'])}`);

describe('DPoP proof verification', () => {
  it('accepts a proof for this method, URL, token and key', async () => {
    expect(problemOf(await verifier().verify(check(await proof())))).toBe('OK');
  });

  it('accepts EdDSA and RS256 proofs', async () => {
    for (const k of [await newKey('EdDSA'), await newKey('RS256')]) {
      expect(problemOf(await verifier().verify(check(await proof({}, k), { jkt: k.jkt })))).toBe('OK');
    }
  });

  it('refuses a missing proof, and more than one DPoP header', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(undefined)))).toBe('UNAUTHENTICATED:proof_missing');
    expect(problemOf(await v.verify(check('')))).toBe('UNAUTHENTICATED:proof_missing');
    expect(problemOf(await v.verify(check([await proof(), await proof()])))).toBe('UNAUTHENTICATED:proof_ambiguous');
  });

  it('refuses garbage and huge headers as malformed, never throwing', async () => {
    const v = verifier();
    for (const garbage of ['x', 'a.b', 'a.b.c', '....', `${'a'.repeat(DPOP_MAX_PROOF_BYTES)}.b.c`, 'ü.ü.ü', `${base64url.encode('{"typ":"dpop+jwt"')}.e30.c2ln`, `${base64url.encode('[]')}.e30.c2ln`]) {
      expect(problemOf(await v.verify(check(garbage)))).toBe('UNAUTHENTICATED:proof_malformed');
    }
  });

  it('refuses a proof with the wrong typ, an algorithm not accepted, no jwk, or a private jwk', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(await proof({ extraHeader: { typ: 'JWT' } }))))).toBe('UNAUTHENTICATED:proof_malformed');
    expect(problemOf(await v.verify(check(await proof({ extraHeader: { jwk: undefined } }))))).toBe('UNAUTHENTICATED:proof_malformed');
    const privateJwk = await exportJWK(key.privateKey);
    expect(problemOf(await v.verify(check(await proof({ extraHeader: { jwk: privateJwk } }))))).toBe('UNAUTHENTICATED:proof_malformed');
    // HS256 with the public key's bytes as the secret: a symmetric algorithm is never accepted.
    const hs = await new SignJWT({ jti: 'j', htm: 'POST', htu: HTU, iat: NOW_MS / 1000, ath: accessTokenHash(TOKEN) })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk })
      .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
    expect(problemOf(await v.verify(check(hs)))).toBe('UNAUTHENTICATED:proof_malformed');
    const es256Only = createDpopVerifier({ algorithms: ['ES256'], windowS: 60, replay: memoryReplay(), now: () => clock });
    const ed = await newKey('EdDSA');
    expect(problemOf(await es256Only.verify(check(await proof({}, ed), { jkt: ed.jkt })))).toBe('UNAUTHENTICATED:proof_malformed');
  });

  it('refuses a proof signed by another key than the token is bound to', async () => {
    expect(problemOf(await verifier().verify(check(await proof({}, otherKey))))).toBe('UNAUTHENTICATED:proof_key_mismatch');
  });

  it('refuses a proof whose jwk is the bound key but whose signature is by another', async () => {
    const forged = await signDpopProof({ ...otherKey, publicJwk: key.publicJwk }, { htm: 'POST', htu: HTU, accessToken: TOKEN, now: NOW_MS });
    expect(problemOf(await verifier().verify(check(forged)))).toBe('UNAUTHENTICATED:proof_signature');
  });

  it('still checks the signature once the key is cached from an earlier good proof', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(await proof())))).toBe('OK');
    const forged = await signDpopProof({ ...otherKey, publicJwk: key.publicJwk }, { htm: 'POST', htu: HTU, accessToken: TOKEN, now: NOW_MS });
    expect(problemOf(await v.verify(check(forged)))).toBe('UNAUTHENTICATED:proof_signature');
  });

  it('drops an imported key unused for the idle time (purgeStale), and keeps one still in use', async () => {
    let monotonic = 0;
    const v = createDpopVerifier({ algorithms: ALGS, windowS: 60, replay: memoryReplay(), now: () => clock, keyIdle: { idleMs: 1000, now: () => monotonic } });
    expect((await v.verify(check(await proof()))).ok).toBe(true);
    monotonic = 999;
    expect(v.purgeStale()).toBe(0);
    expect((await v.verify(check(await proof()))).ok).toBe(true); // used again: its idle time starts over
    monotonic = 1998;
    expect(v.purgeStale()).toBe(0);
    monotonic = 1999 + 1000;
    expect(v.purgeStale()).toBeGreaterThan(1024); // the JWK's size plus the imported key's overhead
    expect(v.purgeStale()).toBe(0);
    // Imported again on the next proof, which verifies as before.
    expect((await v.verify(check(await proof()))).ok).toBe(true);
  });

  it('refuses a proof for another method or URL', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(await proof({ htm: 'GET' }))))).toBe('UNAUTHENTICATED:proof_htm');
    expect(problemOf(await v.verify(check(await proof({ htm: 'post' }))))).toBe('UNAUTHENTICATED:proof_htm');
    expect(problemOf(await v.verify(check(await proof({ htu: 'https://api.example.gov.au/other' }))))).toBe('UNAUTHENTICATED:proof_htu');
    expect(problemOf(await v.verify(check(await proof({ htu: 'https://evil.example/graphql' }))))).toBe('UNAUTHENTICATED:proof_htu');
    expect(problemOf(await v.verify(check(await proof({ extraClaims: { htu: 42 } }))))).toBe('UNAUTHENTICATED:proof_malformed');
  });

  it('compares htu after normalisation, without query or fragment', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(await proof({ htu: 'HTTPS://API.example.gov.au:443/graphql?x=1#f' }))))).toBe('OK');
    expect(normalisedHtu('http://localhost:80/graphql')).toBe('http://localhost/graphql');
    expect(normalisedHtu('not a url')).toBeNull();
  });

  it('refuses a proof issued outside the window, either way, and accepts one at its edge', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(await proof({ now: NOW_MS - 61_000 }))))).toBe('UNAUTHENTICATED:proof_iat');
    expect(problemOf(await v.verify(check(await proof({ now: NOW_MS + 61_000 }))))).toBe('UNAUTHENTICATED:proof_iat');
    expect(problemOf(await v.verify(check(await proof({ now: NOW_MS - 60_000 }))))).toBe('OK');
    clock = NOW_MS + 120_000;
    expect(problemOf(await v.verify(check(await proof())))).toBe('UNAUTHENTICATED:proof_iat');
  });

  it('names a claim of the wrong type (malformed) and an exp/nbf the clock is outside (iat), not the signature', async () => {
    const v = verifier();
    const nowS = NOW_MS / 1000;
    expect(problemOf(await v.verify(check(await proof({ extraClaims: { iat: String(nowS) } }))))).toBe('UNAUTHENTICATED:proof_malformed');
    expect(problemOf(await v.verify(check(await proof({ extraClaims: { exp: 'soon' } }))))).toBe('UNAUTHENTICATED:proof_malformed');
    expect(problemOf(await v.verify(check(await proof({ extraClaims: { exp: nowS - 3600 } }))))).toBe('UNAUTHENTICATED:proof_iat');
    expect(problemOf(await v.verify(check(await proof({ extraClaims: { nbf: nowS + 3600 } }))))).toBe('UNAUTHENTICATED:proof_iat');
    // A signature by another key than the jwk's is still a bad signature.
    const forged = await proof({}, { ...otherKey, publicJwk: key.publicJwk });
    expect(problemOf(await v.verify(check(forged)))).toBe('UNAUTHENTICATED:proof_signature');
  });

  it('refuses a proof for another access token (ath), or without ath', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(await proof({ accessToken: `${TOKEN}x` }))))).toBe('UNAUTHENTICATED:proof_ath');
    expect(problemOf(await v.verify(check(await signDpopProof(key, { htm: 'POST', htu: HTU, now: NOW_MS }))))).toBe('UNAUTHENTICATED:proof_ath');
  });

  it('refuses a replayed proof (same jti), and a missing or huge jti', async () => {
    const v = verifier();
    const once = await proof({ jti: 'one' });
    expect(problemOf(await v.verify(check(once)))).toBe('OK');
    expect(problemOf(await v.verify(check(once)))).toBe('UNAUTHENTICATED:proof_replayed');
    // Another proof reusing the jti is a replay too.
    expect(problemOf(await v.verify(check(await proof({ jti: 'one', now: NOW_MS - 1000 }))))).toBe('UNAUTHENTICATED:proof_replayed');
    expect(problemOf(await v.verify(check(await proof({ extraClaims: { jti: undefined } }))))).toBe('UNAUTHENTICATED:proof_malformed');
    expect(problemOf(await v.verify(check(await proof({ jti: 'j'.repeat(300) }))))).toBe('UNAUTHENTICATED:proof_malformed');
  });

  it('spends a jti only on an otherwise valid proof', async () => {
    const v = verifier();
    expect(problemOf(await v.verify(check(await proof({ jti: 'two', htm: 'GET' }))))).toBe('UNAUTHENTICATED:proof_htm');
    expect(problemOf(await v.verify(check(await proof({ jti: 'two' }))))).toBe('OK');
  });

  it('fails closed (AUTH_PROVIDER_UNAVAILABLE) when the replay cache cannot answer', async () => {
    const v = createDpopVerifier({ algorithms: ALGS, windowS: 60, replay: { firstUse: () => Promise.reject(new Error('store down')) }, now: () => clock });
    expect(problemOf(await v.verify(check(await proof())))).toBe('AUTH_PROVIDER_UNAVAILABLE:dpop_replay_cache');
  });

  it('puts a DPoP challenge naming the algorithms on every refusal', async () => {
    const r = await verifier().verify(check(await proof({ htm: 'GET' })));
    expect(r.ok ? null : r.denial.headers?.['www-authenticate']).toBe('DPoP error="invalid_dpop_proof", algs="ES256 EdDSA RS256 PS256"');
  });
});

describe('senderConstraintFor', () => {
  const token = (jkt?: string): VerifiedToken => ({ sub: 's', iss: 'i', jti: null, exp: 0, softwareId: 'P', softwareVersion: '2.0.0', org: null, scopes: [], roles: [], developerId: null, mfa: false, kind: 'product', ...(jkt ? { jkt } : {}) });
  const as = (scheme: Presentation['scheme']): Presentation => ({ scheme, ath: 'x' });
  const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
  const OTHER = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
  const required = { keyBinding: { required: true, thumbprints: [JKT] } };
  const outcome = (c: ReturnType<typeof senderConstraintFor>) => (c.kind === 'refused' ? String(c.denial.details?.['dpop']) : c.kind === 'proof' ? `proof:${c.jkt}` : 'none');

  it('asks nothing of an unbound Bearer token of a product without required binding', () => {
    expect(outcome(senderConstraintFor(token(), as('Bearer'), { keyBinding: null }, ALGS))).toBe('none');
    expect(outcome(senderConstraintFor(token(), as('Bearer'), { keyBinding: { required: false, thumbprints: [JKT] } }, ALGS))).toBe('none');
    expect(outcome(senderConstraintFor(token(), as('Bearer'), null, ALGS))).toBe('none');
  });

  it('refuses a bearer token of a product whose binding is required', () => {
    expect(outcome(senderConstraintFor(token(), as('Bearer'), required, ALGS))).toBe('binding_required');
  });

  it('refuses the DPoP scheme with an unbound token, and a bound token as Bearer', () => {
    expect(outcome(senderConstraintFor(token(), as('DPoP'), { keyBinding: null }, ALGS))).toBe('token_not_bound');
    expect(outcome(senderConstraintFor(token(JKT), as('Bearer'), required, ALGS))).toBe('bound_token_as_bearer');
  });

  it('asks a bound token for a proof by its key, which must be registered when the product lists keys', () => {
    expect(outcome(senderConstraintFor(token(JKT), as('DPoP'), required, ALGS))).toBe(`proof:${JKT}`);
    expect(outcome(senderConstraintFor(token(OTHER), as('DPoP'), required, ALGS))).toBe('key_not_registered');
    expect(outcome(senderConstraintFor(token(OTHER), as('DPoP'), { keyBinding: { required: false, thumbprints: [JKT] } }, ALGS))).toBe('key_not_registered');
    expect(outcome(senderConstraintFor(token(OTHER), as('DPoP'), { keyBinding: { required: true, thumbprints: [] } }, ALGS))).toBe('key_not_registered');
    // No keys registered and binding not required (or a staff token): the token's own binding holds.
    expect(outcome(senderConstraintFor(token(OTHER), as('DPoP'), { keyBinding: null }, ALGS))).toBe(`proof:${OTHER}`);
    expect(outcome(senderConstraintFor(token(OTHER), as('DPoP'), null, ALGS))).toBe(`proof:${OTHER}`);
  });
});

describe('the replay cache on the store', () => {
  let dir: string;
  let stores: Store[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dsp-dpop-'));
    const url = `sqlite:${join(dir, 'dsp.db')}`;
    stores = [await createStore(url), await createStore(url)];
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is shared by every instance on the store: a jti used on one is refused on the other', async () => {
    // A generous timeout: this is about sharing, and a loaded machine starts the write thread slowly.
    const [a, b] = stores.map((s) => createStoreReplayCache({ createStoreLimiter: (spec) => s.createRateLimiter(spec), proofWindowS: 60, timeoutMs: 20_000 }));
    expect(await a!.firstUse('k1')).toBe(true);
    expect(await b!.firstUse('k1')).toBe(false);
    expect(await a!.firstUse('k1')).toBe(false);
    expect(await b!.firstUse('k2')).toBe(true);
  });

  it('remembers a jti through the last instant a proof with it can be accepted (first used at iat - window, presented again at iat + window)', async () => {
    const at = { ms: NOW_MS };
    const store = await createStore(`sqlite:${join(dir, 'edge.db')}`, { now: () => at.ms });
    try {
      const cache = createStoreReplayCache({ createStoreLimiter: (spec) => store.createRateLimiter(spec), proofWindowS: 60, timeoutMs: 20_000 });
      expect(await cache.firstUse('edge')).toBe(true);
      at.ms = NOW_MS + 120_000; // the same proof is still within its window here
      expect(await cache.firstUse('edge')).toBe(false);
      at.ms = NOW_MS + 130_000; // and forgotten once no proof that used it can be accepted
      expect(await cache.firstUse('edge')).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('rejects (so the verifier fails closed) when the store errors or does not answer in time', async () => {
    const failing = createStoreReplayCache({ createStoreLimiter: () => ({ consume: () => Promise.reject(new Error('down')) }) as never, proofWindowS: 60 });
    await expect(failing.firstUse('k')).rejects.toThrow('down');
    const hanging = createStoreReplayCache({ createStoreLimiter: () => ({ consume: () => new Promise<RateLimiterRes>(() => {}) }) as never, proofWindowS: 60, timeoutMs: 20 });
    await expect(hanging.firstUse('k')).rejects.toThrow(/in time/);
  });

  it('asks the store for a durable limiter (on MongoDB: majority, so a failover cannot forget a use), one use per twice the window and a second', () => {
    const specs: unknown[] = [];
    createStoreReplayCache({ createStoreLimiter: (spec) => (specs.push(spec), { consume: () => Promise.resolve() }) as never, proofWindowS: 60 });
    expect(specs).toEqual([{ keyPrefix: 'dpop-jti', points: 1, duration: 121, durable: true }]);
  });

});
