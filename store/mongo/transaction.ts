/**
 * Runs a function in a multi-document transaction, re-running it on transient errors and
 * re-trying an unknown commit, until it commits or a deadline passes.
 *
 * Why not mongoose's `connection.transaction` (the driver's `session.withTransaction`): its retry
 * loop is bounded only by the driver's fixed 120 s (mongodb 7.8 `sessions.ts`, `MAX_TIMEOUT`),
 * because the client-side operation timeout that used to shorten it is a no-op from 7.8.0. A
 * primary that cannot reach a majority answers each commit with a write-concern error labelled
 * UnknownTransactionCommitResult, and withTransaction would commit again and again for two
 * minutes while an administrator's registry change hangs. This is the same loop (the
 * convenient-transactions steps the driver cites: re-run the function on TransientTransactionError,
 * re-commit on UnknownTransactionCommitResult unless the commit hit MaxTimeMSExpired, abort on any
 * other error and hand it on, jittered backoff of 5 ms × 1.5^attempt up to 500 ms between runs),
 * with our deadline in place of the 120 s.
 */

/** The part of a driver ClientSession this loop uses (mongoose's `connection.startSession()` returns one). */
export interface TransactionSession<TOptions> {
  startTransaction(options?: TOptions): void;
  commitTransaction(): Promise<unknown>;
  abortTransaction(): Promise<unknown>;
  inTransaction(): boolean;
  endSession(): Promise<unknown>;
}

export interface RunTransactionOptions<TOptions> {
  /** Passed to every startTransaction (read/write concern, read preference, maxCommitTimeMS). */
  transactionOptions: TOptions;
  /** No new attempt (run or commit) starts this many ms after the first. */
  deadlineMs: number;
  /** Monotonic clock in ms. Default: performance.now. */
  now?: () => number;
  /** Waits between runs. Default: a timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Jitter in [0, 1) for the backoff. Default: Math.random. */
  random?: () => number;
}

const TRANSIENT = 'TransientTransactionError';
const UNKNOWN_COMMIT = 'UnknownTransactionCommitResult';
/** MaxTimeMSExpired: the commit ran out of maxCommitTimeMS; committing again would not help. */
const MAX_TIME_MS_EXPIRED = 50;

const BACKOFF_INITIAL_MS = 5;
const BACKOFF_MAX_MS = 500;
const BACKOFF_GROWTH = 1.5;

function hasLabel(err: unknown, label: string): boolean {
  const e = err as { hasErrorLabel?: (l: string) => boolean } | null;
  return typeof e?.hasErrorLabel === 'function' && e.hasErrorLabel(label);
}

function isMaxTimeExpired(err: unknown): boolean {
  const e = err as { code?: unknown; writeConcernError?: { code?: unknown } } | null;
  return e?.code === MAX_TIME_MS_EXPIRED || e?.writeConcernError?.code === MAX_TIME_MS_EXPIRED;
}

export async function runTransaction<TOptions, TSession extends TransactionSession<TOptions>, T>(
  startSession: () => Promise<TSession>,
  fn: (session: TSession) => Promise<T>,
  options: RunTransactionOptions<TOptions>,
): Promise<T> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const deadline = now() + options.deadlineMs;
  const session = await startSession();
  let lastError: unknown = null;
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        const backoff = random() * Math.min(BACKOFF_INITIAL_MS * BACKOFF_GROWTH ** attempt, BACKOFF_MAX_MS);
        if (now() + backoff >= deadline) throw lastError;
        await sleep(backoff);
      }
      session.startTransaction(options.transactionOptions);
      let result: T;
      try {
        result = await fn(session);
      } catch (err) {
        // A driver error may already have aborted the transaction on the server; aborting again
        // is harmless (the driver ignores abort failures), and leaves the session reusable.
        if (session.inTransaction()) await session.abortTransaction().catch(() => undefined);
        if (hasLabel(err, TRANSIENT)) {
          lastError = err;
          continue;
        }
        throw err;
      }
      for (;;) {
        try {
          await session.commitTransaction();
          return result;
        } catch (err) {
          lastError = err;
          if (hasLabel(err, UNKNOWN_COMMIT) && !isMaxTimeExpired(err)) {
            // The driver applies majority write concern to a repeated commit; the server commits once.
            if (now() >= deadline) throw err;
            continue;
          }
          if (hasLabel(err, TRANSIENT)) break;
          throw err;
        }
      }
    }
  } finally {
    await session.endSession().catch(() => undefined);
  }
}
