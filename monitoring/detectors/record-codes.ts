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
