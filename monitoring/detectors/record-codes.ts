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

/**
 * Whether the record's product claims are the caller's own: false when the token was refused at
 * the sender constraint (DPoP, RFC 9449: a bound token without a valid proof by the bound key,
 * `UNAUTHENTICATED` on a record that names a product). Such a request comes from whoever holds a
 * copy of the token, not from the product (the gateway served it nothing), so the detectors must
 * not count it on the product, its org or its developer: a thief holding a stolen bound token
 * could otherwise make the product's own keys raise HIGH alerts and suspend it (review s19c F1).
 */
export function holderProven(record: AccessRecord): boolean {
  return record.productId === null || !(record.errorCodes.includes('UNAUTHENTICATED') || record.errorCodes.includes('AUTH_PROVIDER_UNAVAILABLE'));
}

/** The record as the detectors judge it: one whose holder was not proven counts on its source only (no product, org, developer or subject). */
export function asJudged(record: AccessRecord): AccessRecord {
  return holderProven(record) ? record : { ...record, productId: null, productVersion: null, developerId: null, sub: null, org: null, jti: null };
}
