/**
 * Opaque keyset cursors for the access log: base64url of the last record's sort key
 * (time in ms, chainId, seq). The order is newest first, then chainId and seq descending, which
 * is total because (chainId, seq) identifies a record.
 */
import { CodedError } from '../../core/errors.js';

export interface AccessLogKey {
  timeMs: number;
  chainId: string;
  seq: number;
}

export function encodeCursor(key: AccessLogKey): string {
  return Buffer.from(JSON.stringify([key.timeMs, key.chainId, key.seq])).toString('base64url');
}

/** Throws BAD_USER_INPUT for anything this adapter did not produce (the cursor comes from a client). */
export function decodeCursor(cursor: string): AccessLogKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 3 &&
      Number.isSafeInteger(parsed[0]) &&
      typeof parsed[1] === 'string' &&
      Number.isSafeInteger(parsed[2])
    ) {
      return { timeMs: parsed[0] as number, chainId: parsed[1], seq: parsed[2] as number };
    }
  } catch {
    // fall through to the coded error
  }
  throw new CodedError('BAD_USER_INPUT', 'The pagination cursor is not valid.');
}

/** The filter for "strictly after `key`" in newest-first order. */
export function olderThan(key: AccessLogKey): Record<string, unknown> {
  const time = new Date(key.timeMs);
  return {
    $or: [
      { time: { $lt: time } },
      { time, chainId: { $lt: key.chainId } },
      { time, chainId: key.chainId, seq: { $lt: key.seq } },
    ],
  };
}
