/**
 * Rate-limit check cost (gateway/enforcement/rate-limit.ts) with the store-backed limiters the
 * gateway uses (RateLimiterSQLite on the SQLite write thread's counter connection, which is
 * always synchronous=OFF whatever AUDIT_SQLITE_SYNC says), and with rate limits disabled. One at a
 * time, a check costs a round trip to the thread (its latency); with 50 checks in flight the
 * round trips share messages, which is what a loaded gateway sees (its throughput cost).
 */
import { join } from 'node:path';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Config } from '../../core/config.js';
import { createRateLimits } from '../../limits/rate-limit.js';
import { createStore } from '../../store/index.js';
import { BENCH_TIER_NAME, RATE_TIERS } from '../setup.js';
import { timeOp, type OpCost } from './timing.js';

export interface RateLimitCost extends OpCost {
  store: string;
}

export async function measureRateLimitCheck(options: { dir: string; budgetMs: number }): Promise<RateLimitCost[]> {
  const exact: Config['rateLimits'] = { enabled: true, tiers: RATE_TIERS, staff: { points: 50, duration: 1 }, anonymous: { points: 20, duration: 1 }, lease: 1 };
  const subject = { kind: 'product', productId: 'PRD-CERTIFIED', org: '12345679016', tier: BENCH_TIER_NAME } as const;
  const out: RateLimitCost[] = [];
  // Exact (RATE_LIMIT_LEASE=1: a store round trip per request) and leased (the default, 20).
  for (const [how, config] of [['exact', exact], ['leased', { ...exact, lease: 20 }]] as const) {
    const store = await createStore(`sqlite:${join(options.dir, `rate-${how}.db`)}`, { sqliteSync: 'full' });
    const limits = createRateLimits({ config, createStoreLimiter: (spec) => store.createRateLimiter(spec) });
    const check = async () => {
      const d = await limits.check(subject);
      if (!d.allowed) throw new Error('bench tier refused a request');
    };
    out.push({ store: `sqlite write thread, ${how}, one at a time`, ...(await timeOp(check, options.budgetMs, 50)) });
    const inFlight = 50;
    const batch = await timeOp(() => Promise.all(Array.from({ length: inFlight }, check)), options.budgetMs, 5);
    out.push({ store: `sqlite write thread, ${how}, 50 in flight`, ops: batch.ops * inFlight, usPerOp: batch.usPerOp / inFlight, opsPerS: batch.opsPerS * inFlight });
    await store.close();
  }
  const off = createRateLimits({ config: { ...exact, enabled: false }, createStoreLimiter: (spec) => new RateLimiterMemory(spec) });
  out.push({ store: 'disabled', ...(await timeOp(() => off.check(subject), options.budgetMs)) });
  return out;
}
