/**
 * Review s19c F3: each detector keeps its per-key state in one LRU table shared by keys that
 * callers without a token choose (`ip:<address>`, `ip:<address>:unauthenticated`: a new source
 * address, a new key) and the keys that concern a product (`product:<id>`, `org:<ABN>`). A flood
 * of refused requests from new addresses evicts the product's state: its counts start again
 * from zero, so a product that interleaves its enumeration (or its denials) with such a flood
 * never reaches a threshold.
 */
import { createDenialBurstDetector } from '../../monitoring/detectors/denial-burst.js';
import { createEnumerationDetector } from '../../monitoring/detectors/enumeration.js';
import { resolveThresholds } from '../../monitoring/detectors/thresholds.js';
import type { AlertCandidate } from '../../monitoring/detectors/types.js';
import { digest, record, T0 } from '../unit/monitoring/fixtures.js';

const thresholds = resolveThresholds();

/** A request without a valid token from `ip`, naming one client. */
function anonymous(ip: string, client: number) {
  return record({
    productId: null, productVersion: null, developerId: null, sub: null, org: null, jti: null,
    decision: 'DENIED', errorCodes: ['UNAUTHENTICATED'], httpStatus: 401, clientIp: ip, subgraphs: [],
    clientDigests: [digest(client)],
  });
}

describe('review s19c: anonymous keys evict a product\'s detector state', () => {
  test('enumeration: 150 distinct clients in 2 minutes, interleaved with anonymous requests from new addresses', () => {
    const d = createEnumerationDetector(thresholds.enumeration);
    const raised: AlertCandidate[] = [];
    let now = T0;
    let ipn = 0;
    for (let round = 0; round < 3; round++) {
      // 50 distinct clients read by the product (under distinctMedium = 60)...
      for (let i = 0; i < 50; i++) raised.push(...d.observe(record({ productId: 'PRD-EVIL', developerId: 'DEV-EVIL', clientDigests: [digest(1_000 + round * 50 + i)] }), now++));
      // ...then one anonymous request from each of 5000 new addresses (half the table).
      for (let i = 0; i < 5_000; i++, ipn++) d.observe(anonymous(`2001:db8::${ipn.toString(16)}`, 1), now);
      now += 30_000;
    }
    expect(raised.filter((c) => c.key === 'product:PRD-EVIL').map((c) => c.risk)).toContain('HIGH');
  });

  test('denial burst: 150 denials of one product in 10 s, interleaved with bad tokens from new addresses', () => {
    const d = createDenialBurstDetector(thresholds.denialBurst);
    const raised: AlertCandidate[] = [];
    let now = T0;
    let ipn = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 50; i++) raised.push(...d.observe(record({ productId: 'PRD-EVIL', decision: 'DENIED', errorCodes: ['OPERATION_LIMIT_EXCEEDED'], httpStatus: 400, clientIp: '198.51.100.9' }), now));
      for (let i = 0; i < 10_000; i++, ipn++) d.observe(anonymous(`2001:db8::${ipn.toString(16)}`, 1), now);
      now += 1_000;
    }
    expect(raised.filter((c) => c.key === 'product:PRD-EVIL').map((c) => c.risk)).toContain('HIGH');
  });
});
