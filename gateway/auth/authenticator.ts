/**
 * Authentication of client tokens (DESIGN.md §5): cheap shape checks, then the verified-token
 * cache, then jose (algorithm allow-list, issuer allow-list, audience, exp/nbf with clock
 * tolerance), then lifetime bounds and claim types. `authenticate` never throws: every outcome
 * is an AuthResult, and anything unexpected fails closed as UNAUTHENTICATED.
 */
import { decodeJwt, jwtVerify, type JWK } from 'jose';
import type { Config } from '../../core/config.js';
import { denial, type Denial } from '../../core/errors.js';
import { PRODUCT_GRANT } from '../../core/roles.js';
import type { Logger } from '../../core/logger.js';
import { credentialsFrom, type AuthorizationHeader, type Scheme } from './bearer-token.js';
import { boundTokenAsBearer } from './dpop.js';
import { createKeySource, type KeySource, type RemoteJwksOptions } from './key-source.js';
import { issuerKeyLocation } from '../../core/config.js';
import { mapJoseError } from './map-jose-error.js';
import { MIB } from '../../core/approximate-size.js';
import { createTokenCache, type TokenCacheStats } from './token-cache.js';
import { verifiedTokenFrom } from './token-claims.js';
import type { AuthResult, VerifiedToken } from '../../core/verified-token.js';

/** The `typ` header values of an access token (case-insensitive, RFC 7515 §4.1.9); no `typ` is accepted too. */
const ACCESS_TOKEN_TYPES: ReadonlySet<string> = new Set(['jwt', 'application/jwt', 'at+jwt', 'application/at+jwt']);

/** jose's exp rule on our clock: a token is expired once `exp` lies more than the tolerance behind now. */
export function tokenExpired(exp: number, nowMs: number, toleranceS: number): boolean {
  return exp <= Math.floor(nowMs / 1000) - toleranceS;
}

export interface AuthenticatorOptions {
  /** Resolved `auth` section of the configuration (issuers, audience, algorithms, bounds, key source, cache size). */
  auth: Config['auth'];
  /**
   * Explicit trusted key set, used only when neither `auth.jwksUrl` nor `auth.jwksFile` is set:
   * the development issuer's public JWKS (core/keys.ts) in development, generated keys in tests.
   * Default: none (then a URL or file is required, else creation throws).
   */
  jwks?: { keys: JWK[] };
  /** Clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Remote JWKS fetch timeout, cooldown and cache age. Default jose's: 5 s, 30 s, 10 min. */
  remoteJwks?: RemoteJwksOptions;
  /** A verified token unused this long is dropped by purgeStale() (CACHE_IDLE_S). Default 60 000 ms. */
  cacheIdleMs?: number;
  /** Where unexpected (non-jose) failures are reported, by error name only. Default: not reported. */
  logger?: Pick<Logger, 'warn'>;
}

export interface Authenticator {
  /**
   * Verifies the raw `Authorization` header (every value, when repeated: then refused). Never throws.
   * The `DPoP` scheme is accepted only with `acceptDpop` (the /graphql pipeline, which then checks
   * the proof); a DPoP-bound token (`cnf.jkt`) presented as Bearer is refused everywhere.
   */
  authenticate(authorizationHeader: AuthorizationHeader, options?: { acceptDpop?: boolean }): Promise<AuthResult>;
  /**
   * The same answer at once, without a promise, when no signature needs verifying: a header
   * refused on its form, or a token the cache holds (almost every request). Null when only
   * `authenticate` can answer. Never throws.
   */
  authenticateNow?(authorizationHeader: AuthorizationHeader, options?: { acceptDpop?: boolean }): AuthResult | null;
  /** Verified-token cache counters (for tests and the benchmark). */
  stats(): TokenCacheStats;
  /** Drops verified tokens unused for the idle time; returns the approximate bytes freed (the server's cache sweeper calls it). */
  purgeStale(): number;
  /** Which key source was chosen at creation ('issuers': a key set of its own for each issuer, TOKEN_ISSUER_KEYS). */
  readonly keySource: 'url' | 'file' | 'explicit' | 'issuers';
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { auth } = options;
  const now = options.now ?? Date.now;
  // Each issuer verified against its own key set only (review s18c F1): a key set shared by
  // several issuers would let any of them sign in another's name, so that is refused here as in
  // the configuration.
  const sources = new Map<string, KeySource>();
  // What each issuer may issue (TOKEN_ISSUER_GRANTS): refused here too when several issuers have none.
  const grantsGiven = auth.issuerGrants ?? null;
  if (!grantsGiven && Object.keys(auth.issuerKeys ?? {}).length > 1) throw new Error('TOKEN_ISSUER_GRANTS: required with several issuers: say what each may issue');
  if (auth.issuerKeys) {
    for (const [issuer, value] of Object.entries(auth.issuerKeys)) {
      const where = issuerKeyLocation(value);
      sources.set(issuer, createKeySource({ jwksUrl: 'url' in where ? where.url : null, jwksFile: 'file' in where ? where.file : null, remote: { now, ...options.remoteJwks } }));
    }
  } else {
    if (auth.issuers.length !== 1) throw new Error('TOKEN_ISSUERS: several issuers cannot share one key set; give each its own with TOKEN_ISSUER_KEYS');
    sources.set(auth.issuers[0]!, createKeySource({ jwksUrl: auth.jwksUrl, jwksFile: auth.jwksFile, jwks: options.jwks, remote: { now, ...options.remoteJwks } }));
  }
  const kind: Authenticator['keySource'] = auth.issuerKeys ? 'issuers' : sources.values().next().value!.kind;
  const grants = grantsGiven ? new Map(Object.entries(grantsGiven).map(([issuer, list]) => [issuer, new Set(list)])) : null;
  /** A token its issuer was not granted to issue: a product token, or any of its staff roles. */
  function notGranted(token: VerifiedToken, issuer: string): Denial | null {
    if (!grants) return null;
    const granted = grants.get(issuer);
    const wanted = token.kind === 'product' ? [PRODUCT_GRANT] : token.roles;
    if (wanted.every((g) => granted?.has(g))) return null;
    return denial('UNAUTHENTICATED', 'The token claims what its issuer may not issue.', { reason: 'issuer_grant', claim: token.kind === 'product' ? 'software_id' : 'roles' });
  }
  const cache = createTokenCache({ max: auth.tokenCacheSize, maxBytes: auth.tokenCacheMiB * MIB, ...(options.cacheIdleMs !== undefined ? { idleMs: options.cacheIdleMs } : {}) });
  const algorithms = [...auth.algorithms];
  const tolerance = auth.clockToleranceS;
  const bounds = { maxLifetimeS: auth.maxLifetimeS, clockToleranceS: tolerance };
  // A file or explicit key set is fixed for the process's life; a remote one is re-fetched after its cache age.
  const maxAgeOf = (source: KeySource) => (source.kind === 'url' ? (options.remoteJwks?.cacheMaxAgeMs ?? 600_000) : Number.POSITIVE_INFINITY);

  /** The key set of the issuer the token names (read before verification, only to choose the keys), or null. */
  function sourceFor(token: string): { issuer: string; source: KeySource } | null {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      // Not a decodable JWT: jose refuses it below with its own reason, against any key set.
      const [issuer, source] = sources.entries().next().value!;
      return { issuer, source };
    }
    const source = typeof iss === 'string' ? sources.get(iss) : undefined;
    return source ? { issuer: iss as string, source } : null;
  }

  /** RFC 9449 §7.2: a bound token presented as a bearer token is refused, whoever presents it. */
  function presented(token: VerifiedToken, scheme: Scheme, ath: string): AuthResult {
    if (token.jkt !== undefined && scheme === 'Bearer') return { ok: false, denial: boundTokenAsBearer(auth.dpopAlgorithms) };
    return { ok: true, token, presentation: { scheme, ath } };
  }

  /** A token that needs its signature verified: its credentials, its cache key, and the instant it is judged at. */
  interface Unverified {
    bearer: { token: string; scheme: Scheme };
    key: string;
    nowMs: number;
  }

  /** What is decided without verifying a signature (the header's form, the cache), or what remains to verify. */
  function decideNow(header: AuthorizationHeader, acceptDpop: boolean): AuthResult | Unverified {
    const bearer = credentialsFrom(header, auth.maxTokenBytes, acceptDpop);
    if ('denial' in bearer) return { ok: false, denial: bearer.denial };
    const nowMs = now();
    // The cache key is the token's SHA-256 in base64url: exactly the `ath` a DPoP proof names.
    const key = cache.keyOf(bearer.token);
    const cached = cache.get(key, nowMs);
    if (cached) {
      // Same rule as jose's exp check, against our clock: the cache only saves the signature.
      if (tokenExpired(cached.exp, nowMs, tolerance)) return { ok: false, denial: denial('TOKEN_EXPIRED', 'The token has expired.') };
      return presented(cached, bearer.scheme, key);
    }
    return { bearer, key, nowMs };
  }

  async function verify({ bearer, key, nowMs }: Unverified): Promise<AuthResult> {
    const nowS = Math.floor(nowMs / 1000);
    const chosen = sourceFor(bearer.token);
    // An issuer not trusted: refused as jose refuses an `iss` outside the allow-list.
    if (!chosen) return { ok: false, denial: denial('UNAUTHENTICATED', 'The token claims are not acceptable.', { reason: 'claims', claim: 'iss' }) };
    const { source } = chosen;
    // Read before verifying: a reload finishing during the verification must not lend a newer
    // set's fetch time to a token checked against the older one.
    const fetchedBefore = source.fetchedAt();
    let payload: Record<string, unknown>;
    let typ: unknown;
    try {
      ({ payload, protectedHeader: { typ } } = await jwtVerify(bearer.token, source.getKey, {
        algorithms,
        // The issuer whose keys verified it, and no other.
        issuer: chosen.issuer,
        audience: auth.audience,
        clockTolerance: tolerance,
        currentDate: new Date(nowMs),
        // iat is needed for the lifetime bound.
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (err) {
      return { ok: false, denial: mapJoseError(err) };
    }
    // RFC 8725 §3.11: an access token, not another JWT its issuer signs for this audience (a DPoP
    // proof, an ID token marked as such). Absent or JWT (most issuers), or RFC 9068's at+jwt.
    if (typ !== undefined && !(typeof typ === 'string' && ACCESS_TOKEN_TYPES.has(typ.toLowerCase()))) return { ok: false, denial: denial('UNAUTHENTICATED', 'The token is not an access token.', { reason: 'typ' }) };
    const result = verifiedTokenFrom(payload, nowS, bounds);
    if ('denial' in result) return { ok: false, denial: result.denial };
    const refused = notGranted(result.token, chosen.issuer);
    if (refused) return { ok: false, denial: refused };
    const token: VerifiedToken = sources.size > 1 ? { ...result.token, subjectIssuer: chosen.issuer } : result.token;
    // Honoured from the cache until exp (plus tolerance: the hit path re-checks exp itself) and,
    // for a remote key set, no longer than the set it was verified with is trusted: its fetch
    // time plus the cache age (not now plus the cache age: a set fetched 9 minutes ago would
    // otherwise let a withdrawn key's tokens through for 19).
    const setFetchedAt = fetchedBefore ?? source.fetchedAt() ?? nowMs;
    cache.set(key, token, nowMs, Math.min((token.exp + tolerance) * 1000, Math.min(nowMs, setFetchedAt) + maxAgeOf(source)));
    return presented(token, bearer.scheme, key);
  }

  /** A bug or an exotic input must not become a 500 or leak detail: fail closed. The error message is not logged, since it could quote the input. */
  function failedClosed(err: unknown): AuthResult {
    options.logger?.warn({ errName: (err as Error | null)?.name ?? typeof err }, 'authentication failed unexpectedly');
    return { ok: false, denial: denial('UNAUTHENTICATED', 'The token is not valid.', { reason: 'invalid' }) };
  }

  return {
    async authenticate(header, opts) {
      try {
        const decided = decideNow(header, opts?.acceptDpop === true);
        return 'ok' in decided ? decided : await verify(decided);
      } catch (err) {
        return failedClosed(err);
      }
    },
    authenticateNow(header, opts) {
      try {
        const decided = decideNow(header, opts?.acceptDpop === true);
        return 'ok' in decided ? decided : null;
      } catch (err) {
        return failedClosed(err);
      }
    },
    stats: () => cache.stats(),
    purgeStale: () => cache.purgeStale(),
    keySource: kind,
  };
}
