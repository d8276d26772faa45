/**
 * Verified tokens by SHA-256 of the compact token, so the signature cost is paid once per token.
 * Each entry carries the instant (on the caller's clock) until which its verification holds: the
 * token's exp (plus tolerance) and, for a key set fetched from a URL, the age after which that
 * key set is fetched again, so a token signed by a key the issuer has withdrawn is not honoured
 * from the cache for longer than the key set itself would be. The caller still re-checks expiry
 * on every hit. Keying by the hash of the whole token means a token differing in any byte is a miss.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { approximateBytes, MIB } from '../../core/approximate-size.js';
import { idleExpiryOptions, purgeStaleBytes, type Sweepable } from '../../core/idle-expiry.js';
import type { VerifiedToken } from '../../core/verified-token.js';

export interface TokenCacheStats {
  hits: number;
  misses: number;
  size: number;
}

export interface TokenCache extends Sweepable {
  /** Hash used as the key; computed once per request. */
  keyOf(token: string): string;
  /** The verified token, unless absent or its verification no longer holds at `now` (ms). */
  get(key: string, now: number): VerifiedToken | undefined;
  /** Stores the token until `holdsUntil` (ms, on the caller's clock); an instant not after `now` is not stored. */
  set(key: string, token: VerifiedToken, now: number, holdsUntil: number): void;
  stats(): TokenCacheStats;
}

/**
 * `max`: entries kept (least recently used evicted; 0 disables caching); `maxBytes`: their
 * approximate size (default 8 MiB); `idleMs`: an entry unused this long goes stale and purgeStale()
 * drops it (default 60 000, CACHE_IDLE_S's default); `clock`: the monotonic clock of that memory
 * expiry (default performance.now), not the clock validity is judged on (the caller's `now`).
 */
export function createTokenCache(options: { max: number; maxBytes?: number; idleMs?: number; clock?: () => number }): TokenCache {
  const maxBytes = options.maxBytes ?? 8 * MIB;
  const idleMs = options.idleMs ?? 60_000;
  const lru =
    options.max > 0
      ? new LRUCache<string, { token: VerifiedToken; holdsUntil: number }>({
          max: options.max,
          maxSize: maxBytes,
          sizeCalculation: (e) => Math.max(1, Math.ceil(approximateBytes(e))) + 120,
          ...idleExpiryOptions({ idleMs, ...(options.clock ? { now: options.clock } : {}) }),
        })
      : null;
  let hits = 0;
  let misses = 0;
  return {
    // One-shot (crypto.hash, Node 20.12+): no Hash object per request, the same digest.
    keyOf: (token) => hash('sha256', token, 'base64url'),
    get(key, now) {
      const found = lru?.get(key);
      if (found && now < found.holdsUntil) {
        hits++;
        return found.token;
      }
      if (found) lru!.delete(key);
      misses++;
      return undefined;
    },
    set(key, token, now, holdsUntil) {
      if (lru && holdsUntil > now) {
        // Shared by every later request with this token: make it immutable.
        Object.freeze(token.scopes);
        Object.freeze(token.roles);
        // The TTL (monotonic time) only frees memory: an entry goes stale once unused for idleMs, or
        // for what was left of its validity when stored if that is shorter; validity itself is
        // judged on the caller's clock (get).
        lru.set(key, { token: Object.freeze(token), holdsUntil }, { ttl: Math.max(1, Math.ceil(Math.min(idleMs, holdsUntil - now))) });
      }
    },
    stats: () => ({ hits, misses, size: lru?.size ?? 0 }),
    purgeStale: () => purgeStaleBytes(lru),
  };
}
