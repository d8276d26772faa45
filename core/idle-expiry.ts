/**
 * Idle expiry for the caches on the request path (CACHE_IDLE_S). A cache bounded in bytes stops
 * growing, but it never shrinks: after a burst of distinct documents it stays full of entries
 * nobody asks for again, and V8 keeps the heap they live in. Here an entry unused for `idleMs`
 * goes stale (lru-cache `ttl` with `updateAgeOnGet`, so a used entry stays), a sweeper purges the
 * stale ones on a timer, and once sweeps have freed a sizeable amount it asks V8 for one full
 * collection (at most one per minimum interval), so the heap the entries occupied is given back to the operating system rather than
 * kept until the next burst. Why the collection: an idle process allocates almost nothing, so V8
 * would not collect again on its own, and freed cache entries would stay resident indefinitely.
 */
import type { LRUCache } from 'lru-cache';

/** Idle expiry of one cache: `idleMs` unused and an entry is stale; `now` is the cache's clock (ms, monotonic). */
export interface IdleExpiry {
  idleMs: number;
  /** Default performance.now (monotonic: a wall-clock step never expires or revives a whole cache). */
  now?: () => number;
}

/** The lru-cache options that implement it (ttl renewed by every get; no per-entry timers; the clock injected). */
export function idleExpiryOptions(expiry: IdleExpiry): { ttl: number; updateAgeOnGet: true; ttlResolution: 0; perf: { now: () => number } } {
  if (!Number.isInteger(expiry.idleMs) || expiry.idleMs < 1) throw new TypeError('idleMs must be a positive integer');
  const now = expiry.now ?? (() => performance.now());
  // ttlResolution 0: read the clock on every check instead of lru-cache's 1 ms timer cache (cheaper, and an injected clock is read as it is).
  return { ttl: expiry.idleMs, updateAgeOnGet: true, ttlResolution: 0, perf: { now } };
}

/** Purges one lru-cache's stale entries; returns the approximate bytes (its sizeCalculation) freed. */
export function purgeStaleBytes(lru: Pick<LRUCache<string, NonNullable<unknown>>, 'purgeStale' | 'calculatedSize'> | null): number {
  if (!lru) return 0;
  const before = lru.calculatedSize;
  lru.purgeStale();
  return Math.max(0, before - lru.calculatedSize);
}

/** A cache the sweeper can purge: returns the approximate bytes freed. */
export interface Sweepable {
  purgeStale(): number;
}

export interface CacheSweeper {
  /** One sweep now (the timer calls this): purges every cache, collects if enough was freed. */
  sweep(): { freedBytes: number; collected: boolean };
  stop(): void;
}

export interface CacheSweeperOptions {
  caches: Sweepable[];
  /** How often to sweep, ms. */
  intervalMs: number;
  /** Once sweeps have freed at least this many approximate bytes since the last collection, ask for one. Default 1 MiB. */
  collectAfterBytes?: number;
  /** At most one collection per this many ms (a steady trickle of expiries must not turn into a GC per sweep). Default 60 000. */
  minCollectIntervalMs?: number;
  /**
   * The full collection. Default V8's `gc` when the process runs with --expose-gc (the Dockerfile
   * and npm start pass it: core/runtime-flags.ts); without it nothing is collected and the heap
   * shrinks only when V8 next collects on its own.
   */
  collect?: (() => void) | null;
  now?: () => number;
  /** Default true: no timer in tests that drive sweep() themselves. */
  timer?: boolean;
}

export function createCacheSweeper(options: CacheSweeperOptions): CacheSweeper {
  const collectAfter = options.collectAfterBytes ?? 1_048_576;
  const minCollectInterval = options.minCollectIntervalMs ?? 60_000;
  const exposedGc = (globalThis as { gc?: (options?: object) => void }).gc;
  const collect = options.collect !== undefined ? options.collect : exposedGc ? () => exposedGc({ type: 'major', execution: 'sync' }) : null;
  const now = options.now ?? (() => performance.now());
  let lastCollect = Number.NEGATIVE_INFINITY;
  let freedSinceCollect = 0;
  const sweeper: CacheSweeper = {
    sweep() {
      let freedBytes = 0;
      for (const cache of options.caches) freedBytes += cache.purgeStale();
      freedSinceCollect += freedBytes;
      const t = now();
      if (collect && freedSinceCollect >= collectAfter && t - lastCollect >= minCollectInterval) {
        collect();
        lastCollect = t;
        freedSinceCollect = 0;
        return { freedBytes, collected: true };
      }
      return { freedBytes, collected: false };
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
  // Unref'd: the sweeper never keeps the process alive.
  const timer = options.timer === false ? null : setInterval(() => sweeper.sweep(), options.intervalMs);
  timer?.unref();
  return sweeper;
}
