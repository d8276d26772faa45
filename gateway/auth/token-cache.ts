/**
 * Verified tokens by SHA-256 of the compact token, so the signature cost is paid once per token.
 * The entry lives (in real monotonic time) until the token's exp; the caller still re-checks
 * expiry against its own clock on every hit, so a cached token is never accepted past exp.
 * Keying by the hash of the whole token means a token differing in any byte is a miss.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { VerifiedToken } from './verified-token.js';

export interface TokenCacheStats {
  hits: number;
  misses: number;
  size: number;
}

export interface TokenCache {
  /** Hash used as the key; computed once per request. */
  keyOf(token: string): string;
  get(key: string): VerifiedToken | undefined;
  /** `ttlS`: seconds the entry may live (exp − now + tolerance); non-positive values are not stored. */
  set(key: string, token: VerifiedToken, ttlS: number): void;
  stats(): TokenCacheStats;
}

/** `max`: entries kept (least recently used evicted); 0 disables caching. */
export function createTokenCache(options: { max: number }): TokenCache {
  const lru = options.max > 0 ? new LRUCache<string, VerifiedToken>({ max: options.max }) : null;
  let hits = 0;
  let misses = 0;
  return {
    keyOf: (token) => createHash('sha256').update(token).digest('base64url'),
    get(key) {
      const found = lru?.get(key);
      if (found) hits++;
      else misses++;
      return found;
    },
    set(key, token, ttlS) {
      if (lru && ttlS > 0) {
        // Shared by every later request with this token: make it immutable.
        Object.freeze(token.scopes);
        Object.freeze(token.roles);
        lru.set(key, Object.freeze(token), { ttl: Math.ceil(ttlS * 1000) });
      }
    },
    stats: () => ({ hits, misses, size: lru?.size ?? 0 }),
  };
}
