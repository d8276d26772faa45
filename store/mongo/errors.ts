/** Translates MongoDB driver and mongoose failures into the port's errors, in one place. */
import { StoreAbnHeldError, StoreConflictError, StoreUnavailableError } from '../port.js';

/**
 * Server error codes meaning "no usable primary, or no answer in time, right now" (elections,
 * shutdown, lost quorum, a bound reached): HostUnreachable 6, HostNotFound 7, MaxTimeMSExpired 50
 * (a read's maxTimeMS or a commit's maxCommitTimeMS), WriteConcernFailed 64 (majority not reached
 * within wtimeoutMS), NetworkTimeout 89, ShutdownInProgress 91, PrimarySteppedDown 189,
 * ExceededTimeLimit 262, SocketException 9001, NotWritablePrimary 10107, InterruptedAtShutdown
 * 11600, InterruptedDueToReplStateChange 11602, NotPrimaryNoSecondaryOk 13435,
 * NotPrimaryOrSecondary 13436, FailedToSatisfyReadPreference 133 (a mongos without a reachable
 * shard primary), ReadConcernMajorityNotAvailableYet 134 (a majority read on a node whose majority
 * snapshot is not ready yet; mongodb 7.8 `error.ts` retries reads on it).
 */
const UNAVAILABLE_CODES = new Set([6, 7, 50, 64, 89, 91, 133, 134, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** Driver/mongoose error classes that mean the server could not be reached, did not answer in time, or the client is closed. */
const UNAVAILABLE_NAMES =
  /^(Mongo|Mongoose)(Network|NetworkTimeout|ServerSelection|NotConnected|TopologyClosed|ServerClosed|ClientClosed|PoolCleared|PoolClosed|WaitQueueTimeout|OperationTimeout|WriteConcern)Error$/;

/**
 * Error labels the driver attaches when an operation may succeed if simply run again: a write the
 * driver would retry, a transaction to re-run, a commit whose outcome is unknown.
 */
const UNAVAILABLE_LABELS = ['RetryableWriteError', 'TransientTransactionError', 'UnknownTransactionCommitResult'];

type Described = {
  name?: unknown;
  code?: unknown;
  hasErrorLabel?: (label: string) => boolean;
  errorResponse?: unknown;
  writeErrors?: unknown;
  result?: { getWriteConcernError?: () => unknown } | null;
};

const codeOf = (value: unknown): number | null => {
  const code = (value as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : null;
};

/**
 * Whether a MongoBulkWriteError (insertMany, bulkWrite) means the store is unavailable. Its shape
 * (mongodb 7.8 `bulk/common.ts`) has three sources:
 * - a driver error during the batch (server selection, network, pool) is wrapped whole: the
 *   bulk error takes the name MongoBulkWriteError, no code and no labels, and keeps the original
 *   as `errorResponse`; that original decides;
 * - a write-concern error (majority not reached in time, or the primary stepped down while
 *   waiting) is in `result.getWriteConcernError()`: the documents may be on the primary only, so
 *   the write is not durable and must be retried (appends are idempotent);
 * - per-document `writeErrors` (duplicate key, validation) are the caller's data, not an outage,
 *   unless every one of them carries an unavailable code (a step-down mid-batch).
 */
function bulkUnavailable(e: Described): boolean {
  if (e.errorResponse instanceof Error && translateMongoError(e.errorResponse) instanceof StoreUnavailableError) return true;
  if (typeof e.result?.getWriteConcernError === 'function' && e.result.getWriteConcernError() != null) return true;
  const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : [];
  if (writeErrors.length > 0) return writeErrors.every((w) => UNAVAILABLE_CODES.has(codeOf(w) ?? -1));
  const code = codeOf(e);
  return code !== null && UNAVAILABLE_CODES.has(code);
}

export function translateMongoError(err: unknown): unknown {
  if (err instanceof StoreConflictError || err instanceof StoreAbnHeldError || err instanceof StoreUnavailableError) return err;
  const e = err as Described | null;
  const name = typeof e?.name === 'string' ? e.name : '';
  const code = codeOf(e);
  const labelled = typeof e?.hasErrorLabel === 'function' && UNAVAILABLE_LABELS.some((label) => e.hasErrorLabel!(label));
  const unavailable =
    labelled ||
    (name === 'MongoBulkWriteError' ? bulkUnavailable(e!) : UNAVAILABLE_NAMES.test(name) || (code !== null && UNAVAILABLE_CODES.has(code)));
  if (unavailable) {
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
