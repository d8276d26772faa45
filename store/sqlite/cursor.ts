/** Opaque keyset cursors for the access log: base64url of the last row's sort key. */
import { CodedError } from '../../core/errors.js';

export interface AccessLogKey {
  timeMs: number;
  rowId: number;
}

export function encodeCursor(key: AccessLogKey): string {
  return Buffer.from(JSON.stringify([key.timeMs, key.rowId])).toString('base64url');
}

/** Throws BAD_USER_INPUT for anything this adapter did not produce (the cursor comes from a client). */
export function decodeCursor(cursor: string): AccessLogKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((n) => Number.isSafeInteger(n))) {
      return { timeMs: parsed[0] as number, rowId: parsed[1] as number };
    }
  } catch {
    // fall through to the coded error
  }
  throw new CodedError('BAD_USER_INPUT', 'The pagination cursor is not valid.');
}
