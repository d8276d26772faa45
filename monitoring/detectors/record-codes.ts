/** Reading codes off an access record: refusal reasons (field level) and response error codes. */
import type { AccessRecord } from '../../audit/record.js';

/** Whether the record was refused (wholly or for a field) with `code`. */
export function hasCode(record: AccessRecord, code: string): boolean {
  if (record.errorCodes.includes(code)) return true;
  for (const r of record.reasons) if (r.code === code) return true;
  return false;
}

/** Window length in words for alert messages: `10 s`, `5 min`. */
export function describeWindow(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}

/**
 * Refusals at the product check: the register says this software may not be served now. Shared
 * by the detectors that treat them apart (denial bursts, enumeration by refused software).
 */
export const PRODUCT_CHECK_CODES = ['PRODUCT_NOT_REGISTERED', 'DEVELOPER_NOT_IN_GOOD_STANDING', 'PRODUCT_REVOKED', 'PRODUCT_SUSPENDED', 'PRODUCT_NOT_CERTIFIED', 'CERTIFICATION_EXPIRED', 'PRODUCT_VERSION_UNSUPPORTED'] as const;

/** The product-check code a record was refused with, or null. */
export function productCheckCode(record: AccessRecord): string | null {
  return PRODUCT_CHECK_CODES.find((code) => record.errorCodes.includes(code)) ?? null;
}
