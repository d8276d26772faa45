/**
 * How the write thread serves one message (one turn of the client's event loop): its requests in
 * order, one at a time, and their replies in the same order.
 *
 * Consecutive limiter calls share one transaction on the counters' connection. rate-limiter-
 * flexible commits each upsert by itself, and each commit writes the counters' page to the WAL
 * again (a whole page), which cost more than the upsert: a lease's two quotas refill in one
 * message, and without leases every request's quotas go in one. Each call is one statement,
 * atomic by itself, so one that fails is undone alone and the others stand. The transaction ends
 * before any other request of the message runs (the access log's connection writes to the same
 * file and would wait for this one's lock) and at the message's end. The replies given inside it
 * stand only if it commits: a failed COMMIT, or a connection dropped after an error meanwhile
 * (which rolled the transaction back), makes each allowance that error (SQLITE_ABORT, which the
 * client takes as the store unavailable); a refusal, or a call that failed, stays as it was.
 */
import type Database from 'better-sqlite3';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { serializedError } from '../errors.js';
import type { LimiterResFields, ThreadReply, ThreadRequest } from './protocol.js';

const fields = (res: RateLimiterRes): LimiterResFields => ({
  remainingPoints: res.remainingPoints,
  msBeforeNext: res.msBeforeNext,
  consumedPoints: res.consumedPoints,
  isFirstInDuration: res.isFirstInDuration,
});

/**
 * One limiter call's reply: its answer, or `limited` when the limiter refused (a RateLimiterRes
 * does not survive structured cloning, so its fields travel). Any other failure is thrown, for the
 * caller to make an error reply.
 */
export async function limiterReply(id: number, target: Record<string, (...args: unknown[]) => Promise<unknown>>, request: Extract<ThreadRequest, { op: 'limiter' }>): Promise<ThreadReply> {
  try {
    const value = await target[request.method]!(...request.args);
    return { id, ok: true, value: value instanceof RateLimiterRes ? fields(value) : (value as boolean | null) };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return { id, ok: false, limited: fields(rejection) };
    throw rejection;
  }
}

export interface ServeBatchDeps {
  /** Serves one request; never rejects (a failure is an error reply). */
  handle(request: ThreadRequest): Promise<ThreadReply>;
  /** The counters' connection as it is now: null until a limiter call opens it, another after a failure reopened it. */
  counters(): Database.Database | null;
  /** Closes every connection (reopened on next use): after a COMMIT that failed, their state is unknown. */
  dropConnections(): void;
}

interface CountersTransaction {
  db: Database.Database;
  /** Indexes of the replies given inside it. */
  replies: number[];
}

function begin(db: Database.Database | null): CountersTransaction | null {
  if (!db?.open || db.inTransaction) return null;
  db.exec('BEGIN');
  return { db, replies: [] };
}

function end(tx: CountersTransaction, batch: readonly ThreadRequest[], replies: ThreadReply[], deps: ServeBatchDeps): void {
  let failure: unknown = null;
  if (tx.db !== deps.counters() || !tx.db.open || !tx.db.inTransaction) {
    failure = Object.assign(new Error('rate-limit counters not committed: their connection failed meanwhile'), { code: 'SQLITE_ABORT' });
  } else {
    try {
      tx.db.exec('COMMIT');
    } catch (err) {
      failure = err;
      try {
        if (tx.db.inTransaction) tx.db.exec('ROLLBACK');
      } catch {
        /* closed below */
      }
      deps.dropConnections();
    }
  }
  if (failure === null) return;
  const error = serializedError(failure);
  // A call that failed keeps its own error, and a refusal stands: it does not depend on its own
  // count being kept (made an error, the quotas would ask their in-memory insurance instead).
  for (const i of tx.replies) if (replies[i]!.ok) replies[i] = { id: batch[i]!.id, ok: false, error };
}

export async function serveBatch(batch: readonly ThreadRequest[], deps: ServeBatchDeps): Promise<ThreadReply[]> {
  const replies: ThreadReply[] = [];
  let tx: CountersTransaction | null = null;
  for (let i = 0; i < batch.length; i++) {
    const request = batch[i]!;
    if (request.op === 'limiter') {
      // A first limiter call opens the connection, so a thread's first run begins with its second
      // call. Not with a `get`: a deferred transaction that has read cannot wait for the write
      // lock (SQLite answers SQLITE_BUSY at once, busy_timeout or not), so it begins with a write.
      if (request.method !== 'get') tx ??= begin(deps.counters());
      replies.push(await deps.handle(request));
      tx?.replies.push(i);
    } else {
      if (tx) end(tx, batch, replies, deps);
      tx = null;
      replies.push(await deps.handle(request));
    }
  }
  if (tx) end(tx, batch, replies, deps);
  return replies;
}
