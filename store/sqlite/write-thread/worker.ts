/**
 * The SQLite write thread: runs the access log's appends (chaining and hashing the writer's
 * records, then synchronous=FULL commits, whose fsync would otherwise block the gateway's event
 * loop) and the rate-limit counters on connections of
 * its own, one request at a time, in arrival order. Loaded by bootstrap.mjs; see client.ts.
 *
 * Connections open on first use and reopen after a failure, so a database that was unavailable
 * (locked past the busy timeout, read-only, missing) is retried by the next request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { RateLimiterSQLite } from 'rate-limiter-flexible';
import { SqliteAccessLogWrites } from '../access-log-writes.js';
import { openDatabase } from '../connection.js';
import { createSqliteRateLimiter } from '../counters.js';
import { serializedError } from '../errors.js';
import type { ThreadReply, ThreadRequest, WriteThreadData } from './protocol.js';
import { followingClock } from './following-clock.js';
import { limiterReply, serveBatch } from './serve-batch.js';

const data = workerData as WriteThreadData;
const port = parentPort!;

let log: { db: Database.Database; writes: SqliteAccessLogWrites } | null = null;
let counters: Database.Database | null = null;
const limiters = new Map<number, RateLimiterSQLite>();

/**
 * The thread's own timing (the checkpoint interval) reads the system clock. The rate-limit
 * counters read Date.now inside rate-limiter-flexible; when the store was given a clock, each
 * limiter call carries its reading (`at`) and Date.now here follows it (following-clock.ts).
 */
const realNow = Date.now.bind(Date);
const storeClock = followingClock(realNow);
function followClock(at: number | undefined): void {
  if (at === undefined || !Number.isFinite(at)) return;
  storeClock.follow(at);
  Date.now = storeClock.now;
}

/** Opens a connection; a file that cannot be opened (its directory gone, say) is SQLITE_CANTOPEN, i.e. unavailable. */
function connect(sqliteSync: WriteThreadData['sqliteSync']): Database.Database {
  try {
    return openDatabase(data.path, { sqliteSync, busyTimeoutMs: data.busyTimeoutMs });
  } catch (err) {
    if (typeof (err as { code?: unknown }).code === 'string') throw err;
    throw Object.assign(new Error(`cannot open the database: ${(err as Error).message}`), { code: 'SQLITE_CANTOPEN' });
  }
}

/**
 * How often the WAL is checkpointed into the database file, ms. Not inside this connection's
 * commits (SQLite's automatic checkpoint is off here): the writer would wait for it, as would the
 * requests behind its batch. It runs after the replies are out (the thread commits nothing else
 * meanwhile, so it can copy the whole WAL and let it start over) and on a timer.
 */
const WAL_CHECKPOINT_EVERY_MS = 250;
/**
 * A PASSIVE checkpoint never waits, but the WAL starts over only once a checkpoint has copied all
 * of it before the next commit begins, which commits landing from other connections (the event
 * loop's, other processes') can keep preventing: past this many frames (SQLite's own
 * automatic-checkpoint point, 8 MiB at our 8 KiB pages) the checkpoint is a RESTART, which waits
 * up to WAL_RESTART_WAIT_MS for the writers and readers in progress and holds new writers back
 * (the event loop's connection does not wait: its commits come to this thread meanwhile).
 */
const WAL_RESTART_FRAMES = 1000;
/** The longest a RESTART checkpoint waits for readers and writers, ms. */
const WAL_RESTART_WAIT_MS = 100;
let lastWalCheckpoint = 0;

function checkpointWal(): void {
  lastWalCheckpoint = realNow();
  if (!log?.db.open) return;
  const db = log.db;
  try {
    // PASSIVE: copies what no reader still needs, never waits for or blocks a writer.
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    if (!passive || passive.log < WAL_RESTART_FRAMES) return;
    const wait = db.pragma('busy_timeout', { simple: true }) as number;
    db.pragma(`busy_timeout = ${WAL_RESTART_WAIT_MS}`);
    try {
      db.pragma('wal_checkpoint(RESTART)');
    } finally {
      db.pragma(`busy_timeout = ${wait}`);
    }
  } catch {
    /* a busy or failing checkpoint is retried by the next one; commits do not depend on it */
  }
}
/**
 * Behind the responses: records the event loop staged (lone records, see sqlite-store.ts) move
 * into the indexed table, then the WAL is checkpointed. The event loop's commits may be all there
 * is at a low rate, so the log connection opens here if it is not open yet.
 */
function housekeeping(): void {
  try {
    logWrites().foldStaged();
  } catch {
    /* busy or unavailable: the next round, or the next read (which folds first), moves them */
  }
  checkpointWal();
}
setInterval(housekeeping, WAL_CHECKPOINT_EVERY_MS).unref();

function logWrites(): SqliteAccessLogWrites {
  if (!log) {
    const db = connect(data.sqliteSync);
    try {
      db.pragma('wal_autocheckpoint = 0');
      log = { db, writes: new SqliteAccessLogWrites(db) };
    } catch (err) {
      db.close();
      throw err;
    }
  }
  return log.writes;
}

function limiter(id: number, spec: Extract<ThreadRequest, { op: 'limiter' }>['spec']): RateLimiterSQLite {
  let found = limiters.get(id);
  if (!found) {
    // The client sends a limiter's spec with its first call to this thread.
    if (!spec) throw new Error(`rate limiter ${id} is unknown to the write thread`);
    // Same file as the access log, its own connection without fsync: a counter lost in a power
    // cut costs a few requests of quota, an fsync per request would cost milliseconds.
    counters ??= connect('off');
    found = createSqliteRateLimiter(counters, spec);
    limiters.set(id, found);
  }
  return found;
}

/** After a failure the connections are reopened on next use (their state is unknown). */
function dropConnections(): void {
  for (const db of [log?.db, counters]) {
    try {
      if (db?.open) db.close();
    } catch {
      /* closing a broken connection: nothing more to do */
    }
  }
  log = null;
  counters = null;
  limiters.clear();
}

async function handle(request: ThreadRequest): Promise<ThreadReply> {
  const { id } = request;
  try {
    switch (request.op) {
      case 'append':
        logWrites().appendAccessRecords(request.records, request.checkpoints);
        return { id, ok: true };
      case 'appendToChain':
        return { id, ok: true, value: logWrites().appendToChain(request.batch, request.checkpoints) };
      case 'appendToChainAfter':
        return { id, ok: true, value: logWrites().appendToChainAfter(request.batch, request.checkpoints) };
      case 'checkpoint':
        logWrites().appendCheckpoint(request.checkpoint);
        return { id, ok: true };
      case 'fold':
        return { id, ok: true, value: logWrites().foldStaged() };
      case 'openChain':
        logWrites().openChain(request.head);
        return { id, ok: true };
      case 'limiter': {
        followClock(request.at);
        return await limiterReply(id, limiter(request.limiterId, request.spec) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>, request);
      }
      case 'close':
        // Staged records need no fold to be safe (they are committed); folding here leaves the file tidy.
        try {
          log?.writes.foldStaged();
        } catch {
          /* the next process's first read folds them */
        }
        dropConnections();
        return { id, ok: true };
    }
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if ((typeof code === 'string' && /^SQLITE_/.test(code) && !/^SQLITE_(BUSY|LOCKED|CONSTRAINT)/.test(code)) || (err instanceof TypeError && /not open/.test(err.message))) dropConnections();
    return { id, ok: false, error: serializedError(err) };
  }
}

// A batch of requests (one turn of the client's event loop) in, its replies out as one message.
// Consecutive limiter calls share one transaction on the counters' connection (serveBatch).
port.on('message', (batch: ThreadRequest[]) => {
  void (async () => {
    const replies = await serveBatch(batch, { handle, counters: () => counters, dropConnections });
    port.postMessage(replies);
    if (realNow() - lastWalCheckpoint >= WAL_CHECKPOINT_EVERY_MS) housekeeping();
  })();
});
