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
import type { Alert, AlertFilter, Incident, IncidentFilter } from '../../monitoring/incident-model.js';
import type { AccessLogFilter, AccessLogPage, AccessSummary, ChainHead, ChainedAccessRecord, Checkpoint } from '../../audit/record.js';
import type { ClientAuthorisation, Developer, HistoryEntry, Product, RegistryEntityType } from '../../registry/model.js';
import type { RateLimiterSpec, RegistryChange, RegistryChanges, Store } from '../port.js';
import { SqliteAccessLog } from './access-log-tables.js';
import { DEFAULT_BUSY_TIMEOUT_MS, MEMORY_PATH, openDatabase, type ConnectionOptions } from './connection.js';
import { createSqliteRateLimiter } from './counters.js';
import { guarded } from './errors.js';
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
}

/** Rate-limit rows that expired more than this long ago are removed at start (the limiter's own sweeper timer is not used). */
const RATE_LIMIT_SWEEP_AGE_MS = 3_600_000;

interface Parts {
  db: Database.Database;
  registry: SqliteRegistry;
  accessLog: SqliteAccessLog;
  incidents: SqliteIncidents;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private parts: Parts | null = null;
  /**
   * Where the hot-path writes go (access-log appends, rate-limit counters) for a file: a worker
   * thread with connections of its own (':memory:' uses its one connection). Counters use
   * synchronous=OFF: a counter lost in a power cut costs a few requests of quota, whereas
   * fsyncing every consume (the access log's FULL setting) costs milliseconds per request.
   */
  private thread: SqliteWriteThread | null = null;

  constructor(private readonly options: SqliteStoreOptions) {}

  async init(): Promise<void> {
    if (this.parts) return;
    await guarded(() => {
      const db = openDatabase(this.options.path, this.options);
      try {
        const applied = runMigrations(db);
        if (applied.length) this.options.logger?.info({ path: this.options.path, applied }, 'store migrations applied');
        db.prepare(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire < ?`).run(Date.now() - RATE_LIMIT_SWEEP_AGE_MS);
        this.parts = { db, registry: new SqliteRegistry(db), accessLog: new SqliteAccessLog(db), incidents: new SqliteIncidents(db) };
        if (this.options.path !== MEMORY_PATH && this.options.writeThread !== false) {
          this.thread = new SqliteWriteThread({ path: this.options.path, sqliteSync: this.options.sqliteSync ?? 'full', busyTimeoutMs: this.options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
        }
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

  // ── registry ────────────────────────────────────────────────────────────────────────────

  currentRevision(): Promise<number> {
    return guarded(() => this.p.registry.currentRevision());
  }
  changesSince(revision: number): Promise<RegistryChanges> {
    return guarded(() => this.p.registry.changesSince(revision));
  }
  developerById(id: string): Promise<Developer | null> {
    return guarded(() => this.p.registry.developerById(id));
  }
  developerByAbn(abn: string): Promise<Developer | null> {
    return guarded(() => this.p.registry.developerByAbn(abn));
  }
  listDevelopers(): Promise<Developer[]> {
    return guarded(() => this.p.registry.listDevelopers());
  }
  productById(id: string): Promise<Product | null> {
    return guarded(() => this.p.registry.productById(id));
  }
  listProducts(filter?: { developerId?: string | null }): Promise<Product[]> {
    return guarded(() => this.p.registry.listProducts(filter));
  }
  clientAuthorisation(org: string, clientId: string): Promise<ClientAuthorisation | null> {
    return guarded(() => this.p.registry.clientAuthorisation(org, clientId));
  }
  listClientAuthorisations(filter?: { org?: string | null; clientId?: string | null }): Promise<ClientAuthorisation[]> {
    return guarded(() => this.p.registry.listClientAuthorisations(filter));
  }
  applyRegistryChange(change: RegistryChange): Promise<{ revision: number; history: HistoryEntry }> {
    return guarded(() => this.p.registry.applyRegistryChange(change));
  }
  historyOf(entityType: RegistryEntityType, entityId: string): Promise<HistoryEntry[]> {
    return guarded(() => this.p.registry.historyOf(entityType, entityId));
  }

  // ── access log ──────────────────────────────────────────────────────────────────────────

  appendAccessRecords(records: ChainedAccessRecord[], checkpoints?: Checkpoint[]): Promise<void> {
    if (this.thread) return this.thread.appendAccessRecords(records, checkpoints);
    return guarded(() => this.p.accessLog.writes.appendAccessRecords(records, checkpoints));
  }
  appendCheckpoint(checkpoint: Checkpoint): Promise<void> {
    if (this.thread) return this.thread.appendCheckpoint(checkpoint);
    return guarded(() => this.p.accessLog.writes.appendCheckpoint(checkpoint));
  }
  queryAccessLogs(filter: AccessLogFilter, page: { first: number; after?: string | null }): Promise<AccessLogPage> {
    return guarded(() => this.p.accessLog.queryAccessLogs(filter, page));
  }
  summarizeAccessLogs(filter: AccessLogFilter): Promise<AccessSummary> {
    return guarded(() => this.p.accessLog.summarizeAccessLogs(filter));
  }
  readChain(chainId: string, fromSeq: number, toSeq: number): Promise<ChainedAccessRecord[]> {
    return guarded(() => this.p.accessLog.readChain(chainId, fromSeq, toSeq));
  }
  listChains(): Promise<ChainHead[]> {
    return guarded(() => this.p.accessLog.listChains());
  }
  openChain(head: ChainHead): Promise<void> {
    if (this.thread) return this.thread.openChain(head);
    return guarded(() => this.p.accessLog.writes.openChain(head));
  }
  checkpointsOf(chainId: string): Promise<Checkpoint[]> {
    return guarded(() => this.p.accessLog.checkpointsOf(chainId));
  }

  // ── alerts and incidents ────────────────────────────────────────────────────────────────

  saveAlert(alert: Alert): Promise<void> {
    return guarded(() => this.p.incidents.saveAlert(alert));
  }
  listAlerts(filter?: AlertFilter): Promise<Alert[]> {
    return guarded(() => this.p.incidents.listAlerts(filter));
  }
  alertById(id: string): Promise<Alert | null> {
    return guarded(() => this.p.incidents.alertById(id));
  }
  saveIncident(incident: Incident, expectedRevision: number | null): Promise<Incident> {
    return guarded(() => this.p.incidents.saveIncident(incident, expectedRevision));
  }
  incidentById(id: string): Promise<Incident | null> {
    return guarded(() => this.p.incidents.incidentById(id));
  }
  listIncidents(filter?: IncidentFilter): Promise<Incident[]> {
    return guarded(() => this.p.incidents.listIncidents(filter));
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

/** Creates (but does not open) a SQLite store; call `init()` before use. */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}
