/**
 * Attempts at `@restricted` data by products not allowed it: records refused RESTRICTED_DATA,
 * per product within a sliding window. One attempt can be a mistake in a query; repeated ones
 * are a product reaching for special interest taxpayers it was never certified for.
 */
import { createProductCountDetector } from './product-count.js';
import { describeWindow, hasCode } from './record-codes.js';
import type { ThresholdsOf } from './thresholds.js';
import type { Detector } from './types.js';

export const RESTRICTED_ATTEMPTS = 'restricted-attempts';

export function createRestrictedAttemptsDetector(t: ThresholdsOf<'restrictedAttempts'>): Detector {
  return createProductCountDetector(
    {
      name: RESTRICTED_ATTEMPTS,
      counts: (record) => hasCode(record, 'RESTRICTED_DATA'),
      message: (total, productId, window) => `${total} attempts at restricted data by product ${productId} within ${window}`,
    },
    t,
    describeWindow,
  );
}
