/**
 * Where the token issuers' public keys come from: a JWKS URL (jose's remote set, with its cache
 * and cooldown), a JWKS file read once, or an explicit key set (the development issuer, tests).
 * Chosen once, when the authenticator is created; a missing or unreadable source is a
 * configuration mistake and throws there, never per request.
 */
import { readFileSync } from 'node:fs';
import { holdsSecretKeys, isJwkList } from '../../core/keys.js';
import { createLocalJWKSet, createRemoteJWKSet, customFetch, jwksCache, type JSONWebKeySet, type JWKSCacheInput, type JWTVerifyGetKey } from 'jose';

/**
 * Thrown by the remote key source when the issuer's JWKS cannot be obtained (connection refused,
 * non-200, unparsable or invalid set). mapJoseError turns it into AUTH_PROVIDER_UNAVAILABLE.
 */
export class KeySourceUnavailableError extends Error {
  override readonly name = 'KeySourceUnavailableError';
  constructor(options: { cause: unknown }) {
    super('The token issuer key set could not be fetched.', options);
  }
}

export interface RemoteJwksOptions {
  /** HTTP timeout of one JWKS fetch, ms. Default 5000 (jose's default). */
  timeoutMs?: number;
  /** After a successful fetch, how long an unknown `kid` waits before it may trigger a refetch, ms. Default 30000. */
  cooldownMs?: number;
  /** Age after which the cached key set is fetched again, ms. Default 600000. */
  cacheMaxAgeMs?: number;
  /** After a failed fetch, how long the issuer is not asked again (requests that need it fail at once), ms. Default 10000. */
  failureBackoffMs?: number;
  /** Clock for the failure backoff, ms. Default Date.now. */
  now?: () => number;
}

/** The largest key set document read, bytes, and the most keys in it: a set is a few keys of a few hundred bytes. */
export const MAX_JWKS_BYTES = 256 * 1024;
export const MAX_JWKS_KEYS = 100;

/**
 * The fetch jose uses for a remote set (its documented `customFetch` option), bounded (review
 * s18c F3, F7): after a failure the issuer is not asked again for `backoffMs` (jose's cooldown
 * counts from the last success only, so while the issuer failed every token with an unknown `kid`
 * made a fetch, no valid token needed), and a document over MAX_JWKS_BYTES or MAX_JWKS_KEYS keys
 * is refused while it is read (a 100 MB set had grown the process by 900 MB).
 */
function boundedFetch(backoffMs: number, now: () => number): (url: string, init: RequestInit) => Promise<Response> {
  let failedAt = Number.NEGATIVE_INFINITY;
  return async (url, init) => {
    if (now() - failedAt < backoffMs) throw new Error('the key set could not be fetched moments ago; not asked again yet');
    try {
      const response = await fetch(url, init);
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`key set answered ${response.status}`);
      }
      const text = await readCapped(response, MAX_JWKS_BYTES);
      const keys = (JSON.parse(text) as { keys?: unknown } | null)?.keys;
      // Not a key set at all (a maintenance page answered 200) is a failure too, or jose's refusal
      // afterwards would leave the backoff unset (review s18d F3).
      if (!isJwkList(keys)) throw new Error('the answer is not a JSON Web Key Set');
      if (keys.length > MAX_JWKS_KEYS) throw new Error(`key set holds ${keys.length} keys, over ${MAX_JWKS_KEYS}`);
      return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
    } catch (err) {
      failedAt = now();
      throw err;
    }
  };
}

/** The body as text, refused past `limit` bytes while it is read (not after). */
async function readCapped(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    throw new Error(`key set of ${declared} bytes, over ${limit}`);
  }
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new Error(`key set over ${limit} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface KeySourceOptions {
  jwksUrl: string | null;
  jwksFile: string | null;
  jwks?: { keys: unknown[] } | undefined;
  remote?: RemoteJwksOptions | undefined;
}

// Passed on as they are: key selection failures are the token's fault (its header names no key,
// or an unusable one) and jose's own timeout already says "provider unavailable". Anything else
// from a remote set (refused connection, non-200, bad JSON, invalid set) is the provider's fault.
const PASSED_THROUGH = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JWKS_TIMEOUT']);

export interface KeySource {
  getKey: JWTVerifyGetKey;
  kind: 'url' | 'file' | 'explicit';
  /**
   * When the key set in use was fetched (ms since the epoch, on jose's clock: Date.now), for a
   * remote set; null for a fixed one, or before the first fetch. A verification holds no longer
   * than that set is trusted: this instant plus the cache age.
   */
  fetchedAt(): number | null;
}

export function createKeySource(options: KeySourceOptions): KeySource {
  if (options.jwksUrl) {
    // jose records each successful fetch's time here (`uat`, its documented jwksCache option).
    const state: JWKSCacheInput = {};
    const remote = createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: options.remote?.timeoutMs ?? 5000,
      cooldownDuration: options.remote?.cooldownMs ?? 30_000,
      cacheMaxAge: options.remote?.cacheMaxAgeMs ?? 600_000,
      [jwksCache]: state,
      [customFetch]: boundedFetch(options.remote?.failureBackoffMs ?? 10_000, options.remote?.now ?? Date.now),
    });
    const getKey: JWTVerifyGetKey = async (header, token) => {
      try {
        return await remote(header, token);
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && PASSED_THROUGH.has(code)) throw err;
        throw new KeySourceUnavailableError({ cause: err });
      }
    };
    return { getKey, kind: 'url', fetchedAt: () => ('uat' in state && Number.isFinite(state.uat) ? state.uat : null) };
  }
  if (options.jwksFile) {
    let jwks: unknown;
    try {
      jwks = JSON.parse(readFileSync(options.jwksFile, 'utf8'));
    } catch (err) {
      throw new Error(`JWKS_FILE ${options.jwksFile}: cannot be read as JSON (${(err as Error).message})`);
    }
    return { getKey: localSet(jwks, `JWKS_FILE ${options.jwksFile}`), kind: 'file', fetchedAt: () => null };
  }
  if (options.jwks) return { getKey: localSet(options.jwks, 'jwks option'), kind: 'explicit', fetchedAt: () => null };
  throw new Error('No token key source: set JWKS_URL or JWKS_FILE, or pass the development issuer key set');
}

function localSet(jwks: unknown, label: string): JWTVerifyGetKey {
  let set: JWTVerifyGetKey;
  try {
    set = createLocalJWKSet(jwks as JSONWebKeySet);
  } catch (err) {
    throw new Error(`${label}: not a JSON Web Key Set (${(err as Error).message})`);
  }
  // A trusted set holds public keys only: a private or symmetric key here is a leaked secret or
  // a mix-up, and jose would only notice on the first request.
  const keys = (jwks as JSONWebKeySet).keys;
  if (holdsSecretKeys(keys)) throw new Error(`${label}: must hold public keys only`);
  return set;
}
