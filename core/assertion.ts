/**
 * The gateway assertion: a short-lived JWT the gateway signs (its own Ed25519 key, `aud` =
 * subgraph name) for every subgraph request. It carries the verified identity, never the
 * client's raw token. Subgraphs accept nothing else.
 */
import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify, createLocalJWKSet, type JWK, type CryptoKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { cacheEntryBytes, MIB } from './approximate-size.js';

/**
 * Bytes each assertion cache may hold (keys, tokens, claims; UTF-16 counted): a `sub` may be as
 * long as a client token, so a bound in entries alone let 10,000 entries hold hundreds of MB.
 */
export const ASSERTION_CACHE_MAX_BYTES = 8 * MIB;
/** An entry's bookkeeping beside its strings. */
const ENTRY_OVERHEAD_BYTES = 200;

export const ASSERTION_ISSUER = 'dsp-gateway';
/** How far ahead of the verifier's clock an assertion's `iat` may be (the request signature window). */
export const ASSERTION_MAX_FUTURE_MS = 5_000;

export interface AssertionClaims {
  sub: string;
  org: string | null;
  softwareId: string | null;
  softwareVersion: string | null;
  developerId: string | null;
  /** Certification tier of the product (null for staff). */
  tier: 'STANDARD' | 'ENHANCED' | null;
  roles: string[];
  mfa: boolean;
  requestId: string | null;
  /**
   * The issuer of the caller's token, present only when the gateway trusts several issuers
   * (claim `sub_iss`): then `sub` names someone only at that issuer, and the same `sub` at two
   * issuers is two people, whom register history must tell apart. Absent with one issuer, so
   * such assertions are exactly as before.
   */
  subjectIssuer?: string;
}

interface CachedAssertion {
  token: string;
  refreshAt: number;
  /** Its key in the LRU: a reuse through the frozen-claims shortcut marks it used there too. */
  key: string;
}

export interface AssertionSigner {
  /** Signs (or reuses, for up to half its lifetime) an assertion for `audience`. */
  sign(audience: string, claims: AssertionClaims): Promise<string>;
}

/**
 * Assertions are reused per (audience, identity) for half their lifetime: signing is the costly
 * part and the identity, not the request, is what a subgraph checks. The request id is therefore
 * not part of a reused assertion; subgraphs log the gateway's `x-request-id` header instead.
 */
export function createAssertionSigner(options: { privateKey: CryptoKey; kid: string; ttlS: number; now?: () => number; maxCached?: number; maxBytes?: number }): AssertionSigner {
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? ASSERTION_CACHE_MAX_BYTES;
  // Bounded in entries and in bytes (the key text and the token, two bytes a character).
  const cache = new LRUCache<string, CachedAssertion>({
    max: Math.max(1, options.maxCached ?? 10_000),
    maxSize: maxBytes,
    maxEntrySize: Math.ceil(maxBytes / 10),
    sizeCalculation: (entry, key) => 2 * (key.length + entry.token.length) + ENTRY_OVERHEAD_BYTES,
    // An entry dropped here may still be held by byFrozenClaims below: emptied, so that map keeps
    // no token the byte bound let go, and never serves it (its refreshAt is past every instant).
    dispose: (entry) => {
      entry.token = '';
      entry.key = '';
      entry.refreshAt = Number.NEGATIVE_INFINITY;
    },
  });
  // A frozen claims object (the gateway keeps one per memoised caller) cannot change, so its
  // identity stands for its values: its assertions are found without building the key text.
  // Held weakly: an entry lives as long as the claims object, with at most one per audience, and
  // only while the byte-bounded cache above still holds it (see dispose).
  const byFrozenClaims = new WeakMap<AssertionClaims, Map<string, CachedAssertion>>();
  return {
    async sign(audience, claims) {
      const t = now();
      const frozen = Object.isFrozen(claims) && Object.isFrozen(claims.roles);
      const known = frozen ? byFrozenClaims.get(claims)?.get(audience) : undefined;
      if (known && known.refreshAt > t) {
        // Used: the LRU must see it, or the busiest callers (all served here) are evicted first.
        cache.get(known.key);
        return known.token;
      }
      // JSON, not a joined string: `sub` and a staff token's `developer_id` may hold any separator
      // (and the text "null"), so two identities joined with '|' could share a key and one caller
      // be sent to a subgraph with the other's assertion.
      const key = JSON.stringify([audience, claims.sub, claims.subjectIssuer ?? null, claims.org, claims.softwareId, claims.softwareVersion, claims.developerId, claims.tier, claims.roles, claims.mfa]);
      const hit = cache.get(key);
      if (hit && hit.refreshAt > t) {
        if (frozen) remember(claims, audience, hit);
        return hit.token;
      }
      const iat = Math.floor(t / 1000);
      const token = await new SignJWT({
        org: claims.org,
        software_id: claims.softwareId,
        software_version: claims.softwareVersion,
        developer_id: claims.developerId,
        tier: claims.tier,
        roles: claims.roles,
        mfa: claims.mfa,
        ...(claims.subjectIssuer === undefined ? {} : { sub_iss: claims.subjectIssuer }),
      })
        .setProtectedHeader({ alg: 'EdDSA', kid: options.kid, typ: 'dsp-assertion+jwt' })
        .setIssuer(ASSERTION_ISSUER)
        .setAudience(audience)
        .setSubject(claims.sub)
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.ttlS)
        .sign(options.privateKey);
      const entry = { token, refreshAt: t + (options.ttlS * 1000) / 2, key };
      cache.set(key, entry);
      // (An entry too large for the cache is not kept: then not remembered either.)
      if (frozen && cache.peek(key) === entry) remember(claims, audience, entry);
      return token;
    },
  };

  function remember(claims: AssertionClaims, audience: string, entry: CachedAssertion): void {
    let perAudience = byFrozenClaims.get(claims);
    if (!perAudience) byFrozenClaims.set(claims, (perAudience = new Map()));
    perAudience.set(audience, entry);
  }
}

export interface AssertionVerifier {
  /** Resolves the claims or rejects (bad signature, wrong audience, expired, wrong type). */
  verify(token: string): Promise<AssertionClaims>;
}

export function createAssertionVerifier(options: { jwks: { keys: JWK[] }; audience: string; now?: () => number; maxBytes?: number }): AssertionVerifier {
  const keySet = createLocalJWKSet(options.jwks);
  const now = options.now ?? Date.now;
  const maxBytes = options.maxBytes ?? ASSERTION_CACHE_MAX_BYTES;
  // Bounded in entries and in bytes: the claims carry the caller's `sub`, as long as its token allowed.
  const cache = new LRUCache<string, { claims: AssertionClaims; exp: number }>({
    max: 10_000,
    maxSize: maxBytes,
    maxEntrySize: Math.ceil(maxBytes / 10),
    sizeCalculation: (entry, key) => cacheEntryBytes(entry) + 2 * key.length + ENTRY_OVERHEAD_BYTES,
  });
  return {
    async verify(token) {
      const digest = createHash('sha256').update(token).digest('base64url');
      const hit = cache.get(digest);
      if (hit && hit.exp * 1000 > now()) return hit.claims;
      const { payload } = await jwtVerify(token, keySet, {
        issuer: ASSERTION_ISSUER,
        audience: options.audience,
        algorithms: ['EdDSA'],
        typ: 'dsp-assertion+jwt',
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'iat', 'sub'],
      });
      // Not yet valid: jose checks `iat` only against a maxTokenAge. The gateway signs at or before
      // the request signature's `t`, which must be within 5 s of this clock, so nothing later is genuine.
      if (typeof payload.iat !== 'number' || payload.iat * 1000 > now() + ASSERTION_MAX_FUTURE_MS) throw new Error('assertion issued in the future');
      const claims: AssertionClaims = {
        sub: String(payload.sub),
        org: typeof payload.org === 'string' ? payload.org : null,
        softwareId: typeof payload.software_id === 'string' ? payload.software_id : null,
        softwareVersion: typeof payload.software_version === 'string' ? payload.software_version : null,
        developerId: typeof payload.developer_id === 'string' ? payload.developer_id : null,
        tier: payload.tier === 'ENHANCED' || payload.tier === 'STANDARD' ? payload.tier : null,
        roles: Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [],
        mfa: payload.mfa === true,
        requestId: null,
        ...(typeof payload.sub_iss === 'string' && payload.sub_iss !== '' ? { subjectIssuer: payload.sub_iss } : {}),
      };
      cache.set(digest, { claims, exp: payload.exp! });
      return claims;
    },
  };
}
