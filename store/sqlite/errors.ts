/** Translates better-sqlite3 failures into the port's errors, in one place. */
import { StoreConflictError, StoreUnavailableError } from '../port.js';

/**
 * SQLite result codes that mean "the store cannot do this right now" (locked past the busy
 * timeout, disk full or read-only, I/O failure, damaged file): callers fail closed on
 * StoreUnavailableError and retry later. See https://www.sqlite.org/rescode.html.
 */
const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|READONLY|FULL|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|PERM|AUTH)/;

export function translateSqliteError(err: unknown): unknown {
  if (err instanceof StoreConflictError || err instanceof StoreUnavailableError) return err;
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
