/**
 * The persistence port: what the domain needs, named in the domain's words. Adapters
 * (store/sqlite, store/mongo) hold every line of SQL and every mongoose call; nothing else
 * imports a driver. test/contract/store.contract.test.ts runs unchanged against each adapter.
 */
import type { RateLimiterLike } from 'rate-limiter-flexible';
import type { ClientAuthorisation, Developer, HistoryEntry, Product, RegistryEntityType } from '../registry/model.js';
import type { AccessLogFilter, AccessLogPage, AccessSummary, ChainHead, ChainedAccessRecord, Checkpoint } from '../audit/record.js';
import type { Alert, AlertFilter, Incident, IncidentFilter } from '../monitoring/incident-model.js';

/** Everything in the register that changed after a revision, for gateway snapshots. */
export interface RegistryChanges {
  /** The highest revision included (the current revision when nothing changed). */
  revision: number;
  developers: Developer[];
  products: Product[];
  authorisations: ClientAuthorisation[];
}

/** What a history entry says about a change; the store adds id, revision and the before/after states. */
export interface ChangeNote {
  action: string;
  actor: string;
  reason: string;
  ticket?: string | null;
  effectiveAt: string;
}

/**
 * One atomic register change. `expectedRevision` is the entity revision the caller read
 * (optimistic concurrency), or null to create a new entity (which must not exist yet).
 * The store assigns the next global revision to the entity, stores it and appends the history
 * entry, all in one transaction; a mismatch throws StoreConflictError and changes nothing.
 */
export type RegistryChange =
  | { entity: 'DEVELOPER'; expectedRevision: number | null; next: Developer; note: ChangeNote }
  | { entity: 'PRODUCT'; expectedRevision: number | null; next: Product; note: ChangeNote }
  | { entity: 'CLIENT_AUTHORISATION'; expectedRevision: number | null; next: ClientAuthorisation; note: ChangeNote };

export interface RateLimiterSpec {
  /** Distinguishes limiters sharing one table/collection. */
  keyPrefix: string;
  points: number;
  /** Window in seconds. */
  duration: number;
}

export interface Store {
  readonly kind: 'sqlite' | 'mongo';

  /** Opens the connection and runs migrations / creates collections and indexes. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the store answers; rejects otherwise (readiness). */
  ping(): Promise<void>;

  // ── registry ────────────────────────────────────────────────────────────────────────────
  currentRevision(): Promise<number>;
  /** Every developer, product and authorisation whose revision is above `revision`. */
  changesSince(revision: number): Promise<RegistryChanges>;
  developerById(id: string): Promise<Developer | null>;
  developerByAbn(abn: string): Promise<Developer | null>;
  listDevelopers(): Promise<Developer[]>;
  productById(id: string): Promise<Product | null>;
  listProducts(filter?: { developerId?: string | null }): Promise<Product[]>;
  clientAuthorisation(org: string, clientId: string): Promise<ClientAuthorisation | null>;
  listClientAuthorisations(filter?: { org?: string | null; clientId?: string | null }): Promise<ClientAuthorisation[]>;
  /** Applies one change atomically; returns the stored entity (with its new revision) and the history entry. */
  applyRegistryChange(change: RegistryChange): Promise<{ revision: number; history: HistoryEntry }>;
  /** Append-only history of one entity, oldest first. */
  historyOf(entityType: RegistryEntityType, entityId: string): Promise<HistoryEntry[]>;

  // ── access log ──────────────────────────────────────────────────────────────────────────
  /**
   * Appends chained records (and optionally checkpoints) in one transaction and advances the
   * chain heads. Records of one chain arrive in seq order. Idempotent on (chainId, seq): a retry
   * of a batch that was in fact committed must not duplicate or fail.
   */
  appendAccessRecords(records: ChainedAccessRecord[], checkpoints?: Checkpoint[]): Promise<void>;
  appendCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** Newest first, keyset pagination. */
  queryAccessLogs(filter: AccessLogFilter, page: { first: number; after?: string | null }): Promise<AccessLogPage>;
  summarizeAccessLogs(filter: AccessLogFilter): Promise<AccessSummary>;
  /** Records of one chain with fromSeq <= seq <= toSeq, ordered by seq (as stored, gaps and all). */
  readChain(chainId: string, fromSeq: number, toSeq: number): Promise<ChainedAccessRecord[]>;
  listChains(): Promise<ChainHead[]>;
  /** Registers a new chain (a writer start). */
  openChain(head: ChainHead): Promise<void>;
  checkpointsOf(chainId: string): Promise<Checkpoint[]>;

  // ── alerts and incidents ────────────────────────────────────────────────────────────────
  saveAlert(alert: Alert): Promise<void>;
  listAlerts(filter?: AlertFilter): Promise<Alert[]>;
  alertById(id: string): Promise<Alert | null>;
  /** Creates or replaces an incident; `expectedRevision` null to create. Throws StoreConflictError on mismatch. */
  saveIncident(incident: Incident, expectedRevision: number | null): Promise<Incident>;
  incidentById(id: string): Promise<Incident | null>;
  listIncidents(filter?: IncidentFilter): Promise<Incident[]>;

  // ── rate limiting ───────────────────────────────────────────────────────────────────────
  /** A rate-limiter-flexible limiter on this store's own connection (RateLimiterSQLite / RateLimiterMongo). */
  createRateLimiter(spec: RateLimiterSpec): RateLimiterLike;
}

/** The entity changed since the revision the caller expected, or already exists on create. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  constructor(
    readonly entity: string,
    readonly entityId: string,
    readonly expectedRevision: number | null,
    readonly actualRevision: number | null,
  ) {
    super(`${entity} ${entityId}: expected revision ${expectedRevision ?? 'none (create)'}, found ${actualRevision ?? 'none'}`);
  }
}

/** The store could not be reached or refused the operation (callers fail closed). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
