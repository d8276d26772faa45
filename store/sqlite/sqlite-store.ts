/**
 * The SQLite adapter of the store port (better-sqlite3): the embedded default, shared safely by
 * several processes on one machine through WAL, `busy_timeout` and `BEGIN IMMEDIATE` writes.
 *
 * Tables: registry_revision, developers, products, client_authorisations, registry_history
 * (append-only, enforced by triggers); access_records (+ access_record_codes,
 * access_record_clients, access_staged), chain_heads, checkpoints; alerts, incidents (+ incident_products);
 * rate_limits (rate-limiter-flexible's own schema); schema_migrations. The access log's layout,
 * including which column holds the JSON the chain hash covers (`access_records.record`), is
 * described at the top of access-log-tables.ts.
 *
 * better-sqlite3 is synchronous: each method runs to completion before the next starts, so
 * calls from one process never interleave inside a transaction; across processes the database
 * write lock serialises them.
 */
import type Database from 'better-sqlite3';
import type { RateLimiterLike } from 'rate-limiter-flexible';
import type { Logger } from '../../core/logger.js';
import { guardedPort } from '../guard.js';
import { ACCESS_LOG_METHODS, MONITORING_METHODS, REGISTRY_METHODS, type AccessLogStore, type FollowingAppends, type MonitoringStore, type RateLimiterSpec, type RegistryStore, type Store } from '../port.js';
import type { ChainBatch } from '../../audit/chain.js';
import { SqliteAccessLogQueries } from './access-log-queries.js';
import { SqliteAccessLog } from './access-log-tables.js';
import { SqliteAccessLogWrites } from './access-log-writes.js';
import { DEFAULT_BUSY_TIMEOUT_MS, MEMORY_PATH, openDatabase, type ConnectionOptions } from './connection.js';
import { IntegrityCheck } from './integrity.js';
import { createSqliteRateLimiter } from './counters.js';
import { guarded, translateSqliteError } from './errors.js';
import { SqliteIncidents } from './incident-tables.js';
import { appliedMigrations, RATE_LIMIT_TABLE, runMigrations } from './migrations.js';
import { SqliteRegistry } from './registry-tables.js';
import { SqliteReadThread } from './read-thread/client.js';
import { SqliteWriteThread } from './write-thread/client.js';

export interface SqliteStoreOptions extends ConnectionOptions {
  /** File path, or ':memory:' for a private in-memory database (one connection). Required. */
  path: string;
  /** Receives migration notices. Default: none. */
  logger?: Pick<Logger, 'info' | 'warn'>;
  /**
   * Run the access log's appends and the rate-limit counters on a worker thread with connections
   * of its own (write-thread/client.ts), so their commits never block the event loop. Default:
   * true for a file; a ':memory:' database has one private connection and never uses a thread.
   */
  writeThread?: boolean;
  /** Clock, ms: the write thread's respawn pause, and the time its rate-limit counters read (see SqliteWriteThread). Default Date.now. */
  now?: () => number;
  /**
   * With a write thread: an access-log batch of at most this many records and no checkpoint is
   * committed on the calling thread (the event loop), through a connection of its own, when no
   * other connection holds the write lock. It commits into `access_staged` with the chain head
   * (two pages rather than the eleven of the indexed tables), and the thread folds it into
   * `access_records` behind the response; every read folds first (through the thread). Such a
   * commit takes about 0.4 ms here; handing it to the thread and back adds two thread wake-ups to
   * its latency, and under CPU contention far more. Larger batches, and any batch that finds the lock held, go to the
   * thread, where the fsync overlaps the event loop's work. 0 sends everything to the thread. Default 2.
   */
  commitNowMax?: number;
  /** How long the whole-log verification's storage check (integrity.ts) may run before it is stopped and reported. Default 10 minutes. */
  integrityTimeoutMs?: number;
  /**
   * Run the auditors' filtered reads (a page, a count, a summary) on a read thread with a
   * read-only connection of its own (read-thread/client.ts), so a read that scans the log never
   * stops the event loop. Default: true for a file; a ':memory:' database reads on its connection.
   */
  readThread?: boolean;
  /** How long such a read may take, queueing included, before it is refused with OPERATION_LIMIT_EXCEEDED (read thread only). Default 15 s. */
  queryTimeoutMs?: number;
}

/** Rate-limit rows that expired more than this long ago are removed at start (the limiter's own sweeper timer is not used). */
const RATE_LIMIT_SWEEP_AGE_MS = 3_600_000;

interface Parts {
  db: Database.Database;
  /**
   * The event loop's own connection for small access-log batches (a file with a write thread
   * only; see SqliteStoreOptions.commitNowMax): busy_timeout 0, so it never waits for a lock
   * another connection holds.
   */
  now: { db: Database.Database; writes: SqliteAccessLogWrites } | null;
  registry: SqliteRegistry;
  /** Reads on this connection; appends on the write thread when there is one. */
  accessLog: AccessLogStore & FollowingAppends;
  incidents: SqliteIncidents;
  integrity: IntegrityCheck;
  /** The auditors' filtered reads: the read thread for a file, else this connection. */
  reads: SqliteReadThread | null;
}

/** The port methods, assigned by the guard in the constructor (store/guard.ts). */
export interface SqliteStore extends RegistryStore, AccessLogStore, MonitoringStore, FollowingAppends {}

export class SqliteStore implements Store, FollowingAppends {
  private parts: Parts | null = null;
  /**
   * Where the hot-path writes go (access-log appends, rate-limit counters) for a file: a worker
   * thread with connections of its own (':memory:' uses its one connection). Counters use
   * synchronous=OFF: a counter lost in a power cut costs a few requests of quota, whereas
   * fsyncing every consume (the access log's FULL setting) costs milliseconds per request.
   */
  private thread: SqliteWriteThread | null = null;

  constructor(private readonly options: SqliteStoreOptions) {
    Object.assign(
      this,
      guardedPort(REGISTRY_METHODS, () => this.p.registry, translateSqliteError),
      guardedPort([...ACCESS_LOG_METHODS, 'appendToChainAfter'], () => this.p.accessLog, translateSqliteError),
      guardedPort(MONITORING_METHODS, () => this.p.incidents, translateSqliteError),
    );
  }

  async init(): Promise<void> {
    if (this.parts) return;
    await guarded(() => {
      const db = openDatabase(this.options.path, this.options);
      try {
        const applied = runMigrations(db);
        if (applied.length) this.options.logger?.info({ path: this.options.path, applied }, 'store migrations applied');
        db.prepare(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire < ?`).run(Date.now() - RATE_LIMIT_SWEEP_AGE_MS);
        if (this.options.path !== MEMORY_PATH && this.options.writeThread !== false) {
          this.thread = new SqliteWriteThread({ path: this.options.path, sqliteSync: this.options.sqliteSync ?? 'full', busyTimeoutMs: this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS }, this.options.now);
        }
        const now = this.thread ? commitNowConnection(this.options) : null;
        const busyTimeoutMs = this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
        const integrity = new IntegrityCheck(db, { path: this.options.path, busyTimeoutMs, timeoutMs: this.options.integrityTimeoutMs });
        const reads = this.options.path !== MEMORY_PATH && this.options.readThread !== false ? new SqliteReadThread({ path: this.options.path, busyTimeoutMs }, { timeoutMs: this.options.queryTimeoutMs }) : null;
        const queries = reads ?? syncQueries(new SqliteAccessLogQueries(db));
        this.parts = { db, now, registry: new SqliteRegistry(db), accessLog: accessLogPart(new SqliteAccessLog(db), queries, this.thread, now, this.options.commitNowMax ?? 2, (options) => integrity.problems(options)), incidents: new SqliteIncidents(db), integrity, reads };
      } catch (err) {
        db.close();
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    const parts = this.parts;
    const thread = this.thread;
    this.parts = null;
    this.thread = null;
    await parts?.integrity.close();
    await parts?.reads?.close();
    // Writes already handed to the thread finish before it stops.
    await thread?.close();
    if (parts?.now?.db.open) parts.now.db.close();
    if (parts?.db.open) parts.db.close();
  }

  ping(): Promise<void> {
    return guarded(() => {
      this.p.db.prepare('SELECT 1').get();
    });
  }

  /** Adapter diagnostics (not on the port): the pragmas in force and the applied migrations. */
  diagnostics(): { journalMode: string; synchronous: number; foreignKeys: number; busyTimeoutMs: number; migrations: number[]; commitNow: { synchronous: number; busyTimeoutMs: number; walAutocheckpoint: number } | null } {
    const db = this.p.db;
    const now = this.p.now?.db;
    return {
      commitNow: now ? { synchronous: now.pragma('synchronous', { simple: true }) as number, busyTimeoutMs: now.pragma('busy_timeout', { simple: true }) as number, walAutocheckpoint: now.pragma('wal_autocheckpoint', { simple: true }) as number } : null,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      synchronous: db.pragma('synchronous', { simple: true }) as number,
      foreignKeys: db.pragma('foreign_keys', { simple: true }) as number,
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
      migrations: appliedMigrations(db),
    };
  }

  // ── rate limiting ───────────────────────────────────────────────────────────────────────

  /**
   * A RateLimiterSQLite (counters.ts) on the counters' connection: on the write thread for a file,
   * else on this connection. Counters live in the file,
   * so processes sharing it share the limits. Callers wanting an in-memory insurance limiter wrap
   * it (RLWrapperTimeouts with `insuranceLimiter`).
   */
  createRateLimiter(spec: RateLimiterSpec): RateLimiterLike {
    const { db } = this.p; // a closed store refuses, as for every other method
    if (this.thread) return this.thread.limiter(spec);
    return createSqliteRateLimiter(db, spec);
  }

  /** The open connection's parts; a closed or never-opened store fails like a closed database. */
  private get p(): Parts {
    if (!this.parts) throw new TypeError('The database connection is not open');
    return this.parts;
  }
}

/** The most staged records a read folds on the event loop when the write thread cannot (a fold of 250 took about 4 ms here). */
export const FALLBACK_FOLD_MAX = 500;

/** The filtered reads run on the store's own connection (an in-memory database, or no read thread). */
function syncQueries(queries: SqliteAccessLogQueries): FilteredReads {
  return {
    queryAccessLogs: async (filter, page) => queries.queryAccessLogs(filter, page),
    countAccessLogs: async (filter) => queries.countAccessLogs(filter),
    summarizeAccessLogs: async (filter) => queries.summarizeAccessLogs(filter),
  };
}

/** The auditors' filtered reads: the read thread's, or syncQueries. */
type FilteredReads = Pick<AccessLogStore, 'queryAccessLogs' | 'countAccessLogs' | 'summarizeAccessLogs'>;

/**
 * The access log's port: reads on the store's connection (the auditors' filtered reads on
 * `queries`: the read thread for a file), appends on the write thread when there is one, except
 * small chained batches, which commit at once on the calling thread when they can (see
 * SqliteStoreOptions.commitNowMax).
 */
function accessLogPart(log: SqliteAccessLog, queries: FilteredReads, thread: SqliteWriteThread | null, now: Parts['now'], commitNowMax: number, checkIntegrity: AccessLogStore['storageProblems']): Parts['accessLog'] {
  const writes = thread ?? log.writes;
  /**
   * Runs `op` on the commit-now connection (busy_timeout 0: it never waits for the write lock);
   * null if there is none or `op` fails. A failed transaction was rolled back, and appends and
   * folds are idempotent; a connection left inside one (a failed rollback) is rolled back or else
   * given up, so it never holds the write lock or reports a commit that is not.
   */
  const onNow = <T>(op: (nowWrites: SqliteAccessLogWrites) => T): T | null => {
    if (!now?.db.open) return null;
    try {
      if (now.db.inTransaction) throw new Error('the connection was left inside a transaction');
      return op(now.writes);
    } catch {
      if (now.db.open && now.db.inTransaction) {
        try {
          now.db.exec('ROLLBACK');
        } catch {
          /* given up below */
        }
        if (now.db.inTransaction) now.db.close();
      }
      return null;
    }
  };
  // The lock held elsewhere, or anything else, gives null: the thread's path waits, retries and reports.
  const commitNow = (batch: ChainBatch): string[] | null =>
    onNow((nowWrites) => {
      const hashes = nowWrites.stageToChain(batch);
      thread?.keepRunning(); // the thread folds what was staged
      return hashes;
    });
  /**
   * Before a read: records staged by an event loop (this process's or another's) move into the
   * indexed tables. Through the thread when there is one, so the event loop never waits for the
   * write lock; if the thread cannot (it is gone, or the lock stayed held past its busy timeout),
   * one try on the commit-now connection, which does not wait either, for a backlog of at most
   * FALLBACK_FOLD_MAX records, and else the read fails with the thread's error. Without a thread,
   * this connection folds as it writes: waiting.
   */
  const folded = async <T>(read: () => T | Promise<T>): Promise<T> => {
    if (log.writes.hasStaged()) {
      if (!thread) log.writes.foldStaged();
      else
        await thread.fold().catch((err: unknown) => {
          // A backlog the thread left grows while it is down: folding it all here would stop the event loop.
          // If even counting it fails (a closed or damaged file), the read fails with the thread's coded error, not that one.
          const backlog = (() => {
            try {
              return log.writes.stagedUpTo(FALLBACK_FOLD_MAX + 1);
            } catch {
              throw err;
            }
          })();
          if (backlog > FALLBACK_FOLD_MAX || onNow((nowWrites) => nowWrites.foldStaged()) === null) throw err;
        });
    }
    return read();
  };
  return {
    appendAccessRecords: async (records, checkpoints) => writes.appendAccessRecords(records, checkpoints),
    appendToChain: async (batch, checkpoints = []) => (checkpoints.length === 0 && batch.records.length <= commitNowMax ? commitNow(batch) : null) ?? writes.appendToChain(batch, checkpoints),
    // Always where the ordinary appends of a batch this size go (the thread), so that it follows the batch before it there.
    appendToChainAfter: async (batch, checkpoints = []) => writes.appendToChainAfter(batch, checkpoints),
    appendCheckpoint: async (checkpoint) => writes.appendCheckpoint(checkpoint),
    openChain: async (head) => writes.openChain(head),
    // On the read thread for a file (a separate connection: what was folded is committed first).
    queryAccessLogs: (filter, page) => folded(() => queries.queryAccessLogs(filter, page)),
    countAccessLogs: (filter) => folded(() => queries.countAccessLogs(filter)),
    summarizeAccessLogs: (filter) => folded(() => queries.summarizeAccessLogs(filter)),
    readChain: (chainId, fromSeq, toSeq, limit) => folded(() => log.readChain(chainId, fromSeq, toSeq, limit)),
    listChains: () => folded(() => log.listChains()),
    checkpointsOf: async (chainId) => log.checkpointsOf(chainId),
    readLedger: async () => log.readLedger(),
    appendLedgerEntry: async (entry, opens) => log.appendLedgerEntry(entry, opens),
    chainIdsWithData: () => folded(() => log.chainIdsWithData()),
    indexedColumnsOf: (chainId, fromSeq, toSeq) => folded(() => log.indexedColumnsOf(chainId, fromSeq, toSeq)),
    unplacedRecords: (chainId, beyondSeq) => folded(() => log.unplacedRecords(chainId, beyondSeq)),
    nextStoredSeq: (chainId, afterSeq) => folded(() => log.nextStoredSeq(chainId, afterSeq)),
    storageProblems: checkIntegrity,
  };
}

/** The connection for committing small batches at once, or null if it cannot be opened (then every append goes to the thread). */
function commitNowConnection(options: SqliteStoreOptions): Parts['now'] {
  let db: Database.Database | null = null;
  try {
    db = openDatabase(options.path, options);
    db.pragma('busy_timeout = 0');
    // SQLite's automatic checkpoint stays on here: the WAL can start over only once a checkpoint
    // has copied all of it before the next commit begins, which the write thread's timed ones
    // cannot ensure while lone records keep committing on this connection (the WAL then grew
    // without bound). It runs in the commit that takes the WAL past 1,000 pages, as it did on the
    // thread before.
    return { db, writes: new SqliteAccessLogWrites(db) };
  } catch {
    db?.close();
    return null;
  }
}

/** Creates (but does not open) a SQLite store; call `init()` before use. */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
