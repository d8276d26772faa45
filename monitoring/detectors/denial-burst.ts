/**
 * Denial bursts: DENIED records per product and per source IP within a sliding window. Bad
 * tokens carry no product (the token was never trusted), so a burst of forged tokens shows up
 * on its source IP.
 */
import type { AccessRecord } from '../../audit/record.js';
import { EvidenceRing } from './evidence-ring.js';
import { SplitKeyTable } from './key-table.js';
import { describeWindow, hasCode, productCheckCode } from './record-codes.js';
import type { ThresholdsOf } from './thresholds.js';
import type { AlertCandidate, Detector } from './types.js';
import { WindowCounter } from './window-counter.js';

export const DENIAL_BURST = 'denial-burst';

/**
 * Refusals at the product check count per product on a key of their own
 * (`product:<id>:refused`): a suspended, revoked or unregistered product's credentials used at
 * volume (from many addresses, too) are an incident, and reach HIGH. Refusals a legitimate
 * product causes by lagging the register (old versions after the minimum was raised, an expired
 * certification, its developer suspended) stay MEDIUM: a HIGH alert would protectively suspend a
 * product for the ATO's own decision. Every refusal also counts on its source IP.
 */
const MAY_NOT_RUN = new Set(['PRODUCT_NOT_REGISTERED', 'PRODUCT_REVOKED', 'PRODUCT_SUSPENDED']);

interface KeyState {
  counter: WindowCounter;
  evidence: EvidenceRing;
}

export function createDenialBurstDetector(t: ThresholdsOf<'denialBurst'>): Detector {
  // Source addresses and products each have half of maxKeys: a flood of new addresses cannot reset a product's count.
  const keys = new SplitKeyTable<KeyState>(t.maxKeys, () => ({ counter: new WindowCounter(t.windowMs), evidence: new EvidenceRing() }));

  function count(key: string, productId: string | null, record: AccessRecord, now: number, what: string, maxRisk: 'HIGH' | 'MEDIUM' = 'HIGH'): AlertCandidate | null {
    const state = keys.get(key);
    state.counter.add(now);
    state.evidence.push(record.id, now);
    const total = state.counter.total(now);
    if (total < t.medium) return null;
    return {
      detector: DENIAL_BURST,
      risk: total >= t.high && maxRisk === 'HIGH' ? 'HIGH' : 'MEDIUM',
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
      // A 5xx is the gateway's or a dependency's failure (a subgraph down, the register or the
      // access log unavailable), never a refusal of what the caller did: counted, an outage of a
      // few seconds would raise HIGH on every busy product and suspend it (review s19c F5).
      if (record.httpStatus >= 500) return [];
      if (!t.countRateLimited && hasCode(record, 'RATE_LIMITED')) return [];
      const out: AlertCandidate[] = [];
      if (record.productId) {
        const refusedCode = productCheckCode(record);
        const c = refusedCode
          ? count(`product:${record.productId}:refused`, record.productId, record, now, `for product ${record.productId}, refused at the product check`, MAY_NOT_RUN.has(refusedCode) ? 'HIGH' : 'MEDIUM')
          : count(`product:${record.productId}`, record.productId, record, now, `for product ${record.productId}`);
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
