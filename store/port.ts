/**
 * The persistence ports: what the domain needs, named in the domain's words, as four small
 * interfaces — the register, the access log, monitoring (alerts and incidents) and quota
 * counters — that every adapter implements. A consumer asks for the one it uses (or a `Pick` of
 * it); the domain's own reader interfaces (registry/changes.ts, audit/verify-store.ts,
 * monitoring/ports.ts, authorisation/caller.ts) are satisfied by them structurally, so no domain
 * file imports this folder. Adapters (store/sqlite, store/mongo) hold every line of SQL and every
 * mongoose call; test/contract/store.contract.test.ts runs unchanged against each.
 */
import type { RateLimiterLike } from 'rate-limiter-flexible';
import type { ChainBatch } from '../audit/chain.js';
import type { AccessLogFilter, AccessLogPage, AccessSummary, ChainHead, ChainedAccessRecord, Checkpoint, IndexedColumns, LedgerEntry, UnplacedRows } from '../audit/record.js';
import type { Alert, AlertFilter, Incident, IncidentFilter } from '../monitoring/incident-model.js';
import type { RateLimiterSpec } from '../limits/rate-limit.js';
import type { RegistryChange, RegistryChanges, RegistryHistoryFilter } from '../registry/changes.js';
import type { ClientAuthorisation, Developer, HistoryEntry, Product, RegistryEntityType } from '../registry/model.js';

export { StoreAbnHeldError, StoreConflictError, StoreUnavailableError } from '../core/store-errors.js';
export type { ChangeNote, RegistryChange, RegistryChanges, RegistryHistoryFilter } from '../registry/changes.js';
export type { RateLimiterSpec } from '../limits/rate-limit.js';

/** The register: developers, products, client authorisations and their append-only history. */
export interface RegistryStore {
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
  /**
   * Applies one change atomically: assigns the next global revision to the entity, stores it and
   * appends the history entry in one transaction; a revision mismatch throws StoreConflictError
   * and changes nothing. Returns the new revision and the history entry.
   */
  applyRegistryChange(change: RegistryChange): Promise<{ revision: number; history: HistoryEntry }>;
  /** Append-only history of one entity, oldest first. */
  historyOf(entityType: RegistryEntityType, entityId: string): Promise<HistoryEntry[]>;
  /** History across entities matching the filter, newest (highest revision) first, below `beforeRevision` when given. */
  queryRegistryHistory(filter: RegistryHistoryFilter, page: { first: number; beforeRevision?: number | null }): Promise<HistoryEntry[]>;
}

/** The access log: hash-chained records, chain heads and signed checkpoints. */
export interface AccessLogStore {
  /**
   * Appends chained records (and optionally checkpoints) in one transaction and advances the
   * chain heads. Records of one chain arrive in seq order. Idempotent on (chainId, seq): a retry
   * of a batch that was in fact committed must not duplicate or fail.
   */
  appendAccessRecords(records: ChainedAccessRecord[], checkpoints?: Checkpoint[]): Promise<void>;
  /**
   * Links and hashes the batch's records onto its head (audit/chain.ts chainBatch) and appends
   * them as appendAccessRecords does, in one transaction with the checkpoints; returns each
   * record's hash, in order. The access-log writer's path: an adapter may chain off the caller's
   * thread (SQLite does it on its write thread). A batch chains the same way every time, so a
   * retry is as idempotent as appendAccessRecords.
   */
  appendToChain(batch: ChainBatch, checkpoints?: Checkpoint[]): Promise<string[]>;
  appendCheckpoint(checkpoint: Checkpoint): Promise<void>;
  /** Newest first, keyset pagination. */
  queryAccessLogs(filter: AccessLogFilter, page: { first: number; after?: string | null }): Promise<AccessLogPage>;
  /** How many records match the filter (whatever the page). */
  countAccessLogs(filter: AccessLogFilter): Promise<number>;
  summarizeAccessLogs(filter: AccessLogFilter): Promise<AccessSummary>;
  /**
   * Records of one chain at whole-number seqs from fromSeq to toSeq, ordered by seq (as stored,
   * gaps and all); with `limit`, the first `limit` of them. Rows at other seqs (a fraction, text:
   * only hand-made ones, any number of them between two seqs) are left out: unplacedRecords
   * reports them.
   */
  readChain(chainId: string, fromSeq: number, toSeq: number, limit?: number): Promise<ChainedAccessRecord[]>;
  listChains(): Promise<ChainHead[]>;
  /** Registers a new chain (a writer start). */
  openChain(head: ChainHead): Promise<void>;
  checkpointsOf(chainId: string): Promise<Checkpoint[]>;
  /** The chain ledger, by seq. */
  readLedger(): Promise<LedgerEntry[]>;
  /**
   * Appends one ledger entry; throws StoreConflictError when its seq is taken (another writer got
   * there first). With `opens` (the chain an OPEN entry announces), the chain's head is registered
   * in the same transaction (as openChain does), so a crash cannot leave the one without the other.
   */
  appendLedgerEntry(entry: LedgerEntry, opens?: ChainHead): Promise<void>;
  /** Every chain id found in records, checkpoints or heads (the verifier compares it with the ledger). */
  chainIdsWithData(): Promise<string[]>;
  /** The stored filter copies of one chain's records at whole-number seqs from fromSeq to toSeq, by seq (as readChain). */
  indexedColumnsOf(chainId: string, fromSeq: number, toSeq: number): Promise<IndexedColumns[]>;
  /** Rows of the chain whose seq is not a whole number from 1 to beyondSeq (see UnplacedRows). */
  unplacedRecords(chainId: string, beyondSeq: number): Promise<UnplacedRows>;
  /** The smallest seq stored for the chain past afterSeq (a number; null when none): the verifier skips empty stretches with it. */
  nextStoredSeq(chainId: string, afterSeq: number): Promise<number | null>;
  /**
   * What the store's own checks find wrong with the access log's storage (SQLite: a header or
   * schema object that changes what is read, an index out of step with its table); empty when
   * nothing. `consistency: false` leaves out the check that reads the whole file (SQLite's
   * integrity_check), for a one-chain verification.
   */
  storageProblems(options?: StorageCheckOptions): Promise<string[]>;
}

export interface StorageCheckOptions {
  /** Whether the check that reads the whole file runs too. Default true. */
  consistency?: boolean;
}

/** Monitoring's records: alerts and incidents. */
export interface MonitoringStore {
  saveAlert(alert: Alert): Promise<void>;
  listAlerts(filter?: AlertFilter): Promise<Alert[]>;
  alertById(id: string): Promise<Alert | null>;
  /** Creates or replaces an incident; `expectedRevision` null to create. Throws StoreConflictError on mismatch. */
  saveIncident(incident: Incident, expectedRevision: number | null): Promise<Incident>;
  incidentById(id: string): Promise<Incident | null>;
  listIncidents(filter?: IncidentFilter): Promise<Incident[]>;
}

/**
 * Quota counters shared by every process on the store. rate-limiter-flexible is the counting
 * library on both sides of this port (DESIGN.md §4: its store classes here, its insurance and
 * burst wrappers in limits/), so its limiter contract is the port's type.
 */
export interface CounterStore {
  /** A limiter counting in this store (RateLimiterSQLite / RateLimiterMongo, or their write-thread proxy). */
  createRateLimiter(spec: RateLimiterSpec): RateLimiterLike;
}

/**
 * A capability beside the ports, for a store that commits appends one after another in the order
 * they were made (SQLite, on its write thread): appendToChain onto the head the store holds, which
 * must be at `batch.head.seq` (`batch.head.hash` is not read). The access-log writer sends a batch
 * this way while the one before it is still being committed, so the store has the next batch
 * when it finishes one. If the head is anywhere else (the batch before failed or has not
 * committed), nothing is written and the call rejects; the writer then commits the batch the
 * ordinary way. Resolves with the hash the batch was chained onto and the records' hashes.
 * `checkpoints` (signed over records already committed) commit with the batch, in its
 * transaction, as appendToChain's do: refused, the batch writes none of them either.
 */
export interface FollowingAppends {
  appendToChainAfter(batch: ChainBatch, checkpoints?: Checkpoint[]): Promise<{ prevHash: string; hashes: string[] }>;
}

/** A store: the four ports plus its lifecycle. */
export interface Store extends RegistryStore, AccessLogStore, MonitoringStore, CounterStore {
  /** Opens the connection and runs migrations / creates collections and indexes. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the store answers; rejects otherwise (readiness). */
  ping(): Promise<void>;
}

/** The methods of each port, for the one generic guard (store/guard.ts) that wraps an adapter's parts. */
export const REGISTRY_METHODS = ['currentRevision', 'changesSince', 'developerById', 'developerByAbn', 'listDevelopers', 'productById', 'listProducts', 'clientAuthorisation', 'listClientAuthorisations', 'applyRegistryChange', 'historyOf', 'queryRegistryHistory'] as const satisfies readonly (keyof RegistryStore)[];
export const ACCESS_LOG_METHODS = ['appendAccessRecords', 'appendToChain', 'appendCheckpoint', 'queryAccessLogs', 'countAccessLogs', 'summarizeAccessLogs', 'readChain', 'listChains', 'openChain', 'checkpointsOf', 'readLedger', 'appendLedgerEntry', 'chainIdsWithData', 'indexedColumnsOf', 'unplacedRecords', 'nextStoredSeq', 'storageProblems'] as const satisfies readonly (keyof AccessLogStore)[];
export const MONITORING_METHODS = ['saveAlert', 'listAlerts', 'alertById', 'saveIncident', 'incidentById', 'listIncidents'] as const satisfies readonly (keyof MonitoringStore)[];

// Every method of every port is listed above: adding one to an interface without listing it fails to compile.
type Unlisted = Exclude<keyof RegistryStore, (typeof REGISTRY_METHODS)[number]> | Exclude<keyof AccessLogStore, (typeof ACCESS_LOG_METHODS)[number]> | Exclude<keyof MonitoringStore, (typeof MONITORING_METHODS)[number]>;
const everyMethodListed: [Unlisted] extends [never] ? true : never = true;
void everyMethodListed;
