/**
 * Apollo Server's cache of parsed and validated documents, bounded in approximate heap bytes
 * (core/approximate-size.ts) rather than by Apollo's default of the document's JSON length, which
 * undercounts the heap a DocumentNode takes several times over. A document too large for a tenth
 * of the cache is parsed again each time instead of crowding out the rest. A document unused for
 * the idle time (CACHE_IDLE_S) goes stale and the gateway's sweeper purges it (core/idle-expiry.ts).
 */
import type { DocumentStore } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import { cacheEntryBytes } from '../../core/approximate-size.js';
import { idleExpiryOptions, purgeStaleBytes, type IdleExpiry, type Sweepable } from '../../core/idle-expiry.js';

/**
 * An LRU cache bounded in approximate heap bytes (core/approximate-size.ts), where an entry larger
 * than a tenth of the bound is not kept, with optional idle expiry: Apollo's document store here
 * and Apollo Gateway's query-plan store (query-plan-store.ts).
 */
export function heapBoundedLru<V extends object>(maxBytes: number, expiry?: IdleExpiry): LRUCache<string, V> {
  return new LRUCache<string, V>({
    maxSize: maxBytes,
    maxEntrySize: Math.ceil(maxBytes / 10),
    sizeCalculation: (value) => cacheEntryBytes(value),
    ...(expiry ? idleExpiryOptions(expiry) : {}),
  });
}

/** @param expiry idle expiry (default: none, entries leave only by size). */
export function createDocumentStore(maxBytes: number, expiry?: IdleExpiry): DocumentStore & Sweepable {
  const lru = heapBoundedLru<DocumentNode>(maxBytes, expiry);
  return {
    get: async (key) => lru.get(key),
    set: async (key, value) => void lru.set(key, value),
    delete: async (key) => void lru.delete(key),
    purgeStale: () => purgeStaleBytes(lru),
  };
}
