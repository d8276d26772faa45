import { jest } from '@jest/globals';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config, RateTier } from '../../../core/config.js';
import type { RateLimiterSpec } from '../../../store/port.js';
import { createRateLimits, type RateDecision, type RateLimitsOptions, type RateSubject } from '../../../limits/rate-limit.js';

type RateConfig = Config['rateLimits'];

const tier = (t: Partial<RateTier>): RateTier => ({ points: 2, duration: 1, burst: 0, burstDuration: 1, perOrgShare: 1, ...t });

function rateConfig(over: Partial<RateConfig> = {}): RateConfig {
  return {
    enabled: true,
    tiers: { demo: tier({ points: 3 }), small: tier({ points: 2, duration: 5, burst: 1, burstDuration: 10 }) },
    staff: { points: 2, duration: 60 },
    anonymous: { points: 2, duration: 60 },
    lease: 1,
    ...over,
  };
}

/** The unit tests' store: RateLimiterMemory, recording every spec it was asked for. */
function memoryStore() {
  const specs: RateLimiterSpec[] = [];
  const createStoreLimiter = (spec: RateLimiterSpec): RateLimiterAbstract => {
    specs.push(spec);
    return new RateLimiterMemory(spec);
  };
  return { specs, createStoreLimiter };
}

function limits(config: RateConfig, extra: Partial<RateLimitsOptions> = {}) {
  return createRateLimits({ config, createStoreLimiter: memoryStore().createStoreLimiter, ...extra });
}

const product = (productId: string, t = 'small', org: string | null = null): RateSubject => ({ kind: 'product', productId, org, tier: t });

async function times(n: number, run: () => RateDecision | Promise<RateDecision>): Promise<RateDecision[]> {
  const out: RateDecision[] = [];
  for (let i = 0; i < n; i++) out.push(await run());
  return out;
}

const allowedFlags = (ds: RateDecision[]) => ds.map((d) => d.allowed);

describe('createRateLimits: products', () => {
  it('allows the tier points plus the burst, then refuses with RATE_LIMITED and 429-ready headers', async () => {
    const rl = limits(rateConfig());
    // small: 2 per 5 s sustained, 1 more per 10 s burst.
    const ds = await times(4, () => rl.check(product('PRD-A')));
    expect(allowedFlags(ds)).toEqual([true, true, true, false]);
    const refused = ds[3]!;
    if (refused.allowed) throw new Error('expected a refusal');
    expect(refused.denial.code).toBe('RATE_LIMITED');
    expect(refused.denial.details).toEqual({ scope: 'PRODUCT' });
    // The sustained window (5 s) reopens before the burst window (10 s): retry after 5 s.
    expect(refused.headers['Retry-After']).toBe('5');
    expect(refused.headers['RateLimit-Limit']).toBe('2');
    expect(refused.headers['RateLimit-Remaining']).toBe('0');
    expect(refused.headers['RateLimit-Reset']).toBe('5');
    expect(refused.denial.headers).toEqual(refused.headers);
  });

  it('puts RateLimit-* headers on allowed decisions too, counting down', async () => {
    const rl = limits(rateConfig());
    const [first, second] = await times(2, () => rl.check(product('PRD-A')));
    expect(first!.headers).toEqual({ 'RateLimit-Limit': '2', 'RateLimit-Remaining': '1', 'RateLimit-Reset': '5' });
    expect(second!.headers['RateLimit-Remaining']).toBe('0');
    expect(first!.headers['Retry-After']).toBeUndefined();
  });

  it('leaves another product unaffected by one product spending its quota', async () => {
    const rl = limits(rateConfig());
    await times(4, () => rl.check(product('PRD-A')));
    expect((await rl.check(product('PRD-A'))).allowed).toBe(false);
    const other = await rl.check(product('PRD-B'));
    expect(other.allowed).toBe(true);
    expect(other.headers['RateLimit-Remaining']).toBe('1');
  });

  it('recovers the quota after the window', async () => {
    const rl = limits(rateConfig({ tiers: { demo: tier({ points: 2, duration: 1 }) } }));
    // The memory limiter keeps its windows on the timer clock: advance it instead of waiting.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      expect(allowedFlags(await times(3, () => rl.check(product('PRD-A', 'demo'))))).toEqual([true, true, false]);
      jest.advanceTimersByTime(999);
      expect((await rl.check(product('PRD-A', 'demo'))).allowed).toBe(false);
      jest.advanceTimersByTime(1001);
      expect((await rl.check(product('PRD-A', 'demo'))).allowed).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('limits each org of a product to its share, and the product as a whole to the tier', async () => {
    const rl = limits(rateConfig({ tiers: { demo: tier({ points: 4, duration: 60, perOrgShare: 0.5 }) } }));
    const org = (o: string) => () => rl.check(product('PRD-A', 'demo', o));
    // Org A gets half of 4.
    const a = await times(3, org('11111111111'));
    expect(allowedFlags(a)).toEqual([true, true, false]);
    const refusedA = a[2]!;
    expect(refusedA.allowed ? null : refusedA.denial.details).toEqual({ scope: 'PRODUCT_ORG' });
    expect(refusedA.headers['RateLimit-Limit']).toBe('2');
    // Org B is unaffected by A's refusal, and A's refused request did not spend product quota.
    expect(allowedFlags(await times(2, org('22222222222')))).toEqual([true, true]);
    // Now the product's 4 are spent: a third org is refused on the product quota.
    const c = await rl.check(product('PRD-A', 'demo', '33333333333'));
    expect(c.allowed ? null : c.denial.details).toEqual({ scope: 'PRODUCT' });
  });

  it('counts a token without org against the product quota only', async () => {
    const rl = limits(rateConfig({ tiers: { demo: tier({ points: 4, duration: 60, perOrgShare: 0.5 }) } }));
    expect(allowedFlags(await times(5, () => rl.check(product('PRD-A', 'demo', null))))).toEqual([true, true, true, true, false]);
  });

  it('uses the demo tier, with one warning, for a tier the configuration lacks', async () => {
    const warnings: object[] = [];
    const logger = { warn: (obj: object) => void warnings.push(obj), error: () => undefined };
    const rl = limits(rateConfig(), { logger });
    // demo: 3 per second, no burst.
    expect(allowedFlags(await times(4, () => rl.check(product('PRD-A', 'platinum'))))).toEqual([true, true, true, false]);
    expect(warnings).toEqual([{ tier: 'platinum', fallback: 'demo' }]);
  });

  it('builds every limiter once, in the factory', async () => {
    const store = memoryStore();
    const rl = createRateLimits({ config: rateConfig(), createStoreLimiter: store.createStoreLimiter });
    const built = store.specs.length;
    // demo (no burst) 1 + small (burst) 2 + staff + anonymous.
    expect(built).toBe(5);
    await times(3, () => rl.check(product('PRD-A')));
    await rl.check({ kind: 'staff', sub: 'admin-1' });
    expect(store.specs.length).toBe(built);
    expect(new Set(store.specs.map((s) => s.keyPrefix)).size).toBe(built);
  });

  it('refuses to build without the fallback demo tier (a configuration mistake fails at startup)', () => {
    expect(() => limits(rateConfig({ tiers: { small: tier({}) } }))).toThrow(/demo/);
  });

  it('allows everything, without counting, when rate limits are disabled', async () => {
    const rl = limits(rateConfig({ enabled: false }));
    expect(allowedFlags(await times(10, () => rl.check(product('PRD-A'))))).toEqual(Array(10).fill(true));
  });
});

describe('createRateLimits: staff and anonymous', () => {
  it('gives each staff subject its own quota', async () => {
    const rl = limits(rateConfig());
    const ds = await times(3, () => rl.check({ kind: 'staff', sub: 'auditor-1' }));
    expect(allowedFlags(ds)).toEqual([true, true, false]);
    expect(ds[2]!.allowed ? null : ds[2]!.denial).toMatchObject({ code: 'RATE_LIMITED', details: { scope: 'STAFF' } });
    expect(ds[2]!.headers['Retry-After']).toBe('60');
    expect((await rl.check({ kind: 'staff', sub: 'auditor-2' })).allowed).toBe(true);
  });

  it('gives one sub at two issuers two quotas (the gateway names the issuer when it trusts several), and one without an issuer', async () => {
    const rl = limits(rateConfig());
    await times(2, () => rl.check({ kind: 'staff', sub: 'jordan', issuer: 'https://staff-idp.example' }));
    expect((await rl.check({ kind: 'staff', sub: 'jordan', issuer: 'https://staff-idp.example' })).allowed).toBe(false);
    expect((await rl.check({ kind: 'staff', sub: 'jordan', issuer: 'https://products-idp.example' })).allowed).toBe(true);
    expect((await rl.check({ kind: 'staff', sub: 'jordan' })).allowed).toBe(true);
    expect((await rl.check({ kind: 'staff', sub: 'jordan', issuer: null })).allowed).toBe(true);
  });

  it('limits unauthenticated requests per source IP', async () => {
    const rl = limits(rateConfig());
    const ds = await times(3, () => rl.check({ kind: 'anonymous', ip: '203.0.113.9' }));
    expect(allowedFlags(ds)).toEqual([true, true, false]);
    expect(ds[2]!.allowed ? null : ds[2]!.denial).toMatchObject({ code: 'RATE_LIMITED', details: { scope: 'ANONYMOUS' } });
    expect((await rl.check({ kind: 'anonymous', ip: '203.0.113.10' })).allowed).toBe(true);
  });

  it('keeps staff, anonymous and product counters apart even for equal keys', async () => {
    const rl = limits(rateConfig());
    await times(2, () => rl.check({ kind: 'staff', sub: 'X' }));
    expect((await rl.check({ kind: 'anonymous', ip: 'X' })).allowed).toBe(true);
    expect((await rl.check(product('X'))).allowed).toBe(true);
  });
});

describe('createRateLimits: store failures', () => {
  /** A store whose every call fails, as a closed database connection would. */
  class FailingLimiter extends RateLimiterMemory {
    calls = 0;
    override consume(): never {
      this.calls++;
      return Promise.reject(new Error('store down')) as never;
    }
  }

  /** A store that never answers. */
  class StalledLimiter extends RateLimiterMemory {
    override consume(): never {
      return new Promise(() => undefined) as never;
    }
  }

  it('still limits, in memory, when the store limiter errors', async () => {
    const failing: FailingLimiter[] = [];
    const rl = createRateLimits({
      config: rateConfig(),
      createStoreLimiter: (spec) => {
        const l = new FailingLimiter(spec);
        failing.push(l);
        return l;
      },
    });
    const ds = await times(4, () => rl.check(product('PRD-A')));
    expect(allowedFlags(ds)).toEqual([true, true, true, false]);
    expect(ds[3]!.allowed ? null : ds[3]!.denial.code).toBe('RATE_LIMITED');
    expect(ds[3]!.headers['Retry-After']).toBe('5');
    // The store really was asked (and failed) before the insurance limiter answered.
    expect(failing.reduce((n, l) => n + l.calls, 0)).toBeGreaterThan(0);
  });

  it('still limits, in memory, when the store is slower than the timeout', async () => {
    const rl = createRateLimits({ config: rateConfig(), createStoreLimiter: (spec) => new StalledLimiter(spec), storeTimeoutMs: 20 });
    const ds = await times(3, () => rl.check({ kind: 'anonymous', ip: '198.51.100.1' }));
    expect(allowedFlags(ds)).toEqual([true, true, false]);
    expect(ds[2]!.allowed ? null : ds[2]!.denial.code).toBe('RATE_LIMITED');
  });
});

describe('createRateLimits: decided at once from the leases in memory', () => {
  it('answers without a promise once every quota has a lease with the points, and the same as a check that waits', async () => {
    // 1,000 points a minute, an org share of half: two leased quotas (chunks of 20 and 20).
    const config = rateConfig({ lease: 20, tiers: { demo: tier({ points: 1000, duration: 60, perOrgShare: 0.5 }), small: tier({}) } });
    const rl = limits(config);
    const subject = product('PRD-A', 'demo', 'ORG-1');
    const first = rl.check(subject);
    expect(first).toBeInstanceOf(Promise); // no lease yet: the store is asked
    const waited = await first;
    const now = rl.check(subject);
    expect(now).not.toBeInstanceOf(Promise);
    // The org share is the tighter quota (500): its figures, one point further on.
    expect(waited).toEqual({ allowed: true, headers: expect.objectContaining({ 'RateLimit-Limit': '500' }) });
    expect(now).toEqual({ allowed: true, headers: { ...waited.headers, 'RateLimit-Remaining': String(Number(waited.headers['RateLimit-Remaining']) - 1) } });
  });

  it('waits for the store when one quota cannot answer at once, and gives back what the other took when it refuses', async () => {
    // The org share is tiny (exact: 2 points), the product's quota leased.
    const config = rateConfig({ lease: 20, tiers: { demo: tier({ points: 1000, duration: 60, perOrgShare: 0.002 }), small: tier({}) } });
    const rl = limits(config);
    const subject = product('PRD-A', 'demo', 'ORG-1');
    const ds: RateDecision[] = [];
    for (let i = 0; i < 3; i++) {
      const d = rl.check(subject);
      expect(d).toBeInstanceOf(Promise); // the exact org share is the store's every time
      ds.push(await d);
    }
    expect(allowedFlags(ds)).toEqual([true, true, false]);
    // The refused request's product point came back: another org still has 998 of the product's 1,000.
    const other = await rl.check(product('PRD-A', 'demo', 'ORG-2'));
    expect(other.allowed && other.headers['RateLimit-Remaining']).toBe('1');
    const product1000 = await rl.check({ kind: 'product', productId: 'PRD-A', org: null, tier: 'demo' });
    expect(product1000.allowed && product1000.headers['RateLimit-Remaining']).toBe('996');
  });
});
