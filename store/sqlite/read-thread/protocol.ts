/** Messages between the store and its read thread (client.ts, worker.ts). */
import type { AccessLogFilter } from '../../../audit/record.js';
import type { ErrorDetails } from '../../../core/errors.js';
import type { SerializedError } from '../errors.js';

/**
 * `stop`: one Int32 slot the store writes the id of a read it gave up on (past its time, or the
 * store closing) into; the thread reads it at every row (no message could reach a thread inside
 * SQLite).
 */
export interface ReadThreadData {
  path: string;
  busyTimeoutMs: number;
  stop: SharedArrayBuffer;
}

/** `deadline`: when the read must be over, ms since the epoch on the system clock (the thread checks it row by row). */
export type ReadRequest = { id: number; deadline: number } & (
  | { op: 'query'; filter: AccessLogFilter; page: { first: number; after?: string | null } }
  | { op: 'count'; filter: AccessLogFilter }
  | { op: 'summary'; filter: AccessLogFilter }
);

/** An error as it crosses the thread: a coded one keeps its code and details, a SQLite one its result code. */
export interface ReadError extends SerializedError {
  coded?: { code: string; details: ErrorDetails };
}

export type ReadReply = { id: number; value: unknown } | { id: number; error: ReadError };
