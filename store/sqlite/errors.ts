/** Translates better-sqlite3 failures into the port's errors, in one place. */
import { StoreAbnHeldError, StoreConflictError, StoreUnavailableError } from '../port.js';

/**
 * SQLite result codes that mean "the store cannot do this right now" (locked past the busy
 * timeout, disk full or read-only, I/O failure, damaged file, a transaction aborted): callers
 * fail closed on StoreUnavailableError and retry later. See https://www.sqlite.org/rescode.html.
 */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|READONLY|FULL|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|PERM|AUTH|ABORT)/;

export function translateSqliteError(err: unknown): unknown {
  if (err instanceof StoreConflictError || err instanceof StoreAbnHeldError || err instanceof StoreUnavailableError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) {
    return new StoreUnavailableError(`SQLite store unavailable (${code})`, { cause: err });
  }
  // better-sqlite3 throws a TypeError once the connection is closed.
  if (err instanceof TypeError && /database connection is not open/i.test(err.message)) {
    return new StoreUnavailableError('SQLite store is closed', { cause: err });
  }
  return err;
}

/** Runs a synchronous adapter operation as the port's promise, with errors translated. */
export async function guarded<T>(operation: () => T): Promise<T> {
  try {
    return operation();
  } catch (err) {
    throw translateSqliteError(err);
  }
}

/** An error as it crosses from a worker thread (name, message, SQLite result code). */
export interface SerializedError {
  name: string;
  message: string;
  /** better-sqlite3's SQLITE_* result code, when there is one. */
  code?: string;
}

/** An error made ready to cross to the thread that asked (see revivedError). */
export function serializedError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (err as { code?: unknown } | null)?.code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** A worker thread's error, rebuilt and translated as this thread's own would be. */
export function revivedError(e: SerializedError): unknown {
  const err = e.name === 'TypeError' ? new TypeError(e.message) : new Error(e.message);
  if (e.name !== 'TypeError') err.name = e.name;
  if (e.code) Object.assign(err, { code: e.code });
  return translateSqliteError(err);
}
