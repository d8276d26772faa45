/**
 * Review of quota leases (limits/quota-lease.ts, issue 18) with an attacker's eyes: each case tries
 * to get more than the documented bound, a request that never settles, an unhandled rejection,
 * insane headers, unbounded memory, or a change of behaviour for small (exact) quotas. Time is the
 * test's: the leases take an injected clock, the stores below answer on the same clock, and
 * rate-limiter-flexible's in-memory limiters run under jest's fake timers.
 */
import { jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RateLimiterMemory, RateLimiterMongo, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config, RateTier } from '../../../core/config.js';
import { leasedCounter, type StoreCounter } from '../../../limits/quota-lease.js';
import { createRateLimits, type RateDecision, type RateLimits, type RateSubject } from '../../../limits/rate-limit.js';
import { createStore } from '../../../store/index.js';
import type { RateLimiterSpec, Store } from '../../../store/port.js';
import { createRateLimits as createRateLimitsBeforeLeases } from './fixtures/rate-limit-before-lease.js';
import { outcome } from './fixtures/outcome.js';
import { turn, unhandledRejectionsDuring } from '../../helpers/unhandled.js';

// ── tools ──────────────────────────────────────────────────────────────────────────────────────

/**
 * A shared counter with rate-limiter-flexible's store semantics: a window starts at the first
 * consume after the last one expired and lasts `durationMs`; `consume(key, n)` adds n, then refuses
 * when the total is over the quota, answering with the total. Answers can be held (the store is
 * slow) and released by the test; held answers are computed at release, on the clock then.
 */
class ModelStore implements StoreCounter {
  calls = 0;
  private readonly counts = new Map<string, { expire: number; consumed: number }>();
  private held: Array<() => void> | null = null;
  /** When set, the next consumes fail with this error instead of answering (a store that errors). */
  failWith: Error | null = null;

  constructor(
    readonly points: number,
    readonly durationMs: number,
    public clock: () => number,
  ) {}

  hold(): void {
    this.held ??= [];
  }

  /** Lets every held answer go (on the clock as it is now); keeps holding new ones if `keepHolding`. */
  release(keepHolding = false): number {
    const held = this.held ?? [];
    this.held = keepHolding ? [] : null;
    for (const go of held) go();
    return held.length;
  }

  get holding(): number {
    return this.held?.length ?? 0;
  }

  private entry(key: string) {
    const t = this.clock();
    let e = this.counts.get(key);
    if (!e || e.expire <= t) {
      e = { expire: t + this.durationMs, consumed: 0 };
      this.counts.set(key, e);
    }
    return e;
  }

  /** Points counted in the key's current window (what every instance together took). */
  consumed(key: string): number {
    return this.entry(key).consumed;
  }

  async consume(key: string, n = 1): Promise<RateLimiterRes> {
    this.calls++;
    if (this.held) await new Promise<void>((go) => this.held!.push(go));
    if (this.failWith) throw this.failWith;
    const e = this.entry(key);
    e.consumed += n;
    const res = new RateLimiterRes(Math.max(0, this.points - e.consumed), e.expire - this.clock(), e.consumed, e.consumed === n);
    if (e.consumed > this.points) throw res;
    return res;
  }

  async reward(key: string, n = 1): Promise<RateLimiterRes> {
    const e = this.entry(key);
    e.consumed -= n;
    return new RateLimiterRes(Math.max(0, this.points - e.consumed), e.expire - this.clock(), e.consumed, false);
  }
}

/**
 * The model store as a rate-limiter-flexible limiter (RLWrapperTimeouts takes only those), built
 * per spec by createRateLimits; `stores` maps each keyPrefix to its model.
 */
function modelLimiters(clock: () => number) {
  const stores = new Map<string, ModelStore>();
  const createStoreLimiter = (spec: RateLimiterSpec): RateLimiterAbstract => {
    const model = new ModelStore(spec.points, spec.duration * 1000, clock);
    stores.set(spec.keyPrefix, model);
    return asLimiter(model, spec);
  };
  /** Another instance's factory: limiters over the models the first instance's factory built. */
  const sharedLimiter = (spec: RateLimiterSpec): RateLimiterAbstract => asLimiter(stores.get(spec.keyPrefix)!, spec);
  return { stores, createStoreLimiter, sharedLimiter };
}

function asLimiter(model: ModelStore, spec: RateLimiterSpec): RateLimiterAbstract {
  return new (class extends RateLimiterMemory {
    override consume(key: string | number, n = 1): Promise<RateLimiterRes> {
      return model.consume(String(key), n);
    }
    override reward(key: string | number, n = 1): Promise<RateLimiterRes> {
      return model.reward(String(key), n);
    }
  })(spec);
}

/** Lets every promise that can settle settle (one turn of the event loop; not a wait for time). */

/** Releases the store's held answers until every promise settled (a bounded number of rounds). */
async function settleAll<T>(store: ModelStore, promises: Array<Promise<T>>, keepHolding = true): Promise<T[]> {
  let settled = false;
  const all = Promise.all(promises).finally(() => {
    settled = true;
  });
  for (let round = 0; round < 10_000 && !settled; round++) {
    await turn();
    store.release(keepHolding);
  }
  store.release();
  return all;
}


type RateConfig = Config['rateLimits'];
const tier = (t: Partial<RateTier>): RateTier => ({ points: 2, duration: 1, burst: 0, burstDuration: 1, perOrgShare: 1, ...t });
const product = (productId: string, t: string, org: string | null = null): RateSubject => ({ kind: 'product', productId, org, tier: t });
const scopeOf = (d: RateDecision) => (d.allowed ? 'allowed' : (d.denial.details as { scope: string }).scope);

/** A seeded PRNG (mulberry32): the schedules are random but the same on every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Header invariants every decision must keep: integers, never negative, never NaN, Remaining ≤ Limit. */
function expectSaneHeaders(d: RateDecision): void {
  const h = d.headers;
  for (const name of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) expect(h[name]).toMatch(/^\d+$/);
  expect(Number(h['RateLimit-Remaining'])).toBeLessThanOrEqual(Number(h['RateLimit-Limit']));
  if (d.allowed) expect(h['Retry-After']).toBeUndefined();
  else {
    expect(h['Retry-After']).toMatch(/^[1-9]\d*$/);
    expect(h['RateLimit-Remaining']).toBe('0');
  }
}

/** A temporary directory for a describe block's file stores; the stores are closed and it is removed after the block. */
function tempStores(prefix: string): { dir: () => string; stores: Store[] } {
  let path = '';
  const stores: Store[] = [];
  beforeAll(() => {
    path = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    rmSync(path, { recursive: true, force: true });
  });
  return { dir: () => path, stores };
}

// ── the store limiters the lease relies on ─────────────────────────────────────────────────────

describe('the store limiters count a chunk, then refuse with the total (what partial chunks rely on)', () => {
  /**
   * consume(key, 20) until refused: the answers name the totals 20, 40, 60 (the refusal counts the
   * whole chunk); a lease over the store then allows exactly the quota of 50.
   */
  async function expectChunksThenTotal(limiter: StoreCounter) {
    const totals: number[] = [];
    for (let i = 0; i < 3; i++) {
      const answer = await limiter.consume('k', 20).catch((e: unknown) => e);
      expect(answer).toBeInstanceOf(RateLimiterRes);
      totals.push((answer as RateLimiterRes).consumedPoints);
    }
    const allowed: string[] = [];
    const lease = leasedCounter(limiter, { points: 50, duration: 600, maxChunk: 20 });
    for (let i = 0; i < 50; i++) allowed.push(await outcome(lease.consume('other')));
    expect(totals).toEqual([20, 40, 60]);
    expect(allowed.filter((a) => a === 'allowed').length).toBe(50);
  }

  const { dir, stores } = tempStores('dsp-lease-attack-');

  it('RateLimiterSQLite on the store connection (sqlite::memory:): 20, 40, then refused naming 60', async () => {
    const store = await createStore('sqlite::memory:');
    stores.push(store);
    const limiter = store.createRateLimiter({ keyPrefix: 'rl:probe', points: 50, duration: 600 }) as unknown as StoreCounter;
    await expectChunksThenTotal(limiter);
  });

  it('RateLimiterSQLite through the write thread (a file store): the same answers cross the thread', async () => {
    const store = await createStore(`sqlite:${join(dir(), 'probe.db')}`);
    stores.push(store);
    const limiter = store.createRateLimiter({ keyPrefix: 'rl:probe', points: 50, duration: 600 }) as unknown as StoreCounter;
    const refused = await limiter.consume('t', 60).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RateLimiterRes); // revived as rate-limiter-flexible's class, so the lease reads it
    expect((refused as RateLimiterRes).consumedPoints).toBe(60);
    await expectChunksThenTotal(limiter);
  });

  it("RateLimiterMongo's arithmetic ($inc, then the document after): refused naming the total (a fake collection; no mongod here)", async () => {
    // rate-limiter-flexible 11 RateLimiterMongo._upsert: findOneAndUpdate({key, expire > now}, {$inc: {points}},
    // {upsert, returnDocument: 'after'}); _getRateLimiterRes: consumedPoints = doc.points.
    const docs = new Map<string, { key: string; points: number; expire: Date }>();
    const collection = {
      findOneAndUpdate: async (where: { key: string }, update: { $inc: { points: number }; $setOnInsert: { expire: Date } }) => {
        const doc = docs.get(where.key) ?? { key: where.key, points: 0, expire: update.$setOnInsert.expire };
        doc.points += update.$inc.points;
        docs.set(where.key, doc);
        return { ...doc };
      },
    };
    const db = { collection: () => collection };
    const limiter = new RateLimiterMongo({ storeClient: db, tableName: 'rate_limits', disableIndexesCreation: true, keyPrefix: 'rl:probe', points: 50, duration: 600 });
    await expectChunksThenTotal(limiter);
  });

  it('RateLimiterMemory (the insurance limiter): the same', async () => {
    await expectChunksThenTotal(new RateLimiterMemory({ points: 50, duration: 600 }));
  });
});

describe('two instances on one SQLite file (two write threads, real RateLimiterSQLite), concurrent requests', () => {
  const { dir, stores } = tempStores('dsp-lease-sqlite-');

  it('never allow more than the quota in the window, and leave at most a lease and a half per other instance unused', async () => {
    const file = join(dir(), 'shared.db');
    const config: RateConfig = {
      enabled: true,
      // Ten minutes: one window spans the test. Leased: chunk 20 (product), 10 (org, 200 points).
      tiers: { demo: tier({ points: 400, duration: 600, perOrgShare: 0.5 }) },
      staff: { points: 2, duration: 600 },
      anonymous: { points: 2, duration: 600 },
      lease: 20,
    };
    const instances: RateLimits[] = [];
    for (let i = 0; i < 2; i++) {
      const store = await createStore(`sqlite:${file}`);
      stores.push(store);
      instances.push(createRateLimits({ config, createStoreLimiter: (spec) => store.createRateLimiter(spec), storeTimeoutMs: 10_000 }));
    }
    const orgs = ['ORG-A', 'ORG-B', 'ORG-C'];
    const ds = await Promise.all(Array.from({ length: 900 }, (_, i) => Promise.resolve(instances[i % 2]!.check(product('PRD-A', 'demo', orgs[i % 3]!))).then((d) => ({ d, org: orgs[i % 3]! }))));
    const allowed = ds.filter(({ d }) => d.allowed);
    expect(allowed.length).toBeLessThanOrEqual(400);
    expect(allowed.length).toBeGreaterThanOrEqual(400 - 29);
    for (const org of orgs) expect(allowed.filter((a) => a.org === org).length).toBeLessThanOrEqual(200);
    ds.forEach(({ d }) => expectSaneHeaders(d));
  });
});

// ── one lease, one clock ───────────────────────────────────────────────────────────────────────

describe('a leased counter under attack (one instance, one clock)', () => {
  const W = 10_000;

  it('many concurrent consumes while refills are in flight: never more than the quota in the window', async () => {
    const t = 1_000;
    const store = new ModelStore(100, W, () => t);
    const counter = leasedCounter(store, { points: 100, duration: W / 1000, maxChunk: 20, now: () => t });
    store.hold();
    const results = await settleAll(store, Array.from({ length: 400 }, () => outcome(counter.consume('k'))));
    expect(results.filter((r) => r === 'allowed')).toHaveLength(100);
    expect(store.consumed('k')).toBeGreaterThanOrEqual(100);
  });

  it('a refill asked before the window ends and granted after: the old leftovers lapse, the new window gets exactly the quota', async () => {
    let t = 0;
    const store = new ModelStore(100, W, () => t);
    const counter = leasedCounter(store, { points: 100, duration: W / 1000, maxChunk: 20, now: () => t });
    expect(await outcome(counter.consume('k'))).toBe('allowed'); // leases 5, 4 left
    t = W - 1;
    store.hold();
    expect(await outcome(counter.consume('k'))).toBe('allowed'); // 3 left
    expect(await outcome(counter.consume('k'))).toBe('allowed'); // 2 left: refill asked, held
    expect(store.holding).toBe(1);
    t = W + 1; // the store answers in its next window
    const inNewWindow = await settleAll(store, Array.from({ length: 150 }, () => outcome(counter.consume('k'))), false);
    expect(inNewWindow.filter((r) => r === 'allowed')).toHaveLength(100);
  });

  it('a refill asked and granted in the old window but settling after it: its points are not spent in the new one', async () => {
    let t = 0;
    const store = new ModelStore(100, W, () => t);
    const counter = leasedCounter(store, { points: 100, duration: W / 1000, maxChunk: 20, now: () => t });
    for (let i = 0; i < 3; i++) await counter.consume('k'); // 2 left, refill asked (answered at once)
    t = W - 1;
    store.hold();
    for (let i = 0; i < 5; i++) await counter.consume('k'); // spends the refill: another refill held
    store.release(); // the store grants it at W - 1 (old window)...
    await turn();
    t = W; // ...and the lease is asked after the window ended
    // Another instance takes the whole new window; this one must not spend the old chunk in it.
    for (let i = 0; i < 100; i++) await store.consume('k');
    expect(await outcome(counter.consume('k'))).toBe('refused');
  });

  it('a refill that rejects: every waiting request rejects (none hangs), no unhandled rejection, the next request asks again', async () => {
    const t = 0;
    const store = new ModelStore(1000, W, () => t);
    const counter = leasedCounter(store, { points: 1000, duration: W / 1000, maxChunk: 20, now: () => t });
    const seen = await unhandledRejectionsDuring(async () => {
      store.failWith = new Error('store down');
      store.hold();
      const waiting = Array.from({ length: 10 }, () => counter.consume('k').then(() => 'allowed', (e: Error) => e.message));
      expect(await settleAll(store, waiting, false)).toEqual(Array(10).fill('store down'));
      store.failWith = null;
      expect(await outcome(counter.consume('k'))).toBe('allowed');
    });
    expect(seen).toEqual([]);
  });

  it('a background refill that rejects: the lease keeps serving, no unhandled rejection, the empty lease asks again', async () => {
    const t = 0;
    const store = new ModelStore(1000, W, () => t);
    const counter = leasedCounter(store, { points: 1000, duration: W / 1000, maxChunk: 20, now: () => t });
    const seen = await unhandledRejectionsDuring(async () => {
      expect(await outcome(counter.consume('k'))).toBe('allowed'); // 19 left
      store.failWith = new Error('store down');
      const results = [];
      for (let i = 0; i < 19; i++) results.push(await outcome(counter.consume('k'))); // background refills fail
      expect(results.every((r) => r === 'allowed')).toBe(true);
      store.failWith = null;
      expect(await outcome(counter.consume('k'))).toBe('allowed');
    });
    expect(seen).toEqual([]);
  });

  it('a refund returns a point the store granted, to the lease it came from, once', async () => {
    const t = 0;
    const store = new ModelStore(100, W, () => t);
    const counter = leasedCounter(store, { points: 100, duration: W / 1000, maxChunk: 20, now: () => t });
    const grants: RateLimiterRes[] = [];
    for (let i = 0; i < 100; i++) grants.push(await counter.consume('k'));
    expect(await outcome(counter.consume('k'))).toBe('refused'); // exhausted: a cached refusal
    // Refunds while exhausted: the point is spent again, but the same grant cannot be refunded twice.
    await counter.refund('k', grants[0]!);
    await counter.refund('k', grants[0]!);
    await counter.refund('k', grants[0]!);
    expect(await outcome(counter.consume('k'))).toBe('allowed');
    expect(await outcome(counter.consume('k'))).toBe('refused');
  });

  it('a refund cannot inflate a lease beyond what the store granted (a refusal is not a grant; a foreign answer is not one either)', async () => {
    const t = 0;
    const store = new ModelStore(100, W, () => t);
    const counter = leasedCounter(store, { points: 100, duration: W / 1000, maxChunk: 20, now: () => t });
    for (let i = 0; i < 100; i++) await counter.consume('k');
    const refusal = await counter.consume('k').catch((e: RateLimiterRes) => e);
    for (let i = 0; i < 10; i++) await counter.refund('k', refusal as RateLimiterRes);
    for (let i = 0; i < 10; i++) await counter.refund('k', new RateLimiterRes(50, 1000, 50, false));
    expect(await outcome(counter.consume('k'))).toBe('refused');
  });

  it("a refund of a point from an ended window does not go into the next window's lease", async () => {
    let t = 0;
    const store = new ModelStore(100, W, () => t);
    const counter = leasedCounter(store, { points: 100, duration: W / 1000, maxChunk: 20, now: () => t });
    const old = await counter.consume('k');
    t = W;
    const allowed = [];
    for (let i = 0; i < 100; i++) allowed.push(await outcome(counter.consume('k')));
    await counter.refund('k', old); // a request of the last window, refused by another quota late
    allowed.push(await outcome(counter.consume('k')));
    expect(allowed.filter((a) => a === 'allowed')).toHaveLength(100);
  });

  it('a refusal naming no total over the quota (a key the store blocks, an in-memory block) grants nothing', async () => {
    const calls: number[] = [];
    const blocking: StoreCounter = {
      consume: async (_key, n = 1) => {
        calls.push(n);
        // rate-limiter-flexible's in-memory block refuses with `new RateLimiterRes(0, msBeforeExpire)`: consumedPoints 0.
        throw new RateLimiterRes(0, 5_000);
      },
      reward: async () => undefined,
    };
    const counter = leasedCounter(blocking, { points: 1000, duration: 60, maxChunk: 20, now: () => 0 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await outcome(counter.consume('k')));
    expect(results).toEqual(Array(5).fill('refused'));
  });

  it('a store answering a window without end (msBeforeNext -1: a key blocked forever) does not make a request spin', async () => {
    let calls = 0;
    const forever: StoreCounter = {
      consume: async (_key, n = 1) => {
        if (++calls > 50) throw new Error('asked the store 50 times for one request');
        throw new RateLimiterRes(0, -1, 1001 + n, false);
      },
      reward: async () => undefined,
    };
    const counter = leasedCounter(forever, { points: 1000, duration: 60, maxChunk: 20, now: () => 0 });
    const refusal = await counter.consume('k').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(RateLimiterRes);
    expect(Number.isNaN((refusal as RateLimiterRes).msBeforeNext)).toBe(false);
    expect((refusal as RateLimiterRes).msBeforeNext).toBeGreaterThanOrEqual(0);
    expect(calls).toBeLessThanOrEqual(2);
  });

  it('a store that never answers leaves the request waiting (RLWrapperTimeouts bounds it in the rate limits: see below)', async () => {
    const never: StoreCounter = { consume: () => new Promise<RateLimiterRes>(() => undefined), reward: async () => undefined };
    const counter = leasedCounter(never, { points: 1000, duration: 60, maxChunk: 20, now: () => 0 });
    const state = await Promise.race([counter.consume('k').then(() => 'settled'), turn().then(() => 'pending')]);
    expect(state).toBe('pending');
  });

  it('memory: the table of leases is bounded; an evicted key asks the store again (it can only undercount)', async () => {
    const t = 0;
    const store = new ModelStore(1000, W, () => t);
    const counter = leasedCounter(store, { points: 1000, duration: W / 1000, maxChunk: 20, now: () => t, maxBytes: 64 * 1024 });
    await counter.consume('203.0.113.1');
    const callsAfterFirst = store.calls;
    await counter.consume('203.0.113.1');
    expect(store.calls).toBe(callsAfterFirst); // served from its lease
    for (let i = 0; i < 5_000; i++) await counter.consume(`198.51.${i >> 8}.${i & 255}`);
    const before = store.calls;
    await counter.consume('203.0.113.1');
    expect(store.calls).toBe(before + 1); // its lease was evicted: the table did not grow with 5 000 keys
    // Each key cost one chunk of its own quota in the store, never more than the quota.
    expect(store.consumed('203.0.113.1')).toBeLessThanOrEqual(1000);
  });
});

// ── the rate limits (org share, burst, refunds) ────────────────────────────────────────────────

describe('rate limits with leased quotas under attack', () => {
  it('a request served by the burst and refused by its org share does not add a point to the sustained lease (as BurstyRateLimiter did not)', async () => {
    const t = 0;
    const { createStoreLimiter } = modelLimiters(() => t);
    // product: 100 (chunk 5) + burst 40 (chunk 2); org share 0.5: 50 (chunk 2) + burst 20 (exact).
    const config: RateConfig = {
      enabled: true,
      tiers: { demo: tier({ points: 100, duration: 60, burst: 40, burstDuration: 60, perOrgShare: 0.5 }) },
      staff: { points: 2, duration: 60 },
      anonymous: { points: 2, duration: 60 },
      lease: 20,
    };
    const rl = createRateLimits({ config, createStoreLimiter, now: () => t });
    const a = () => rl.check(product('PRD-A', 'demo', 'ORG-A'));
    const b = () => rl.check(product('PRD-A', 'demo', 'ORG-B'));
    for (let i = 0; i < 70; i++) expect((await a()).allowed).toBe(true); // org A: 50 + its burst 20; product: 70 of 100
    for (let i = 0; i < 30; i++) expect((await b()).allowed).toBe(true); // product's sustained 100 spent
    // Org A has nothing left: its requests are refused on its share, but the product's burst serves
    // them before the refusal is known. 10 burst points spent.
    for (let i = 0; i < 10; i++) expect(scopeOf(await a())).toBe('PRODUCT_ORG');
    // What org B can still get: the product's burst (40 − 10), not a sustained point more.
    let allowedB = 0;
    for (let i = 0; i < 60; i++) if ((await b()).allowed) allowedB++;
    expect(allowedB).toBe(30);
  });

  it("a refund arriving after the window turned does not add a point to the next window's lease", async () => {
    let t = 0;
    const { stores, createStoreLimiter } = modelLimiters(() => t);
    const config: RateConfig = {
      enabled: true,
      tiers: { demo: tier({ points: 100, duration: 10, perOrgShare: 0.5 }) },
      staff: { points: 2, duration: 60 },
      anonymous: { points: 2, duration: 60 },
      lease: 20,
    };
    // A long timeout: the held store answers within the test's turns, never by the wrapper's timer.
    const rl = createRateLimits({ config, createStoreLimiter, now: () => t, storeTimeoutMs: 60_000 });
    const orgStore = stores.get('rl:tier:demo:org')!;
    expect((await rl.check(product('PRD-A', 'demo'))).allowed).toBe(true); // product window [0, 10 s); lease: 4 left
    // Another instance spent org C's whole share, in an org window [5 s, 15 s).
    t = 5_000;
    for (let i = 0; i < 50; i++) await orgStore.consume(JSON.stringify(['PRD-A', 'ORG-C']));
    t = 9_999;
    orgStore.hold();
    const late = rl.check(product('PRD-A', 'demo', 'ORG-C')); // product point taken now; org answer held
    await turn();
    t = 10_000; // the window turns while the org store thinks
    const inNewWindow: boolean[] = [(await rl.check(product('PRD-A', 'demo'))).allowed];
    orgStore.release();
    expect(scopeOf(await late)).toBe('PRODUCT_ORG'); // refused: its product point is given back...
    for (let i = 0; i < 120; i++) inNewWindow.push((await rl.check(product('PRD-A', 'demo'))).allowed);
    // ...but not into the new window, which allows exactly the quota.
    expect(inNewWindow.filter(Boolean)).toHaveLength(100);
  });

  it('org share and product quota refunds: a request the product refuses does not drain its org share', async () => {
    const t = 0;
    const { stores, createStoreLimiter } = modelLimiters(() => t);
    const config: RateConfig = {
      enabled: true,
      tiers: { demo: tier({ points: 200, duration: 60, perOrgShare: 0.5 }) },
      staff: { points: 2, duration: 60 },
      anonymous: { points: 2, duration: 60 },
      lease: 20,
    };
    const rl = createRateLimits({ config, createStoreLimiter, now: () => t });
    // Another instance spent the product's quota but for 10 points.
    for (let i = 0; i < 190; i++) await stores.get('rl:tier:demo:product')!.consume('PRD-A');
    const scopes: string[] = [];
    for (let i = 0; i < 200; i++) scopes.push(scopeOf(await rl.check(product('PRD-A', 'demo', 'ORG-A'))));
    expect(scopes.filter((s) => s === 'allowed')).toHaveLength(10);
    expect(new Set(scopes.slice(10))).toEqual(new Set(['PRODUCT']));
    // 190 refusals gave their org points back: org A's lease holds its share minus the 10 served.
    const orgStore = stores.get('rl:tier:demo:org')!;
    expect(orgStore.consumed(JSON.stringify(['PRD-A', 'ORG-A']))).toBeLessThanOrEqual(10 + 2 * 5);
  });

  it("an org that spent its share cannot make one instance hoard the product's quota with requests it is refused (the org share keeps other orgs served)", async () => {
    const t = 0;
    const { stores, createStoreLimiter, sharedLimiter } = modelLimiters(() => t);
    const config: RateConfig = {
      enabled: true,
      tiers: { demo: tier({ points: 400, duration: 60, perOrgShare: 0.5 }) }, // product chunk 20, org 200 (chunk 10)
      staff: { points: 2, duration: 60 },
      anonymous: { points: 2, duration: 60 },
      lease: 20,
    };
    const one = createRateLimits({ config, createStoreLimiter, now: () => t });
    const shared = sharedLimiter;
    const two = createRateLimits({ config, createStoreLimiter: shared, now: () => t });
    // Org X spent its share (on some instance).
    await stores.get('rl:tier:demo:org')!.consume(JSON.stringify(['PRD-A', 'ORG-X']), 200);
    // Org X sends 300 requests at once to instance one: all refused on its share.
    const refused = await Promise.all(Array.from({ length: 300 }, () => one.check(product('PRD-A', 'demo', 'ORG-X'))));
    expect(new Set(refused.map(scopeOf))).toEqual(new Set(['PRODUCT_ORG']));
    // Orgs Y and Z, on instance two, still get the product's quota but for a lease and a half
    // instance one may hold (29 points).
    let served = 0;
    for (let i = 0; i < 400; i++) if ((await two.check(product('PRD-A', 'demo', i % 2 ? 'ORG-Y' : 'ORG-Z'))).allowed) served++;
    expect(served).toBeGreaterThanOrEqual(400 - 29);
  });

  it("the same, with the refused org's requests and the other orgs' arriving at once on two instances", async () => {
    const t = 0;
    const { stores, createStoreLimiter, sharedLimiter } = modelLimiters(() => t);
    const config: RateConfig = {
      enabled: true,
      tiers: { demo: tier({ points: 400, duration: 60, perOrgShare: 0.5 }) },
      staff: { points: 2, duration: 60 },
      anonymous: { points: 2, duration: 60 },
      lease: 20,
    };
    const one = createRateLimits({ config, createStoreLimiter, now: () => t });
    const shared = sharedLimiter;
    const two = createRateLimits({ config, createStoreLimiter: shared, now: () => t });
    await stores.get('rl:tier:demo:org')!.consume(JSON.stringify(['PRD-A', 'ORG-X']), 200);
    const attack = Array.from({ length: 300 }, () => one.check(product('PRD-A', 'demo', 'ORG-X')));
    const others = Array.from({ length: 400 }, (_, i) => two.check(product('PRD-A', 'demo', i % 2 ? 'ORG-Y' : 'ORG-Z')));
    const [, ds] = await Promise.all([Promise.all(attack), Promise.all(others)]);
    // Afterwards, sequentially: what is left for the other orgs in this window.
    let served = ds.filter((d) => d.allowed).length;
    for (let i = 0; i < 400; i++) if ((await two.check(product('PRD-A', 'demo', i % 2 ? 'ORG-Y' : 'ORG-Z'))).allowed) served++;
    expect(served).toBeGreaterThanOrEqual(400 - 29);
  });

  it('several instances on one store and one clock, mixed orgs, over many windows: never more than the quota (product and each org) in a window', async () => {
    let t = 0;
    const { createStoreLimiter, sharedLimiter } = modelLimiters(() => t);
    const config: RateConfig = {
      enabled: true,
      tiers: { demo: tier({ points: 200, duration: 1, perOrgShare: 0.5 }) },
      staff: { points: 2, duration: 60 },
      anonymous: { points: 2, duration: 60 },
      lease: 20,
    };
    // Four instances, one store per quota (the first instance's factory builds the models; the others share them).
    const first = createRateLimits({ config, createStoreLimiter, now: () => t });
    const shared = sharedLimiter;
    const instances: RateLimits[] = [first, ...[1, 2, 3].map(() => createRateLimits({ config, createStoreLimiter: shared, now: () => t }))];
    const random = prng(18);
    const orgs = ['ORG-A', 'ORG-B', 'ORG-C', null];
    const perWindow = new Map<number, { product: number; org: Map<string, number> }>();
    for (t = 0; t < 8_000; t += 4) {
      const requests = instances.map(async (rl) => {
        const org = orgs[Math.floor(random() * orgs.length)]!;
        return { org, d: await rl.check(product('PRD-A', 'demo', org)) };
      });
      const window = Math.floor(t / 1000);
      const w = perWindow.get(window) ?? { product: 0, org: new Map<string, number>() };
      perWindow.set(window, w);
      for (const { org, d } of await Promise.all(requests)) {
        expectSaneHeaders(d);
        if (!d.allowed) continue;
        w.product++;
        if (org) w.org.set(org, (w.org.get(org) ?? 0) + 1);
      }
    }
    for (const w of perWindow.values()) {
      expect(w.product).toBeLessThanOrEqual(200);
      for (const n of w.org.values()) expect(n).toBeLessThanOrEqual(100);
    }
    // and the quota is used: demand (4 per 4 ms = 1000 per window) is far above it
    expect(Math.min(...[...perWindow.values()].map((w) => w.product))).toBeGreaterThanOrEqual(200 - 3 * 10);
  });
});

// ── before and after: exact quotas unchanged, leased quotas the same decisions on one instance ────

describe('the rate limits decide as before leases (rate-limiter-flexible BurstyRateLimiter, one store per request)', () => {
  const config = (lease: number): RateConfig => ({
    enabled: true,
    tiers: {
      // Leased when lease > 1: product 100 (chunk 5), burst 60 (chunk 3), org 50 (chunk 2), org burst 30 (exact).
      demo: tier({ points: 100, duration: 1, burst: 60, burstDuration: 3, perOrgShare: 0.5 }),
      // Always exact: 10 + 5 burst, org 5 + 2.
      small: tier({ points: 10, duration: 2, burst: 5, burstDuration: 5, perOrgShare: 0.5 }),
    },
    staff: { points: 45, duration: 1 }, // chunk 2 when leased
    anonymous: { points: 3, duration: 1 },
    lease,
  });

  /** One random schedule of requests over ~12 s of fake time, the same for every implementation. */
  async function run(build: (c: RateConfig) => RateLimits, lease: number) {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const rl = build(config(lease));
      const random = prng(6);
      const subjects: RateSubject[] = [
        product('PRD-A', 'demo', 'ORG-A'),
        product('PRD-A', 'demo', 'ORG-B'),
        product('PRD-A', 'demo', null),
        product('PRD-B', 'small', 'ORG-A'),
        product('PRD-B', 'small', 'ORG-B'),
        product('PRD-C', 'platinum', 'ORG-A'), // unknown tier: counted on demo
        { kind: 'staff', sub: 'auditor-1' },
        { kind: 'anonymous', ip: '203.0.113.9' },
      ];
      const log: Array<{ scope: string; headers: Record<string, string> }> = [];
      for (let i = 0; i < 6_000; i++) {
        const subject = subjects[Math.floor(random() * subjects.length)]!;
        const d = await rl.check(subject);
        log.push({ scope: scopeOf(d), headers: d.headers });
        jest.advanceTimersByTime(Math.floor(random() * 5));
      }
      return log;
    } finally {
      jest.useRealTimers();
    }
  }

  const before = (c: RateConfig) => createRateLimitsBeforeLeases({ config: c, createStoreLimiter: (spec) => new RateLimiterMemory(spec) });
  const after = (c: RateConfig) => createRateLimits({ config: c, createStoreLimiter: (spec) => new RateLimiterMemory(spec) });

  it('RATE_LIMIT_LEASE=1: the same decision, scope and headers for every request', async () => {
    const reference = await run(before, 1);
    const exact = await run(after, 1);
    expect(reference.filter((r) => r.scope !== 'allowed').length).toBeGreaterThan(500); // the schedule does refuse
    expect(exact).toEqual(reference);
  });

  it('leased quotas on a single instance: the same decision and scope for every request, sane headers', async () => {
    const reference = await run(before, 20);
    const leased = await run(after, 20);
    expect(leased.map((r) => r.scope)).toEqual(reference.map((r) => r.scope));
    for (const r of leased) {
      const h = r.headers;
      for (const name of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) expect(h[name]).toMatch(/^\d+$/);
      expect(Number(h['RateLimit-Remaining'])).toBeLessThanOrEqual(Number(h['RateLimit-Limit']));
      if (r.scope !== 'allowed') expect(h['Retry-After']).toMatch(/^[1-9]\d*$/);
    }
  });
});

// ── the insurance limiter (the store errors or stalls) ─────────────────────────────────────────

describe('leased quotas when the store fails (RLWrapperTimeouts and its in-memory insurance limiter)', () => {
  const config: RateConfig = {
    enabled: true,
    tiers: { demo: tier({ points: 100, duration: 60 }) },
    staff: { points: 2, duration: 60 },
    anonymous: { points: 400, duration: 60 }, // leased: chunk 20
    lease: 20,
  };

  class FailingLimiter extends RateLimiterMemory {
    override consume(): never {
      return Promise.reject(new Error('store down')) as never;
    }
  }
  class StalledLimiter extends RateLimiterMemory {
    override consume(): never {
      return new Promise(() => undefined) as never;
    }
  }

  it('a store that errors: the insurance limiter leases from memory, exactly the quota per process', async () => {
    const rl = createRateLimits({ config, createStoreLimiter: (spec) => new FailingLimiter(spec) });
    const seen = await unhandledRejectionsDuring(async () => {
      const ds: RateDecision[] = [];
      for (let i = 0; i < 120; i++) ds.push(await rl.check(product('PRD-A', 'demo')));
      expect(ds.filter((d) => d.allowed)).toHaveLength(100);
      ds.forEach(expectSaneHeaders);
    });
    expect(seen).toEqual([]);
  });

  it('a store that never answers: every check settles (the wrapper times out to the insurance limiter), exactly the quota', async () => {
    const rl = createRateLimits({ config, createStoreLimiter: (spec) => new StalledLimiter(spec), storeTimeoutMs: 5 });
    const ds = await Promise.all(Array.from({ length: 450 }, () => rl.check({ kind: 'anonymous', ip: '198.51.100.7' })));
    expect(ds.filter((d) => d.allowed)).toHaveLength(400);
    ds.forEach(expectSaneHeaders);
  });
});

// ── skewed clocks, as RateLimiterMongo sees them ───────────────────────────────────────────────

describe('several instances with skewed clocks on a store that keeps windows as RateLimiterMongo does', () => {
  /**
   * RateLimiterMongo runs in each gateway: a window's `expire` is written on the clock of the
   * instance that opened it, and each instance judges expiry and computes msBeforeNext on its own
   * clock. So an instance whose clock is behind holds its lease past the window's end as the
   * others see it, and one whose clock is ahead opens the next window early.
   */
  class SkewedStore {
    private doc: { expire: number; consumed: number } | null = null;
    /** Real instants at which a new window was opened. */
    readonly opened: number[] = [];
    constructor(
      private readonly points: number,
      private readonly durationMs: number,
      private readonly realNow: () => number,
    ) {}
    counterFor(clock: () => number): StoreCounter {
      return {
        consume: async (_key, n = 1) => {
          const at = clock();
          if (!this.doc || this.doc.expire <= at) {
            this.doc = { expire: at + this.durationMs, consumed: 0 };
            this.opened.push(this.realNow());
          }
          this.doc.consumed += n;
          const res = new RateLimiterRes(Math.max(0, this.points - this.doc.consumed), Math.max(0, this.doc.expire - at), this.doc.consumed, this.doc.consumed === n);
          if (this.doc.consumed > this.points) throw res;
          return res;
        },
        reward: async () => undefined,
      };
    }
  }

  /** What one lease can hold: a chunk, plus what was left (under half a chunk) when it asked for it. */
  const leaseAtMost = (chunk: number) => chunk + Math.ceil(chunk / 2) - 1;

  it('with clocks up to 85 ms apart and demand that keeps leases live at each turn: the overshoot stays under a lease and a half per instance', async () => {
    let t = 0;
    const points = 200;
    const W = 1000;
    const skews = [-50, -20, 0, 35];
    const store = new SkewedStore(points, W, () => t);
    const instances = skews.map((skew) => leasedCounter(store.counterFor(() => t + skew), { points, duration: W / 1000, maxChunk: 20, now: () => t + skew }));
    const chunk = instances[0]!.chunk;
    const allowedAt: number[] = [];
    // The attacker's demand: in every other window just under the quota (4 instances × one request
    // per 26 ms), so every lease still holds points when the window turns; in the windows between,
    // as much as the instances take (a request each per ms), so the next window's whole quota is
    // spent too, beside what the leases carried over.
    for (t = 0; t < 20 * W; t += 1) {
      const quiet = store.opened.length % 2 === 1;
      const results = await Promise.all(instances.map((c, i) => (!quiet || (t + i * 5) % 26 === 0 ? outcome(c.consume('k')) : null)));
      for (const r of results) if (r === 'allowed') allowedAt.push(t);
    }
    const perWindow = store.opened.map((start, i) => allowedAt.filter((at) => at >= start && at < (store.opened[i + 1] ?? Infinity)).length);
    const overshoot = Math.max(...perWindow) - points;
    expect(chunk).toBe(10);
    expect(overshoot).toBeGreaterThan(0); // the schedule does carry leases over
    expect(overshoot).toBeLessThanOrEqual(leaseAtMost(chunk) * (skews.length - 1));
  });

  it('the worst case: every instance behind the one that opens the next window carries a full lease and a half into it (more than chunk × instances)', async () => {
    let t = 0;
    const points = 1000;
    const W = 1000;
    // One instance 100 ms ahead (it opens each window), nine 100 ms behind.
    const skews = [100, ...Array<number>(9).fill(-100)];
    const store = new SkewedStore(points, W, () => t);
    const [leader, ...followers] = skews.map((skew) => leasedCounter(store.counterFor(() => t + skew), { points, duration: W / 1000, maxChunk: 20, now: () => t + skew }));
    const chunk = leader!.chunk;
    expect(chunk).toBe(20);
    expect(await outcome(leader!.consume('k'))).toBe('allowed'); // opens window 0 at real 0
    // Each follower spends 11 of its first chunk: 9 left, under half, so it asks for the next: 29 held.
    for (const f of followers) for (let i = 0; i < 11; i++) await f.consume('k');
    await turn();
    // Window 0 ends at real 1000 for the leader, at real 1200 for the followers (their clocks say 1100 then).
    t = 1000;
    let allowed = 0;
    while ((await outcome(leader!.consume('k'))) === 'allowed') allowed++; // opens window 1 and spends it
    // Concurrent requests at each follower spend its old lease before its next refill is answered.
    for (const f of followers) allowed += (await Promise.all(Array.from({ length: 40 }, () => outcome(f.consume('k'))))).filter((r) => r === 'allowed').length;
    expect(store.opened).toEqual([0, 1000]);
    expect(allowed).toBe(points + followers.length * leaseAtMost(chunk)); // 1000 + 9 × 29 = 1261
    expect(allowed - points).toBeGreaterThan(chunk * skews.length); // the README's former bound, 200
  });
});

describe('a store limiter that throws instead of rejecting', () => {
  it('is answered at once by the insurance limiter, without an unhandled rejection (which would end the process)', async () => {
    // RLWrapperTimeouts calls the store inside an async Promise executor: a synchronous throw there
    // rejects a promise nobody listens to, and the wrapper answers only when its timer fires.
    class ThrowingLimiter extends RateLimiterMemory {
      override consume(): never {
        throw new Error('write thread cannot start');
      }
    }
    const config: RateConfig = {
      enabled: true,
      tiers: { demo: tier({ points: 100, duration: 60 }), small: tier({ points: 3, duration: 60 }) },
      staff: { points: 2, duration: 60 },
      anonymous: { points: 2, duration: 60 },
      lease: 20,
    };
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const rl = createRateLimits({ config, createStoreLimiter: (spec) => new ThrowingLimiter(spec), storeTimeoutMs: 60_000 });
      const seen = await unhandledRejectionsDuring(async () => {
        for (const tierName of ['demo', 'small']) {
          const decisions: Array<RateDecision | 'pending'> = [];
          for (let i = 0; i < 5; i++) {
            const check = Promise.resolve(rl.check(product(`PRD-${tierName}`, tierName)));
            // No timer runs here: only an answer that does not wait for the wrapper's timeout settles.
            let pending = true;
            void check.finally(() => (pending = false));
            for (let round = 0; round < 20 && pending; round++) await turn();
            decisions.push(pending ? 'pending' : await check);
          }
          expect(decisions).not.toContain('pending');
          const allowed = (decisions as RateDecision[]).filter((d) => d.allowed).length;
          expect(allowed).toBe(tierName === 'small' ? 3 : 5);
        }
      });
      expect(seen).toEqual([]);
    } finally {
      jest.runOnlyPendingTimers();
      jest.useRealTimers();
    }
  });
});
