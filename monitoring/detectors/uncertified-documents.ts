/**
 * Documents outside a product's certified operation manifest (gateway/trusted-documents.ts):
 * records whose `manifest.entry` is null, served (LOG) or refused (ENFORCE), per product within a
 * sliding window. A stray one is a release that shipped before its manifest; a run of them is a
 * product (or a stolen token) sending ad hoc queries it was never certified for, the pattern of
 * framework scenario 2.
 */
import { createProductCountDetector } from './product-count.js';
import { describeWindow } from './record-codes.js';
import type { ThresholdsOf } from './thresholds.js';
import type { Detector } from './types.js';

export const UNCERTIFIED_DOCUMENTS = 'uncertified-documents';

export function createUncertifiedDocumentsDetector(t: ThresholdsOf<'uncertifiedDocuments'>): Detector {
  return createProductCountDetector(
    {
      name: UNCERTIFIED_DOCUMENTS,
      counts: (record) => record.manifest != null && record.manifest.entry === null,
      message: (total, productId, window) => `${total} uncertified documents from product ${productId} within ${window}`,
    },
    t,
    describeWindow,
  );
}
