/**
 * Rate-limit check cost (gateway/enforcement/rate-limit.ts) with the store-backed limiters the
 * gateway uses (RateLimiterSQLite on the store's own counter connection, which is always
 * synchronous=OFF whatever AUDIT_SQLITE_SYNC says), and with rate limits disabled. The SQLite limiter runs synchronously on the event loop, so its cost
 * is paid by every request in flight, not only by the one being counted.
 */
import { join } from 'node:path';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Config } from '../../core/config.js';
import { createRateLimits } from '../../gateway/enforcement/rate-limit.js';
import { createStore } from '../../store/index.js';
import { BENCH_TIER_NAME, RATE_TIERS } from '../setup.js';
import { timeOp, type OpCost } from './timing.js';

export interface RateLimitCost extends OpCost {
  store: 'sqlite (counter connection, synchronous=OFF)' | 'disabled';
}

export async function measureRateLimitCheck(options: { dir: string; budgetMs: number }): Promise<RateLimitCost[]> {
  const config: Config['rateLimits'] = { enabled: true, tiers: RATE_TIERS, staff: { points: 50, duration: 1 }, anonymous: { points: 20, duration: 1 } };
  const subject = { kind: 'product', productId: 'PRD-CERTIFIED', org: '12345679016', tier: BENCH_TIER_NAME } as const;
  const out: RateLimitCost[] = [];
  for (const sync of ['full'] as const) {
    const store = await createStore(`sqlite:${join(options.dir, `rate-${sync}.db`)}`, { sqliteSync: sync });
    const limits = createRateLimits({ config, createStoreLimiter: (spec) => store.createRateLimiter(spec) });
    const cost = await timeOp(async () => {
      const d = await limits.check(subject);
      if (!d.allowed) throw new Error('bench tier refused a request');
    }, options.budgetMs, 50);
    out.push({ store: 'sqlite (counter connection, synchronous=OFF)', ...cost });
    await store.close();
  }
  const off = createRateLimits({ config: { ...config, enabled: false }, createStoreLimiter: (spec) => new RateLimiterMemory(spec) });
  out.push({ store: 'disabled', ...(await timeOp(() => off.check(subject), options.budgetMs)) });
  return out;
}
