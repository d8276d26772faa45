/**
 * Review s19d: the source-address quota (failed authentication, refused products, DPoP probes) is
 * keyed by the whole address. An IPv6 client holds at least a /64 (2^64 addresses) and rotates
 * through it at will, so each request is a fresh quota: the per-IP limit does not limit it.
 */
import { RateLimiterMemory } from 'rate-limiter-flexible';
import type { Config } from '../../core/config.js';
import { createRateLimits } from '../../limits/rate-limit.js';

describe('review s19d: source-address quota and IPv6', () => {
  it('counts the addresses of one IPv6 /64 on one quota', async () => {
    const config: Config['rateLimits'] = {
      enabled: true,
      tiers: { demo: { points: 100, duration: 60, burst: 0, burstDuration: 60, perOrgShare: 1 } },
      staff: { points: 2, duration: 60 },
      anonymous: { points: 3, duration: 60 },
      lease: 1,
    };
    const rl = createRateLimits({ config, createStoreLimiter: (spec) => new RateLimiterMemory({ keyPrefix: spec.keyPrefix, points: spec.points, duration: spec.duration }) });
    let allowed = 0;
    for (let i = 1; i <= 20; i++) if ((await rl.check({ kind: 'anonymous', ip: `2001:db8:1:2::${i.toString(16)}` })).allowed) allowed++;
    expect(allowed).toBe(3);
    // IPv4 addresses stay counted one by one.
    expect((await rl.check({ kind: 'anonymous', ip: '192.0.2.1' })).allowed).toBe(true);
    expect((await rl.check({ kind: 'anonymous', ip: '192.0.2.2' })).allowed).toBe(true);
  });
});

describe('review s19d: sourceQuotaKey', () => {
  it.each([
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::ffff:192.0.2.7', '192.0.2.7'],
    ['192.0.2.7', '192.0.2.7'],
    ['unknown', 'unknown'],
  ])('%s → %s', async (ip, key) => {
    const { sourceQuotaKey } = await import('../../limits/rate-limit.js');
    expect(sourceQuotaKey(ip)).toBe(key);
  });
});
