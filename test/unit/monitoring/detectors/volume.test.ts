import { resolveThresholds } from '../../../../monitoring/detectors/thresholds.js';
import type { AlertCandidate } from '../../../../monitoring/detectors/types.js';
import { createVolumeDetector } from '../../../../monitoring/detectors/volume.js';
import { record, T0 } from '../fixtures.js';

const t = { ...resolveThresholds().volume, bucketMs: 1000, warmupBuckets: 20, minCount: 20 };

/** `perBucket` requests in each of `buckets` buckets starting at `from`; returns every candidate and the next bucket start. */
function traffic(d: ReturnType<typeof createVolumeDetector>, from: number, buckets: number, perBucket: (i: number) => number, productId = 'PRD-A'): { out: AlertCandidate[]; next: number } {
  const out: AlertCandidate[] = [];
  for (let b = 0; b < buckets; b++) {
    const n = perBucket(b);
    for (let k = 0; k < n; k++) out.push(...d.observe(record({ productId }), from + b * t.bucketMs + Math.floor((k * t.bucketMs) / Math.max(1, n))));
  }
  return { out, next: from + buckets * t.bucketMs };
}

const steady = (b: number) => 30 + ((b * 7) % 11); // 30–40 a bucket

describe('volume detector', () => {
  test('steady traffic around the baseline raises nothing', () => {
    const d = createVolumeDetector(t);
    expect(traffic(d, T0, 300, steady).out).toEqual([]);
  });

  test('a spike after the warm-up raises HIGH against the learned baseline', () => {
    const d = createVolumeDetector(t);
    const warm = traffic(d, T0, 60, steady);
    expect(warm.out).toEqual([]);
    const spike = traffic(d, warm.next, 1, () => 400);
    const last = spike.out.at(-1)!;
    expect(last).toMatchObject({ detector: 'volume', risk: 'HIGH', key: 'product:PRD-A', productId: 'PRD-A', observed: 400 });
    expect(last.baseline).toBeGreaterThan(30);
    expect(last.baseline).toBeLessThan(41);
    expect(last.evidence).toHaveLength(50);
    // The first candidate of the spike is MEDIUM (z ≥ 3 reached before z ≥ 6).
    expect(spike.out[0]!.risk).toBe('MEDIUM');
  });

  test('no z-score alert during the warm-up, but the absolute cap is HIGH regardless', () => {
    const d = createVolumeDetector({ ...t, absoluteCap: 1000 });
    const early = traffic(d, T0, 3, (b) => (b < 2 ? 5 : 500));
    expect(early.out).toEqual([]);
    const flood = traffic(d, early.next, 1, () => 1000);
    expect(flood.out).toHaveLength(1);
    expect(flood.out[0]).toMatchObject({ risk: 'HIGH', observed: 1000 });
  });

  test('a quiet product with a handful of requests is not a spike', () => {
    const d = createVolumeDetector(t);
    const warm = traffic(d, T0, 60, (b) => (b % 10 === 0 ? 1 : 0));
    expect(traffic(d, warm.next, 1, () => t.minCount - 1).out).toEqual([]);
  });

  test('a flood of 100k distinct product ids keeps at most maxKeys keys', () => {
    const d = createVolumeDetector({ ...t, maxKeys: 2000 });
    for (let i = 0; i < 100_000; i++) d.observe(record({ productId: `PRD-F${i}` }), T0 + i);
    expect(d.trackedKeys()).toBeLessThanOrEqual(2000);
  });
});
