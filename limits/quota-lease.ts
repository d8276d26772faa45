/**
 * Quota leases (issue 18): a store quota counted in chunks instead of one store round trip per
 * request. Each gateway instance takes a chunk of points from the shared counter (one store
 * `consume(key, chunk)`), spends it in process, and asks for the next chunk in the background
 * when half is spent, so the request path normally never waits for the store.
 *
 * What stays true (docs/rate-limits.md, README "Rate limits"):
 * - The store still counts every point handed out: within one window the instances together
 *   never get more than the quota's points. A chunk the store can only partly grant is taken in
 *   part (the store's answer says how many points were left before it), so the last points are
 *   shared, not lost or doubled.
 * - A lease holds until the end of the store's window as measured from when its chunk was asked
 *   for, so on one clock it never outlives the window it was granted in. Across hosts whose clocks
 *   disagree (RateLimiterMongo reads a window's end on each instance's clock), a lease may be spent
 *   just after the store's window turned. A lease holds at most a chunk plus what was left when it
 *   asked for it (under half a chunk), so each instance behind the one that opened the next window
 *   can overshoot by at most chunk + ⌈chunk / 2⌉ − 1 points per window (README "Leases").
 * - Points leased but not spent lapse at the window's end: near exhaustion an instance may refuse
 *   while another still holds up to a lease (undershoot ≤ (chunk + ⌈chunk / 2⌉ − 1) × (instances − 1)).
 * - A refund returns a point only to the lease and window that granted it, once: a refund never
 *   leaves a lease holding more than the store granted it. What refunds raise a lease above what
 *   it holds by itself goes back to the store, so requests another quota refused cannot hoard
 *   this quota on one instance.
 * - Small quotas stay exact: a quota whose chunk would be under 2 points is counted in the store
 *   per request, as before. The chunk is `min(maxChunk, floor(points / 20))`.
 * - When the store has granted nothing in a window, the instance refuses without asking again
 *   until that window ends (a cached refusal, valid until the instant the window ends; points
 *   given back in process are still spent first).
 *
 * The in-process table of leases is bounded in bytes (an evicted lease's points lapse: it can
 * only undercount, never overcount).
 */
import { LRUCache } from 'lru-cache';
import { RateLimiterRes } from 'rate-limiter-flexible';

/** What a leased quota needs of the store's limiter (rate-limiter-flexible's consume contract). */
export interface StoreCounter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  reward(key: string, points?: number): Promise<unknown>;
}

/** What the rate limits use: rate-limiter-flexible's consume, answered from the lease, and a refund. */
export interface LeasedCounter {
  consume(key: string, points?: number): Promise<RateLimiterRes>;
  /**
   * Gives back the points of one allowance `consume` answered (the request was refused by another
   * quota). Leased: to the lease that granted them, only while its window lasts, and once; anything
   * else (a refusal, an answer of another counter, a point of an ended window) is ignored, so a
   * refund never leaves a lease holding more than the store granted it. Exact: the store's reward.
   */
  refund(key: string, grant: RateLimiterRes): Promise<unknown>;
  /**
   * What `consume` would answer, at once and without a promise, when the key's lease in memory
   * holds the points within its window (almost every request); null when only `consume` can
   * decide (no lease yet, too few points, its window over, more points than a chunk, an exact
   * quota), and then nothing was taken.
   */
  consumeNow(key: string, points?: number): RateLimiterRes | null;
  /** How many points one store call takes (1: exact, no lease). */
  readonly chunk: number;
}

export interface QuotaLeaseOptions {
  /** The quota's points per window and window (s), as the store counts them. */
  points: number;
  duration: number;
  /** The largest chunk an instance leases (RATE_LIMIT_LEASE). 1 or less: every quota exact. */
  maxChunk: number;
  /** Clock, ms. Default Date.now. */
  now?: () => number;
  /** Bytes the table of leases may hold. Default 1 MiB. */
  maxBytes?: number;
}

/** A quota's chunk is at most this share of its points, so a lease is a small part of any window. */
const CHUNK_DIVISOR = 20;
const DEFAULT_MAX_BYTES = 1024 * 1024;
/** Approximate bytes of one lease entry beside its key (object, numbers, map slot). */
const ENTRY_OVERHEAD_BYTES = 160;

/** The chunk a quota of `points` leases under RATE_LIMIT_LEASE = maxChunk (1: exact). */
export function chunkFor(points: number, maxChunk: number): number {
  const chunk = Math.min(Math.floor(maxChunk), Math.floor(points / CHUNK_DIVISOR));
  return chunk >= 2 ? chunk : 1;
}

/**
 * An allowance a lease gave: the answer, and which lease, window and points it came from, so a
 * refund returns its points there or nowhere (and once). Carried on the answer itself rather than
 * in a table beside it: nothing to bound, and no weak-map entry per request for the collector.
 */
class LeaseGrant extends RateLimiterRes {
  refunded = false;
  constructor(
    remainingPoints: number,
    msBeforeNext: number,
    consumedPoints: number,
    readonly lease: Lease,
    readonly window: number,
    readonly points: number,
  ) {
    super(remainingPoints, msBeforeNext, consumedPoints, false);
  }
}

interface Lease {
  /** Points this instance may still spend in the window. */
  points: number;
  /** Which window of this lease object the points belong to (changes when a later window's chunk replaces them). */
  window: number;
  /** When (this clock) the last chunk was asked for. */
  askedAt: number;
  /** The instant (ms, this clock) the lease lapses: the window's end as seen when it was asked for. */
  until: number;
  /** The store's remaining points after the last chunk (for RateLimit-Remaining). */
  storeRemaining: number;
  /** The store granted less than asked in this window: ask again only after `until`. */
  exhausted: boolean;
  /** The chunk request in flight, if any. */
  refill: Promise<void> | null;
}

export function leasedCounter(store: StoreCounter, options: QuotaLeaseOptions): LeasedCounter {
  const chunk = chunkFor(options.points, options.maxChunk);
  /** Allowances the store counted exactly (no lease), and how many points each took: a refund gives those back (a batch takes a point per operation). */
  const direct = new WeakMap<RateLimiterRes, number>();
  const consumeDirect = async (key: string, n: number) => {
    const res = await store.consume(key, n);
    direct.set(res, n);
    return res;
  };
  // An answer this counter did not give (the burst's, combined) gives back one point to the store, as before.
  if (chunk === 1) return { consume: (key, n = 1) => consumeDirect(key, n), consumeNow: () => null, refund: (key, grant) => store.reward(key, direct.get(grant) ?? 1), chunk };

  const now = options.now ?? Date.now;
  const { points, duration } = options;
  const windowMs = duration * 1000;
  /** The most a lease holds by itself: a chunk plus what was left (under half a chunk) when it asked. */
  const maxHeld = chunk + Math.ceil(chunk / 2) - 1;
  const leases = new LRUCache<string, Lease>({
    maxSize: options.maxBytes ?? DEFAULT_MAX_BYTES,
    sizeCalculation: (_lease, key) => key.length * 2 + ENTRY_OVERHEAD_BYTES,
  });

  const current = (key: string, at: number): Lease | undefined => {
    const lease = leases.get(key);
    if (lease && at >= lease.until && !lease.refill) {
      leases.delete(key);
      return undefined;
    }
    return lease;
  };

  /** Takes the next chunk from the store into the key's lease. Never rejects for a refusal. */
  function refill(key: string, lease: Lease): Promise<void> {
    const askedAt = now();
    lease.askedAt = askedAt;
    const settle = (granted: number, res: RateLimiterRes) => {
      // Both ends are lower bounds of the store's window end (it answered after we asked), so
      // the lease never outlives the window on this clock. A window without end (-1: a key the
      // store blocks for good) or a nonsense answer lapses at once rather than never.
      const msBeforeNext = Number.isFinite(res.msBeforeNext) && res.msBeforeNext > 0 ? res.msBeforeNext : 0;
      const until = askedAt + msBeforeNext;
      const laterWindow = askedAt >= lease.until || until - lease.until > windowMs / 2;
      if (laterWindow || lease.points <= 0) {
        // A chunk from a later window than the lease's: the old window's points lapse, and so do
        // refunds of them still to come (they name the old window).
        if (laterWindow) lease.window++;
        lease.points = granted;
        lease.until = until;
        lease.exhausted = false;
      } else {
        lease.points += granted;
        lease.until = Math.min(lease.until, until);
      }
      lease.storeRemaining = res.remainingPoints;
      if (granted < chunk) lease.exhausted = true;
      giveBack(key, lease);
    };
    const done = store.consume(key, chunk).then(
      (res) => settle(chunk, res),
      (rejection: unknown) => {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // The store counted the whole chunk and refused: it had `points - before` left, and those
        // are ours (rate-limiter-flexible adds before it compares). A refusal that names no total
        // over the quota did not count (a key the store blocks answers consumedPoints 0): nothing.
        const counted = rejection.consumedPoints > points;
        const before = rejection.consumedPoints - chunk;
        settle(counted ? Math.max(0, Math.min(chunk, points - before)) : 0, rejection);
      },
    );
    lease.refill = done.finally(() => {
      lease.refill = null;
    });
    return lease.refill;
  }

  /**
   * Returns to the store what a lease holds beyond what it would by itself. Refunds can raise a
   * lease above that: requests another quota refuses (an org past its share) take points, refills
   * follow, then the points come back. Kept, they would hoard the product's quota on this instance
   * while the store refuses every other instance (and their requests from the org's peers) until
   * the window ends; given back, the store's count drops again, as it did before leases. Only while
   * the lease's window lasts, so the store is still in that window (on one clock).
   */
  function giveBack(key: string, lease: Lease): void {
    const excess = lease.points - maxHeld;
    if (excess <= 0 || now() >= lease.until) return;
    lease.points = maxHeld;
    lease.storeRemaining += excess;
    store.reward(key, excess).catch(() => undefined);
  }

  /** An allowance from the lease: what this instance knows is left (its lease and the store's remainder). */
  const answer = (lease: Lease, at: number, n: number) => {
    const remaining = Math.max(0, Math.min(points, lease.points + lease.storeRemaining));
    return new LeaseGrant(remaining, Math.max(0, lease.until - at), points - remaining, lease, lease.window, n);
  };

  /** Takes `n` points from `lease` at `at` if it holds them in its window; null if not (nothing taken). */
  function takeFrom(key: string, lease: Lease, at: number, n: number): RateLimiterRes | null {
    if (lease.points < n || at >= lease.until) return null;
    lease.points -= n;
    // Half spent: ask for the next chunk now, so the request that needs it does not wait.
    if (!lease.refill && !lease.exhausted && lease.points < chunk / 2) refill(key, lease).catch(() => undefined);
    return answer(lease, at, n);
  }

  function consumeNow(key: string, n = 1): RateLimiterRes | null {
    if (n > chunk) return null;
    const at = now();
    const lease = current(key, at);
    return lease ? takeFrom(key, lease, at, n) : null;
  }

  async function consume(key: string, n = 1): Promise<RateLimiterRes> {
    // More points than one chunk (a batch, one point per operation): a lease never holds more than
    // maxHeld (giveBack returns the rest), so waiting for it to reach n would ask the store for
    // chunks, and give them back, for ever. The store counts such a request exactly instead.
    if (n > chunk) return consumeDirect(key, n);
    const startedAt = now();
    for (;;) {
      const at = now();
      let lease = current(key, at);
      if (!lease) {
        lease = { points: 0, window: 0, askedAt: at, until: at, storeRemaining: 0, exhausted: false, refill: null };
        leases.set(key, lease);
      }
      const taken = takeFrom(key, lease, at, n);
      if (taken) return taken;
      // The store granted nothing more in this window: refuse until it ends.
      if (lease.exhausted && !lease.refill && at < lease.until) {
        throw new RateLimiterRes(0, lease.until - at, points, false);
      }
      const asked = lease;
      await (lease.refill ?? refill(key, lease));
      // Asked during this very request, the store granted nothing in a window that had ended by
      // its answer (or has no end): the request came while the window was spent, and asking again
      // would loop for as long as the store answers so.
      if (asked.exhausted && asked.points < n && asked.askedAt >= startedAt && now() >= asked.until) {
        throw new RateLimiterRes(0, 0, points, false);
      }
    }
  }

  async function refund(key: string, grant: RateLimiterRes): Promise<unknown> {
    const taken = direct.get(grant);
    if (taken !== undefined) {
      direct.delete(grant);
      return store.reward(key, taken);
    }
    // Each allowance once; another counter's names a lease this counter does not hold (below).
    if (!(grant instanceof LeaseGrant) || grant.refunded) return undefined;
    grant.refunded = true;
    const from = grant;
    const at = now();
    const lease = current(key, at);
    if (lease === from.lease && lease.window === from.window && at < lease.until) {
      lease.points += from.points;
      giveBack(key, lease);
    }
    return undefined;
  }

  return { consume, consumeNow, refund, chunk };
}
