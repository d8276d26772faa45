import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { chunkFor, leasedCounter, type StoreCounter } from '../../../limits/quota-lease.js';
import { outcome } from './fixtures/outcome.js';

/**
 * A shared fixed-window counter with rate-limiter-flexible's semantics (it adds the points, then
 * refuses when the total is over the limit, answering with the total), on a clock the test moves.
 * Windows start at multiples of the duration on the store's clock.
 */
class ModelStore implements StoreCounter {
  calls = 0;
  private readonly counts = new Map<string, { window: number; consumed: number }>();
  constructor(
    private readonly points: number,
    private readonly durationMs: number,
    public clock: () => number,
  ) {}

  private entry(key: string) {
    const window = Math.floor(this.clock() / this.durationMs);
    let e = this.counts.get(key);
    if (!e || e.window !== window) {
      e = { window, consumed: 0 };
      this.counts.set(key, e);
    }
    return e;
  }

  async consume(key: string, n = 1): Promise<RateLimiterRes> {
    this.calls++;
    const e = this.entry(key);
    e.consumed += n;
    const msBeforeNext = (e.window + 1) * this.durationMs - this.clock();
    const res = new RateLimiterRes(Math.max(0, this.points - e.consumed), msBeforeNext, e.consumed, e.consumed === n);
    if (e.consumed > this.points) throw res;
    return res;
  }

  async reward(key: string, n = 1): Promise<unknown> {
    this.entry(key).consumed -= n;
    return undefined;
  }
}

describe('chunkFor', () => {
  it('leases min(RATE_LIMIT_LEASE, points / 20) and keeps small quotas exact', () => {
    expect(chunkFor(100, 20)).toBe(5);
    expect(chunkFor(1000, 20)).toBe(20);
    expect(chunkFor(10_000_000, 20)).toBe(20);
    expect(chunkFor(39, 20)).toBe(1); // a chunk of 1 point would be a store call per request anyway
    expect(chunkFor(40, 20)).toBe(2);
    expect(chunkFor(10, 20)).toBe(1);
    expect(chunkFor(1_000_000, 1)).toBe(1);
  });
});

describe('leasedCounter', () => {
  it('passes every call to the store when the quota is small (exact)', async () => {
    const store = new ModelStore(10, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 10, duration: 60, maxChunk: 20, now: () => 0 });
    expect(counter.chunk).toBe(1);
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await outcome(counter.consume('k')));
    expect(results.filter((r) => r === 'allowed')).toHaveLength(10);
    expect(store.calls).toBe(12);
  });

  it('asks the store once per chunk, not once per request', async () => {
    const store = new ModelStore(1000, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 1000, duration: 60, maxChunk: 20, now: () => 0 });
    expect(counter.chunk).toBe(20);
    for (let i = 0; i < 200; i++) expect(await outcome(counter.consume('k'))).toBe('allowed');
    // 200 points in chunks of 20, plus at most the one chunk asked for ahead.
    expect(store.calls).toBeGreaterThanOrEqual(10);
    expect(store.calls).toBeLessThanOrEqual(11);
  });

  it('allows exactly the quota in a window and then refuses without asking the store again until the window ends', async () => {
    let t = 5_000;
    const store = new ModelStore(100, 60_000, () => t);
    const counter = leasedCounter(store, { points: 100, duration: 60, maxChunk: 20, now: () => t });
    const results = [];
    for (let i = 0; i < 130; i++) results.push(await outcome(counter.consume('k')));
    expect(results.filter((r) => r === 'allowed')).toHaveLength(100);
    expect(results.slice(100).every((r) => r === 'refused')).toBe(true);
    const callsWhenExhausted = store.calls;
    await expect(counter.consume('k')).rejects.toBeInstanceOf(RateLimiterRes);
    expect(store.calls).toBe(callsWhenExhausted);
    // The refusal says when the window reopens (the store's window ends at 60 s).
    const refusal = await counter.consume('k').catch((e: RateLimiterRes) => e);
    expect((refusal as RateLimiterRes).msBeforeNext).toBe(55_000);
    // Next window: allowed again.
    t = 60_000;
    expect(await outcome(counter.consume('k'))).toBe('allowed');
  });

  it('takes a partial chunk when the store has fewer points left than a chunk (the last points are shared, not doubled)', async () => {
    const store = new ModelStore(100, 60_000, () => 0);
    // Another instance spent 93 of the 100 points.
    for (let i = 0; i < 93; i++) await store.consume('k');
    const counter = leasedCounter(store, { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await outcome(counter.consume('k')));
    expect(results.filter((r) => r === 'allowed')).toHaveLength(7);
  });

  it("reads rate-limiter-flexible's refusal the way the lease needs (it counts the chunk, then refuses with the total)", async () => {
    const memory = new RateLimiterMemory({ points: 100, duration: 60 });
    for (let i = 0; i < 95; i++) await memory.consume('k');
    const counter = leasedCounter(memory, { points: 100, duration: 60, maxChunk: 20 });
    const results = [];
    for (let i = 0; i < 10; i++) results.push(await outcome(counter.consume('k')));
    expect(results.filter((r) => r === 'allowed')).toHaveLength(5);
  });

  it('lets a lease lapse at the end of its window: points left over are not spent in the next one', async () => {
    let t = 0;
    const store = new ModelStore(100, 10_000, () => t);
    const counter = leasedCounter(store, { points: 100, duration: 10, maxChunk: 20, now: () => t });
    expect(await outcome(counter.consume('k'))).toBe('allowed'); // leases 5 (chunk = 100 / 20)
    // Window 2: another instance spends the whole quota.
    t = 10_000;
    for (let i = 0; i < 100; i++) await store.consume('k');
    // The 4 points left from window 1 are gone; the store has nothing in window 2.
    expect(await outcome(counter.consume('k'))).toBe('refused');
  });

  it('gives a refunded point back to the lease', async () => {
    const store = new ModelStore(100, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    const grants: RateLimiterRes[] = [];
    for (let i = 0; i < 100; i++) grants.push(await counter.consume('k'));
    expect(await outcome(counter.consume('k'))).toBe('refused');
    await counter.refund('k', grants[99]!);
    expect(await outcome(counter.consume('k'))).toBe('allowed');
    expect(await outcome(counter.consume('k'))).toBe('refused');
  });

  it("takes back only its own allowances, each once: another counter's, or one refunded already, changes nothing", async () => {
    const store = new ModelStore(100, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    const other = leasedCounter(new ModelStore(100, 60_000, () => 0), { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    const grants: RateLimiterRes[] = [];
    for (let i = 0; i < 100; i++) grants.push(await counter.consume('k'));
    const foreign = await other.consume('k');
    await counter.refund('k', foreign);
    expect(await outcome(counter.consume('k'))).toBe('refused');
    await counter.refund('k', grants[0]!);
    await counter.refund('k', grants[0]!);
    expect(await outcome(counter.consume('k'))).toBe('allowed');
    expect(await outcome(counter.consume('k'))).toBe('refused');
  });

  it('serves requests waiting on one refill from further chunks rather than refusing them', async () => {
    const store = new ModelStore(1000, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 1000, duration: 60, maxChunk: 20, now: () => 0 });
    const results = await Promise.all(Array.from({ length: 300 }, () => outcome(counter.consume('k'))));
    expect(results.every((r) => r === 'allowed')).toBe(true);
  });

  it('keeps keys apart', async () => {
    const store = new ModelStore(100, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    for (let i = 0; i < 100; i++) await counter.consume('a');
    expect(await outcome(counter.consume('a'))).toBe('refused');
    expect(await outcome(counter.consume('b'))).toBe('allowed');
  });

  it('passes a store failure through (the rate limits then decide as they do for any failure)', async () => {
    const failing: StoreCounter = { consume: () => Promise.reject(new Error('store down')), reward: () => Promise.resolve() };
    const counter = leasedCounter(failing, { points: 1000, duration: 60, maxChunk: 20, now: () => 0 });
    await expect(counter.consume('k')).rejects.toThrow('store down');
  });
});

describe('several instances on one store (the documented overshoot bound)', () => {
  /**
   * K instances share one store; each has its own clock, off the store's by a skew. The test
   * drives time in 1 ms steps through 20 windows and sends demand well above the quota from every
   * instance; each allowed request is counted in the store window (store clock) it was allowed in.
   */
  async function simulate(skewsMs: number[], points: number, durationMs: number) {
    let t = 0;
    const store = new ModelStore(points, durationMs, () => t);
    const instances = skewsMs.map((skew) => leasedCounter(store, { points, duration: durationMs / 1000, maxChunk: 20, now: () => t + skew }));
    const chunk = instances[0]!.chunk;
    const allowedPerWindow = new Map<number, number>();
    for (t = 0; t < 20 * durationMs; t += 1) {
      // Each instance sees one request per ms: demand = instances × duration per window.
      const results = await Promise.all(instances.map((c) => outcome(c.consume('k'))));
      const window = Math.floor(t / durationMs);
      allowedPerWindow.set(window, (allowedPerWindow.get(window) ?? 0) + results.filter((r) => r === 'allowed').length);
    }
    return { chunk, perWindow: [...allowedPerWindow.values()] };
  }

  it('on one clock, never allows more than the quota in any window', async () => {
    const { perWindow } = await simulate([0, 0, 0, 0], 200, 1000);
    expect(Math.max(...perWindow)).toBeLessThanOrEqual(200);
    // and the quota is used: at most each other instance's unspent chunk is lost
    expect(Math.min(...perWindow)).toBeGreaterThanOrEqual(200 - 10 * 3);
  });

  it('with clocks up to 50 ms apart, overshoots a window by no more than chunk × instances', async () => {
    const skews = [-50, -20, 0, 35];
    const { chunk, perWindow } = await simulate(skews, 200, 1000);
    expect(chunk).toBe(10);
    expect(Math.max(...perWindow)).toBeLessThanOrEqual(200 + chunk * skews.length);
  });
});

describe('a consume of more points than a chunk (a batch: a point per operation; review s20g)', () => {
  /** Races the consume against a number of store answers: a consume that keeps asking never settles. */
  async function settled(p: Promise<RateLimiterRes>, store: ModelStore, maxCalls: number): Promise<'allowed' | 'refused' | 'still asking'> {
    const answer = outcome(p);
    let done = false;
    void answer.then(() => (done = true), () => (done = true));
    while (!done && store.calls <= maxCalls) await new Promise((resolve) => setImmediate(resolve));
    return done ? answer : 'still asking';
  }

  /** The store answering in a later turn, as a real one does (a consume that loops then yields, so the test can see it). */
  const later = (store: ModelStore): StoreCounter => ({
    consume: async (key, n) => {
      await new Promise((resolve) => setImmediate(resolve));
      return store.consume(key, n);
    },
    reward: (key, n) => store.reward(key, n),
  });

  it('is counted by the store exactly, once, instead of leasing chunks it gives back for ever', async () => {
    const store = new ModelStore(100, 60_000, () => 0);
    const counter = leasedCounter(later(store), { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    expect(counter.chunk).toBe(5); // a lease holds at most 5 + 3 - 1 = 7 points
    expect(await settled(counter.consume('k', 8), store, 20)).toBe('allowed');
    expect(await settled(counter.consume('k', 50), store, 40)).toBe('allowed');
    // 58 of 100 taken: 43 more cannot be covered whole.
    expect(await settled(counter.consume('k', 43), store, 60)).toBe('refused');
  });

  it('gives its points back to the store on a refund (another quota refused the request)', async () => {
    const store = new ModelStore(100, 60_000, () => 0);
    const counter = leasedCounter(later(store), { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    const grant = counter.consume('k', 60);
    expect(await settled(grant, store, 20)).toBe('allowed');
    await counter.refund('k', await grant);
    await counter.refund('k', await grant); // once only
    expect(await settled(counter.consume('k', 100), store, 40)).toBe('allowed');
    expect(await settled(counter.consume('k', 6), store, 60)).toBe('refused');
  });
});

describe('an exact quota (chunk 1) refunding a consume of several points (review s20g)', () => {
  it('gives back every point the allowance took, not one', async () => {
    const store = new ModelStore(10, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 10, duration: 60, maxChunk: 20, now: () => 0 });
    expect(counter.chunk).toBe(1);
    await counter.refund('k', await counter.consume('k', 8));
    expect(await outcome(counter.consume('k', 10))).toBe('allowed');
  });
});

describe('consumeNow: the allowance at once from the lease in memory', () => {
  it('answers nothing (and takes nothing) until a lease holds the points; then what consume would, and asks for the next chunk at half', async () => {
    const store = new ModelStore(1000, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 1000, duration: 60, maxChunk: 20, now: () => 0 });
    expect(counter.consumeNow('k')).toBeNull(); // no lease yet
    expect(store.calls).toBe(0);
    await counter.consume('k'); // leases a chunk of 20, takes 1
    expect(store.calls).toBe(1);
    const now = counter.consumeNow('k')!;
    const later = await counter.consume('k');
    // The same figures as consume's: what this instance knows is left, and the window's end.
    expect([now.remainingPoints, now.msBeforeNext, now.consumedPoints]).toEqual([later.remainingPoints + 1, later.msBeforeNext, later.consumedPoints - 1]);
    for (let i = 0; i < 7; i++) expect(counter.consumeNow('k')).not.toBeNull(); // 10 taken of 20: half left
    expect(store.calls).toBe(1);
    expect(counter.consumeNow('k')).not.toBeNull(); // 9 left: under half, the refill is asked for now
    expect(store.calls).toBe(2);
    // More points than a chunk go to the store: not at once.
    expect(counter.consumeNow('k', 21)).toBeNull();
  });

  it('refuses nothing at once: a spent lease leaves the decision to consume', async () => {
    const store = new ModelStore(100, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 100, duration: 60, maxChunk: 20, now: () => 0 });
    const grants: RateLimiterRes[] = [];
    for (let i = 0; i < 100; i++) grants.push(await counter.consume('k'));
    expect(counter.consumeNow('k')).toBeNull();
    expect(await outcome(counter.consume('k'))).toBe('refused');
    // A refund puts a point back in the lease: now it is there at once.
    await counter.refund('k', grants[0]!);
    expect(counter.consumeNow('k')).not.toBeNull();
    expect(counter.consumeNow('k')).toBeNull();
  });

  it('is never at once for an exact quota (every point is the store\'s)', async () => {
    const store = new ModelStore(10, 60_000, () => 0);
    const counter = leasedCounter(store, { points: 10, duration: 60, maxChunk: 20, now: () => 0 });
    await counter.consume('k');
    expect(counter.consumeNow('k')).toBeNull();
  });
});
