/** The access record (DESIGN.md §7) and the hash-chained form the store keeps. Pure types. */

export const DECISIONS = ['ALLOWED', 'PARTIAL', 'DENIED'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface DecisionReason {
  code: string;
  /** Schema coordinate (`Type.field`) the reason applies to, for field-level refusals. */
  coordinate?: string | null;
}

export interface AccessRecord {
  /** Unique id of the record (also used as alert evidence). */
  id: string;
  /** ISO time the request arrived. */
  time: string;
  requestId: string;
  instanceId: string;
  productId: string | null;
  productVersion: string | null;
  developerId: string | null;
  sub: string | null;
  org: string | null;
  jti: string | null;
  roles: string[];
  operationName: string | null;
  operationType: string | null;
  /** sha256 of the document text; never the document's variable values. */
  documentHash: string | null;
  /** Schema coordinates selected by the operation. */
  coordinates: string[];
  /** Services (clients.read, …) the selected fields belong to. */
  services: string[];
  /** Keyed HMAC digests of the client ids accessed; never the ids themselves. */
  clientDigests: string[];
  decision: Decision;
  reasons: DecisionReason[];
  errorCodes: string[];
  httpStatus: number;
  subgraphs: string[];
  latencyMs: number;
  clientIp: string | null;
  userAgent: string | null;
  /** The W3C trace id of the request's trace, when tracing is on (absent otherwise). */
  traceId?: string;
  /** A registry mutation's reason and ticket, per root field (absent for anything else). */
  changes?: AccessChange[];
  /**
   * The product's operation manifest as this request met it: the mode, the approved version, and
   * the entry that ran (null: none did, the document is not certified). Absent when no manifest
   * or mode applies (staff, or a product in OFF without a manifest).
   */
  manifest?: ManifestUse;
  /** The request was sender-constrained (DPoP, RFC 9449): the thumbprint of the key whose proof it carried (absent otherwise). */
  dpopJkt?: string;
  /**
   * The token's issuer (`iss`), when the gateway trusts several (TOKEN_ISSUER_KEYS): each issuer
   * has subjects of its own, so `sub` alone would not say who acted. Absent with one issuer, and
   * when no token was verified.
   */
  issuer?: string;
}

/** gateway/trusted-documents.ts */
export interface ManifestUse {
  mode: 'OFF' | 'LOG' | 'ENFORCE';
  version: number | null;
  entry: string | null;
}

/** What a register change said about itself (gateway/apollo/change-notes.ts). */
export interface AccessChange {
  coordinate: string;
  reason: string | null;
  ticket: string | null;
}

export interface ChainedAccessRecord extends AccessRecord {
  chainId: string;
  /** Gap-free sequence number within the chain, starting at 1. */
  seq: number;
  /** `hash` of the previous record in the chain, or GENESIS_HASH for seq 1. */
  prevHash: string;
  /** sha256 over the canonical JSON of the record including chainId, seq and prevHash. */
  hash: string;
}

export interface Checkpoint {
  chainId: string;
  /** The last seq covered (0 when the chain has no records yet). */
  seq: number;
  /** The hash of the record at `seq` (GENESIS_HASH when seq is 0). */
  hash: string;
  time: string;
  /**
   * The checkpoint's number in its chain, 1, 2, 3… without gaps (absent on chains written before
   * numbering): a checkpoint deleted from the middle leaves a gap the verifier reports.
   */
  n?: number;
  /** True on the checkpoint an orderly shutdown writes last: nothing follows it in this chain. */
  final?: boolean;
  /** Compact JWS (gateway key) over {chainId, seq, hash, time} and, when present, n and final. */
  signature: string;
}

/** How a chain's record hashes are computed: keyed (HMAC under the chain key) or, for chains from before the ledger, plain SHA-256. */
export type ChainHashAlg = 'hmac-sha256' | 'sha256';

/** How a chain ended, as the ledger records it (an orderly shutdown, or found crashed at a later start). */
export interface ChainEnding {
  how: 'SHUTDOWN' | 'CRASH';
  /** The last record the chain holds, and its hash. */
  lastSeq: number;
  lastHash: string;
  /** The last signed checkpoint: its seq and number. */
  lastCheckpointSeq: number;
  lastCheckpointN: number;
  /** Records after the last signed checkpoint (0 after a shutdown): the tail only the keyed hashes protect. */
  unsignedRecords: number;
}

/**
 * The chain ledger: one signed, hash-linked, gap-free sequence of entries naming every chain any
 * writer opened (OPEN), adopted from before the ledger (ADOPT), and how each ended (CLOSE). It is
 * what makes the set of chains itself tamper-evident: a chain deleted whole is still named here,
 * and an entry removed or altered breaks the links or the signatures.
 */
export interface LedgerEntry {
  /** 1, 2, 3… across the whole store. */
  seq: number;
  kind: 'OPEN' | 'ADOPT' | 'CLOSE';
  chainId: string;
  instanceId: string;
  time: string;
  /** OPEN and ADOPT: how the chain's records are hashed. */
  hashAlg: ChainHashAlg | null;
  /** CLOSE: how the chain ended. */
  ending: ChainEnding | null;
  /** `hash` of the previous entry (GENESIS_HASH for seq 1). */
  prevHash: string;
  /** sha256 over the canonical JSON of every field but `hash` and `signature`. */
  hash: string;
  /** Compact JWS (gateway key) over `hash`. */
  signature: string;
}

export interface ChainHead {
  chainId: string;
  instanceId: string;
  startedAt: string;
  lastSeq: number;
  lastHash: string;
  updatedAt: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * What a store keeps beside a record for queries to filter and order by. The chain hash covers
 * the record, not these copies, so the verifier recomputes them from the record
 * (`indexedColumnsOf`) and reports any difference: otherwise editing a copy (a record's decision
 * turned to DENIED in the column only) would hide it from an auditor's filtered query.
 */
export interface IndexedColumns {
  seq: number;
  timeMs: number;
  productId: string | null;
  developerId: string | null;
  org: string | null;
  decision: string;
  operationName: string | null;
  /** Sorted. */
  errorCodes: string[];
  /** Sorted. */
  clientDigests: string[];
  /**
   * Stored text columns (these copies, or the record itself: 'record') whose bytes are not
   * well-formed UTF-8 text. Such bytes read back as U+FFFD, equal to the record, while filters
   * compare bytes and miss the row; the verifier reports them. Absent when all are well-formed.
   */
  invalidText?: string[];
  /**
   * Why the stored record text is not the text the gateway writes for the record it parses to (an
   * adapter that stores the record as text gives it; absent when it is): a repeated key, a number
   * written with more digits, an escaped character, spacing, or a seq that is not a whole number.
   * SQL's JSON functions, which some filters use, then read other values than the hash does.
   */
  storedForm?: string;
}

/**
 * Rows of a chain that no read by seq returns: a seq that is not a whole number from 1 up to
 * where the verifier read (text, a blob, zero or less, or far past the chain's end). The gateway
 * never writes one; an auditor's query still lists them, so the verifier reports them (FORGED).
 */
export interface UnplacedRows {
  /** How many such rows the chain has. */
  count: number;
  /** The first few: the seq as stored, shown (quoted when it is text), and the seq to report them at (null when it is not a usable number). */
  samples: Array<{ shown: string; at: number | null }>;
}

/** How many unplaced rows an adapter lists in `samples`. */
export const UNPLACED_SAMPLES = 20;

/**
 * The chain id to report for a stored chain id: text as it is; any other stored type (a blob,
 * a number: only a hand-made row has one) as a label that no text id of the gateway's looks like,
 * so its rows are never merged with a real chain's of the same bytes.
 */
export function storedChainIdLabel(value: unknown): string {
  if (typeof value === 'string') return value;
  // A blob (SQLite: Buffer) or a BSON Binary (its bytes in `buffer`).
  const raw = value instanceof Uint8Array ? value : typeof value === 'object' && value !== null && (value as { buffer?: unknown }).buffer instanceof Uint8Array ? (value as { buffer: Uint8Array }).buffer : null;
  if (raw) return `[blob ${Buffer.from(raw.subarray(0, 64)).toString('hex')}${raw.length > 64 ? '…' : ''}]`;
  return `[${value === null ? 'null' : typeof value} ${String(value).slice(0, 128)}]`;
}

/** The indexed copies a record should have (lists sorted and de-duplicated). */
export function indexedColumnsOf(record: ChainedAccessRecord): IndexedColumns {
  return indexedColumnsAt(record, record.seq);
}

/** A list as the store indexes it: its distinct values, sorted, in a new array (no Set for the usual none or one). */
function distinctSorted(list: readonly string[] | null | undefined): string[] {
  if (!list || list.length === 0) return [];
  if (list.length === 1) return [list[0]!];
  return [...new Set(list)].sort();
}

/** indexedColumnsOf for a record not chained yet, at the seq it will have (the writer's prepareRecord). */
export function indexedColumnsAt(
  record: Pick<AccessRecord, 'time' | 'productId' | 'developerId' | 'org' | 'decision' | 'operationName' | 'errorCodes' | 'clientDigests'>,
  seq: number,
): IndexedColumns {
  return {
    seq,
    timeMs: Date.parse(record.time),
    productId: record.productId ?? null,
    developerId: record.developerId ?? null,
    org: record.org ?? null,
    decision: record.decision,
    operationName: record.operationName ?? null,
    errorCodes: distinctSorted(record.errorCodes),
    clientDigests: distinctSorted(record.clientDigests),
  };
}

export interface AccessLogFilter {
  from?: string | null;
  to?: string | null;
  productId?: string | null;
  developerId?: string | null;
  org?: string | null;
  /** Already HMAC-ed by the caller (the audit subgraph). */
  clientDigest?: string | null;
  decision?: Decision | null;
  errorCode?: string | null;
  operationName?: string | null;
  /** The token's `sub` (staff and product users alike). */
  sub?: string | null;
  /** The token's issuer (records of a gateway that trusts several name it; others match no issuer). */
  issuer?: string | null;
  /** The record's roles contain it. */
  role?: string | null;
  /** The token id. */
  jti?: string | null;
  clientIp?: string | null;
  httpStatus?: number | null;
  /** The record's coordinates contain it (`Type.field`). */
  coordinate?: string | null;
}

/** A row of a page that cannot be served as a record (only a hand-made one): where it is stored, and why. */
export interface UnreadableRow {
  chainId: string;
  /** The row's seq, or null when it is not a whole number. */
  seq: number | null;
  reason: string;
}

/** An unreadable row as the API and the export give it: the chain id as a label, the seq when it is a whole number. */
export function unreadableRow(chainId: unknown, seq: unknown, reason: string): UnreadableRow {
  return { chainId: storedChainIdLabel(chainId), seq: typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : null, reason };
}

export interface AccessLogPage {
  records: ChainedAccessRecord[];
  /** Rows of the page whose stored text is not a JSON record at all (SQLite; absent when none): listed apart, so one such row never fails the page. */
  unreadable?: UnreadableRow[];
  /** Opaque keyset cursor for the next (older) page, or null when there is none. */
  nextCursor: string | null;
}

export interface CountBy {
  key: string;
  count: number;
}

export interface AccessSummary {
  total: number;
  byProduct: CountBy[];
  byDecision: CountBy[];
  byCode: CountBy[];
}
