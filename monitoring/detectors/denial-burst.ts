/**
 * Denial bursts: DENIED records per product and per source IP within a sliding window. Bad
 * tokens carry no product (the token was never trusted), so a burst of forged tokens shows up
 * on its source IP.
 */
import type { AccessRecord } from '../../audit/record.js';
import { EvidenceRing } from './evidence-ring.js';
import { KeyTable } from './key-table.js';
import { describeWindow, hasCode } from './record-codes.js';
import type { ThresholdsOf } from './thresholds.js';
import type { AlertCandidate, Detector } from './types.js';
import { WindowCounter } from './window-counter.js';

export const DENIAL_BURST = 'denial-burst';

/**
 * Refusals caused by the product's own state on the register (e.g. a flood of old versions after
 * the minimum was raised). The register already refuses them; counting them against the product
 * could turn an ATO decision into a HIGH alert and a protective suspension of a legitimate
 * product. They still count on the source IP.
 */
const REGISTER_STATE_CODES = ['PRODUCT_NOT_REGISTERED', 'DEVELOPER_NOT_IN_GOOD_STANDING', 'PRODUCT_REVOKED', 'PRODUCT_SUSPENDED', 'PRODUCT_NOT_CERTIFIED', 'CERTIFICATION_EXPIRED', 'PRODUCT_VERSION_UNSUPPORTED'];

interface KeyState {
  counter: WindowCounter;
  evidence: EvidenceRing;
}

export function createDenialBurstDetector(t: ThresholdsOf<'denialBurst'>): Detector {
  const keys = new KeyTable<KeyState>(t.maxKeys, () => ({ counter: new WindowCounter(t.windowMs), evidence: new EvidenceRing() }));

  function count(key: string, productId: string | null, record: AccessRecord, now: number, what: string): AlertCandidate | null {
    const state = keys.get(key);
    state.counter.add(now);
    state.evidence.push(record.id, now);
    const total = state.counter.total(now);
    if (total < t.medium) return null;
    return {
      detector: DENIAL_BURST,
      risk: total >= t.high ? 'HIGH' : 'MEDIUM',
      key,
      productId,
      developerId: productId ? record.developerId : null,
      observed: total,
      baseline: t.medium,
      message: `${total} denied requests ${what} within ${describeWindow(t.windowMs)}`,
      evidence: state.evidence.since(now - t.windowMs),
    };
  }

  return {
    name: DENIAL_BURST,
    observe(record, now) {
      if (record.decision !== 'DENIED') return [];
      if (!t.countRateLimited && hasCode(record, 'RATE_LIMITED')) return [];
      const out: AlertCandidate[] = [];
      if (record.productId && !REGISTER_STATE_CODES.some((code) => hasCode(record, code))) {
        const c = count(`product:${record.productId}`, record.productId, record, now, `for product ${record.productId}`);
        if (c) out.push(c);
      }
      if (record.clientIp) {
        const c = count(`ip:${record.clientIp}`, null, record, now, `from ${record.clientIp}`);
        if (c) out.push(c);
      }
      return out;
    },
    trackedKeys: () => keys.size,
  };
}
