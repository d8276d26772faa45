/** Translates MongoDB driver and mongoose failures into the port's errors, in one place. */
import { StoreConflictError, StoreUnavailableError } from '../port.js';

/**
 * Server error codes meaning "no usable primary right now" (elections, shutdown, lost quorum):
 * HostUnreachable 6, HostNotFound 7, NetworkTimeout 89, ShutdownInProgress 91,
 * PrimarySteppedDown 189, ExceededTimeLimit 262, SocketException 9001, NotWritablePrimary 10107,
 * InterruptedAtShutdown 11600, InterruptedDueToReplStateChange 11602, NotPrimaryNoSecondaryOk
 * 13435, NotPrimaryOrSecondary 13436, WriteConcernFailed 64 (majority not reached in time).
 */
const UNAVAILABLE_CODES = new Set([6, 7, 64, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** Driver/mongoose error classes that mean the server could not be reached or the client is closed. */
const UNAVAILABLE_NAMES = /^(Mongo|Mongoose)(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|ServerClosed|ClientClosed|PoolCleared|OperationTimeout|WriteConcern)Error$/;

export function translateMongoError(err: unknown): unknown {
  if (err instanceof StoreConflictError || err instanceof StoreUnavailableError) return err;
  const e = err as { name?: unknown; code?: unknown; message?: unknown; hasErrorLabel?: (label: string) => boolean } | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const code = typeof e?.code === 'number' ? e.code : null;
  const transient = typeof e?.hasErrorLabel === 'function' && (e.hasErrorLabel('RetryableWriteError') || e.hasErrorLabel('TransientTransactionError'));
  if (UNAVAILABLE_NAMES.test(name) || (code !== null && UNAVAILABLE_CODES.has(code)) || transient) {
    return new StoreUnavailableError(`MongoDB store unavailable (${name || 'error'}${code !== null ? ` ${code}` : ''})`, { cause: err });
  }
  return err;
}

/** Runs an adapter operation with its errors translated. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw translateMongoError(err);
  }
}

/** E11000: a unique index refused the write. */
export function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 11000;
}
