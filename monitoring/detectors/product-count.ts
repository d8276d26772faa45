/**
 * The shape shared by detectors that count one kind of record per product within a sliding window
 * (restricted-data attempts, uncertified documents): MEDIUM at `medium` records, HIGH at `high`.
 */
import { EvidenceRing } from './evidence-ring.js';
import { KeyTable } from './key-table.js';
import type { AccessRecord } from '../../audit/record.js';
import type { Detector } from './types.js';
import { WindowCounter } from './window-counter.js';

export interface ProductCountThresholds {
  windowMs: number;
  medium: number;
  high: number;
  maxKeys: number;
}

export interface ProductCountSpec {
  name: string;
  /** Whether the record is one this detector counts (it has a product). */
  counts(record: AccessRecord): boolean;
  /** The alert's message for `total` records of `productId` within the window. */
  message(total: number, productId: string, window: string): string;
}

interface KeyState {
  counter: WindowCounter;
  evidence: EvidenceRing;
}

export function createProductCountDetector(spec: ProductCountSpec, t: ProductCountThresholds, describeWindow: (ms: number) => string): Detector {
  const keys = new KeyTable<KeyState>(t.maxKeys, () => ({ counter: new WindowCounter(t.windowMs), evidence: new EvidenceRing() }));
  return {
    name: spec.name,
    observe(record, now) {
      if (!record.productId || !spec.counts(record)) return [];
      const key = `product:${record.productId}`;
      const state = keys.get(key);
      state.counter.add(now);
      state.evidence.push(record.id, now);
      const total = state.counter.total(now);
      if (total < t.medium) return [];
      return [
        {
          detector: spec.name,
          risk: total >= t.high ? 'HIGH' : 'MEDIUM',
          key,
          productId: record.productId,
          developerId: record.developerId,
          observed: total,
          baseline: t.medium,
          message: spec.message(total, record.productId, describeWindow(t.windowMs)),
          evidence: state.evidence.since(now - t.windowMs),
        },
      ];
    },
    trackedKeys: () => keys.size,
  };
}
