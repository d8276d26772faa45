/**
 * Attempts at `@restricted` data by products not allowed it: records refused RESTRICTED_DATA,
 * per product within a sliding window. One attempt can be a mistake in a query; repeated ones
 * are a product reaching for special interest taxpayers it was never certified for.
 */
import { EvidenceRing } from './evidence-ring.js';
import { KeyTable } from './key-table.js';
import { describeWindow, hasCode } from './record-codes.js';
import type { ThresholdsOf } from './thresholds.js';
import type { Detector } from './types.js';
import { WindowCounter } from './window-counter.js';

export const RESTRICTED_ATTEMPTS = 'restricted-attempts';

interface KeyState {
  counter: WindowCounter;
  evidence: EvidenceRing;
}

export function createRestrictedAttemptsDetector(t: ThresholdsOf<'restrictedAttempts'>): Detector {
  const keys = new KeyTable<KeyState>(t.maxKeys, () => ({ counter: new WindowCounter(t.windowMs), evidence: new EvidenceRing() }));
  return {
    name: RESTRICTED_ATTEMPTS,
    observe(record, now) {
      if (!record.productId || !hasCode(record, 'RESTRICTED_DATA')) return [];
      const key = `product:${record.productId}`;
      const state = keys.get(key);
      state.counter.add(now);
      state.evidence.push(record.id, now);
      const total = state.counter.total(now);
      if (total < t.medium) return [];
      return [
        {
          detector: RESTRICTED_ATTEMPTS,
          risk: total >= t.high ? 'HIGH' : 'MEDIUM',
          key,
          productId: record.productId,
          developerId: record.developerId,
          observed: total,
          baseline: t.medium,
          message: `${total} attempts at restricted data by product ${record.productId} within ${describeWindow(t.windowMs)}`,
          evidence: state.evidence.since(now - t.windowMs),
        },
      ];
    },
    trackedKeys: () => keys.size,
  };
}
