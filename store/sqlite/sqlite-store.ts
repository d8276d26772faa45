/**
 * The SQLite adapter of the store port (better-sqlite3): the embedded default, shared safely by
 * several processes on one machine through WAL, `busy_timeout` and `BEGIN IMMEDIATE` writes.
 *
 * Tables: registry_revision, developers, products, client_authorisations, registry_history
 * (append-only, enforced by triggers); access_records (+ access_record_codes,
 * access_record_clients), chain_heads, checkpoints; alerts, incidents (+ incident_products);
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
import { ACCESS_LOG_METHODS, MONITORING_METHODS, REGISTRY_METHODS, type AccessLogStore, type MonitoringStore, type RateLimiterSpec, type RegistryStore, type Store } from '../port.js';
import { SqliteAccessLog } from './access-log-tables.js';
import { DEFAULT_BUSY_TIMEOUT_MS, MEMORY_PATH, openDatabase, type ConnectionOptions } from './connection.js';
import { createSqliteRateLimiter } from './counters.js';
import { guarded, translateSqliteError } from './errors.js';
import { SqliteIncidents } from './incident-tables.js';
import { appliedMigrations, RATE_LIMIT_TABLE, runMigrations } from './migrations.js';
import { SqliteRegistry } from './registry-tables.js';
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
  /** Clock (the write thread's respawn pause). Default Date.now. */
  now?: () => number;
}

/** Rate-limit rows that expired more than this long ago are removed at start (the limiter's own sweeper timer is not used). */
const RATE_LIMIT_SWEEP_AGE_MS = 3_600_000;

interface Parts {
  db: Database.Database;
  registry: SqliteRegistry;
  /** Reads on this connection; appends on the write thread when there is one. */
  accessLog: AccessLogStore;
  incidents: SqliteIncidents;
}

/** The port methods, assigned by the guard in the constructor (store/guard.ts). */
export interface SqliteStore extends RegistryStore, AccessLogStore, MonitoringStore {}

export class SqliteStore implements Store {
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
      guardedPort(ACCESS_LOG_METHODS, () => this.p.accessLog, translateSqliteError),
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
        this.parts = { db, registry: new SqliteRegistry(db), accessLog: accessLogPart(new SqliteAccessLog(db), this.thread), incidents: new SqliteIncidents(db) };
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
    // Writes already handed to the thread finish before it stops.
    await thread?.close();
    if (parts?.db.open) parts.db.close();
  }

  ping(): Promise<void> {
    return guarded(() => {
      this.p.db.prepare('SELECT 1').get();
    });
  }

  /** Adapter diagnostics (not on the port): the pragmas in force and the applied migrations. */
  diagnostics(): { journalMode: string; synchronous: number; foreignKeys: number; busyTimeoutMs: number; migrations: number[] } {
    const db = this.p.db;
    return {
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

/**
 * The access log's port: reads on the store's connection, every append on the write thread when
 * there is one. The event loop never commits an access record itself, not even a lone one: its
 * fsync would stop every other request for as long as the disk takes (docs/performance.md,
 * "Eighth pass").
 */
function accessLogPart(log: SqliteAccessLog, thread: SqliteWriteThread | null): AccessLogStore {
  const writes = thread ?? log.writes;
  return {
    appendAccessRecords: async (records, checkpoints) => writes.appendAccessRecords(records, checkpoints),
    appendToChain: async (batch, checkpoints = []) => writes.appendToChain(batch, checkpoints),
    appendCheckpoint: async (checkpoint) => writes.appendCheckpoint(checkpoint),
    openChain: async (head) => writes.openChain(head),
    queryAccessLogs: async (filter, page) => log.queryAccessLogs(filter, page),
    countAccessLogs: async (filter) => log.countAccessLogs(filter),
    summarizeAccessLogs: async (filter) => log.summarizeAccessLogs(filter),
    readChain: async (chainId, fromSeq, toSeq) => log.readChain(chainId, fromSeq, toSeq),
    listChains: async () => log.listChains(),
    checkpointsOf: async (chainId) => log.checkpointsOf(chainId),
    readLedger: async () => log.readLedger(),
    appendLedgerEntry: async (entry) => log.appendLedgerEntry(entry),
    chainIdsWithData: async () => log.chainIdsWithData(),
    indexedColumnsOf: async (chainId, fromSeq, toSeq) => log.indexedColumnsOf(chainId, fromSeq, toSeq),
  };
}

/** Creates (but does not open) a SQLite store; call `init()` before use. */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
