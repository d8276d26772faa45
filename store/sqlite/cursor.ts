/** Opaque keyset cursors for the access log: base64url of the last row's sort key. */
import { CodedError } from '../../core/errors.js';

export interface AccessLogKey {
  timeMs: number;
  /** The row id: SQLite's are 64-bit, and past 2^53 (random ids once the largest is taken) a number would round. */
  rowId: bigint;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function encodeCursor(key: AccessLogKey): string {
  return Buffer.from(JSON.stringify([key.timeMs, key.rowId.toString()])).toString('base64url');
}

/** The row id as written: a decimal string (a safe integer in cursors from before row ids were exact). */
function rowIdOf(value: unknown): bigint | null {
  if (Number.isSafeInteger(value)) return BigInt(value as number);
  if (typeof value !== 'string' || !/^-?[0-9]{1,19}$/.test(value)) return null;
  const id = BigInt(value);
  return id >= INT64_MIN && id <= INT64_MAX ? id : null;
}

/** Throws BAD_USER_INPUT for anything this adapter did not produce (the cursor comes from a client). */
export function decodeCursor(cursor: string): AccessLogKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && Number.isSafeInteger(parsed[0])) {
      const rowId = rowIdOf(parsed[1]);
      if (rowId !== null) return { timeMs: parsed[0] as number, rowId };
    }
  } catch {
    // fall through to the coded error
  }
  throw new CodedError('BAD_USER_INPUT', 'The pagination cursor is not valid.');
}
