import { createDenialBurstDetector } from '../../../../monitoring/detectors/denial-burst.js';
import { resolveThresholds } from '../../../../monitoring/detectors/thresholds.js';
import type { AlertCandidate } from '../../../../monitoring/detectors/types.js';
import { badToken, record, T0 } from '../fixtures.js';

const defaults = resolveThresholds().denialBurst;

function feed(detector: ReturnType<typeof createDenialBurstDetector>, records: ReturnType<typeof record>[], stepMs = 10): AlertCandidate[] {
  let last: AlertCandidate[] = [];
  records.forEach((r, i) => {
    last = detector.observe(r, T0 + i * stepMs);
  });
  return last;
}

describe('denial burst detector', () => {
  test('a burst of bad tokens from one source raises MEDIUM, then HIGH, keyed by IP with evidence', () => {
    const d = createDenialBurstDetector(defaults);
    const medium = feed(d, Array.from({ length: defaults.medium }, () => badToken('203.0.113.9')));
    expect(medium).toHaveLength(1);
    expect(medium[0]).toMatchObject({ detector: 'denial-burst', risk: 'MEDIUM', key: 'ip:203.0.113.9', productId: null, observed: defaults.medium });

    const d2 = createDenialBurstDetector(defaults);
    const records = Array.from({ length: defaults.high }, () => badToken('203.0.113.9'));
    const high = feed(d2, records, 5);
    expect(high[0]).toMatchObject({ risk: 'HIGH', key: 'ip:203.0.113.9', observed: defaults.high });
    expect(high[0]!.evidence.length).toBeGreaterThan(0);
    expect(high[0]!.evidence.length).toBeLessThanOrEqual(50);
    expect(high[0]!.evidence.every((id) => records.some((r) => r.id === id))).toBe(true);
    expect(high[0]!.evidence.at(-1)).toBe(records.at(-1)!.id);
  });

  test('denials of a product are keyed by product as well as source', () => {
    const d = createDenialBurstDetector(defaults);
    const out = feed(d, Array.from({ length: defaults.medium }, () => record({ decision: 'DENIED', errorCodes: ['CLIENT_NOT_AUTHORISED'], httpStatus: 403 })));
    expect(out.map((c) => c.key).sort()).toEqual(['ip:198.51.100.7', 'product:PRD-A']);
    expect(out.find((c) => c.key === 'product:PRD-A')).toMatchObject({ productId: 'PRD-A', developerId: 'DEV-A' });
  });

  test('refusals a legitimate product causes by lagging the register (an old version) count per product apart, never above MEDIUM', () => {
    const d = createDenialBurstDetector(defaults);
    const out = feed(d, Array.from({ length: defaults.high }, () => record({ decision: 'DENIED', errorCodes: ['PRODUCT_VERSION_UNSUPPORTED'], httpStatus: 403 })));
    expect(new Set(out.map((c) => c.key))).toEqual(new Set(['ip:198.51.100.7', 'product:PRD-A:refused']));
    expect(out.filter((c) => c.key.endsWith(':refused')).every((c) => c.risk === 'MEDIUM')).toBe(true);
    expect(out.some((c) => c.key === 'product:PRD-A')).toBe(false);
  });

  test("a suspended product's credentials used at volume reach HIGH on the product, whatever the source", () => {
    const d = createDenialBurstDetector(defaults);
    const out = feed(d, Array.from({ length: defaults.high }, (_, i) => record({ decision: 'DENIED', errorCodes: ['PRODUCT_SUSPENDED'], httpStatus: 403, clientIp: `198.51.100.${i % 200}` })));
    expect(out.filter((c) => c.key === 'product:PRD-A:refused').map((c) => c.risk)).toContain('HIGH');
  });

  test('denials spread thinner than the window allows stay quiet', () => {
    const d = createDenialBurstDetector(defaults);
    // One denial every second: at most ~10 in any 10 s window, under the MEDIUM threshold of 20.
    const seen = Array.from({ length: 200 }, (_, i) => d.observe(badToken('203.0.113.9'), T0 + i * 1000)).flat();
    expect(seen).toEqual([]);
  });

  test('served requests and rate-limit refusals do not count by default', () => {
    const d = createDenialBurstDetector(defaults);
    const served = feed(d, Array.from({ length: 500 }, () => record()));
    const limited = feed(d, Array.from({ length: 500 }, () => record({ decision: 'DENIED', errorCodes: ['RATE_LIMITED'], httpStatus: 429 })));
    expect([...served, ...limited]).toEqual([]);
    const counting = createDenialBurstDetector({ ...defaults, countRateLimited: 1 });
    expect(feed(counting, Array.from({ length: 50 }, () => record({ decision: 'DENIED', errorCodes: ['RATE_LIMITED'], httpStatus: 429 }))).length).toBeGreaterThan(0);
  });

  test('a flood of 100k distinct sources keeps at most maxKeys keys', () => {
    const d = createDenialBurstDetector({ ...defaults, maxKeys: 1000 });
    for (let i = 0; i < 100_000; i++) d.observe(badToken(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`), T0 + i);
    expect(d.trackedKeys()).toBeLessThanOrEqual(1000);
    expect(d.trackedKeys()).toBeGreaterThan(0);
  });
});
