/**
 * Request volume per product against the product's own baseline. Requests are counted in fixed
 * buckets; each closed bucket updates an exponentially weighted mean and variance (EWMA/EWMV).
 * The open bucket is compared as it fills, so a spike is reported within the bucket it starts
 * in rather than after it. After a warm-up the z-score sets the risk; an absolute cap is HIGH
 * regardless of baseline (a product cannot "learn" a flood as normal during its warm-up).
 */
import { EvidenceRing } from './evidence-ring.js';
import { KeyTable } from './key-table.js';
import { describeWindow } from './record-codes.js';
import type { ThresholdsOf } from './thresholds.js';
import type { AlertCandidate, Detector } from './types.js';

export const VOLUME = 'volume';

interface Baseline {
  bucketStart: number;
  count: number;
  mean: number;
  variance: number;
  closed: number;
  evidence: EvidenceRing;
}

export function createVolumeDetector(t: ThresholdsOf<'volume'>): Detector {
  const keys = new KeyTable<Baseline>(t.maxKeys, () => ({ bucketStart: Number.NaN, count: 0, mean: 0, variance: 0, closed: 0, evidence: new EvidenceRing() }));
  // After this many empty buckets the mean has decayed to nothing; looping further changes nothing.
  const maxGapBuckets = Math.ceil(10 / t.alpha);

  const spread = (b: Baseline): number => Math.max(Math.sqrt(b.variance), Math.sqrt(Math.max(b.mean, 1)));

  function close(b: Baseline, value: number): void {
    if (b.closed === 0) {
      b.mean = value;
      b.variance = 0;
    } else {
      // A spike feeds the baseline only up to the MEDIUM band, so an attack does not teach the
      // baseline that attacks are normal; a lasting rise still lifts the baseline step by step.
      const x = Math.min(value, b.mean + t.zMedium * spread(b));
      const diff = x - b.mean;
      const incr = t.alpha * diff;
      b.mean += incr;
      b.variance = (1 - t.alpha) * (b.variance + diff * incr);
    }
    b.closed++;
  }

  return {
    name: VOLUME,
    observe(record, now) {
      const productId = record.productId;
      if (!productId) return [];
      const b = keys.get(`product:${productId}`);
      const bucket = Math.floor(now / t.bucketMs) * t.bucketMs;
      if (Number.isNaN(b.bucketStart)) b.bucketStart = bucket;
      else if (bucket > b.bucketStart) {
        close(b, b.count);
        const empty = Math.min(maxGapBuckets, Math.round((bucket - b.bucketStart) / t.bucketMs) - 1);
        for (let i = 0; i < empty; i++) close(b, 0);
        b.bucketStart = bucket;
        b.count = 0;
      }
      b.count++;
      b.evidence.push(record.id, now);

      const window = describeWindow(t.bucketMs);
      let candidate: Pick<AlertCandidate, 'risk' | 'message'> | null = null;
      if (b.count >= t.absoluteCap) {
        candidate = { risk: 'HIGH', message: `${b.count} requests by product ${productId} within ${window}, over the absolute cap of ${t.absoluteCap}` };
      } else if (b.closed >= t.warmupBuckets && b.count >= t.minCount) {
        const z = (b.count - b.mean) / spread(b);
        if (z >= t.zMedium) {
          candidate = {
            risk: z >= t.zHigh ? 'HIGH' : 'MEDIUM',
            message: `${b.count} requests by product ${productId} within ${window} against a baseline of ${b.mean.toFixed(1)} (z = ${z.toFixed(1)})`,
          };
        }
      }
      if (!candidate) return [];
      return [
        {
          detector: VOLUME,
          key: `product:${productId}`,
          productId,
          developerId: record.developerId,
          observed: b.count,
          baseline: Math.round(b.mean * 100) / 100,
          evidence: b.evidence.since(b.bucketStart),
          ...candidate,
        },
      ];
    },
    trackedKeys: () => keys.size,
  };
}
