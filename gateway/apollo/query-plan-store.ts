/**
 * Apollo Gateway's query-plan cache (given to it as queryPlannerConfig.cache), bounded in
 * approximate heap bytes like the document store (Apollo's own store counts JSON length, 30 MiB
 * by default) and with the same idle expiry: a plan unused for CACHE_IDLE_S goes stale and the
 * gateway's sweeper purges it (core/idle-expiry.ts). Keys are Apollo's (the filtered document's
 * hash and operation name: gateway/apollo/filtering-gateway.ts); a supergraph change clears it.
 */
import type { GatewayConfig } from '@apollo/gateway';
import { purgeStaleBytes, type IdleExpiry, type Sweepable } from '../../core/idle-expiry.js';
import { heapBoundedLru } from './document-store.js';

// Named through @apollo/gateway's config (its planner package is not a direct dependency).
type QueryPlanCache = NonNullable<NonNullable<GatewayConfig['queryPlannerConfig']>['cache']>;
type QueryPlan = NonNullable<Awaited<ReturnType<QueryPlanCache['get']>>>;

/** @param expiry idle expiry (default: none, entries leave only by size). */
export function createQueryPlanStore(maxBytes: number, expiry?: IdleExpiry): QueryPlanCache & Sweepable {
  const lru = heapBoundedLru<QueryPlan>(maxBytes, expiry);
  return {
    get: async (key) => lru.get(key),
    set: async (key, value) => void lru.set(key, value),
    delete: async (key) => lru.delete(key),
    clear: () => lru.clear(),
    purgeStale: () => purgeStaleBytes(lru),
  };
}
