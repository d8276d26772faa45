/**
 * The hash chain over access records. Each writer (gateway instance + start epoch) owns one
 * chain: a gap-free `seq` from 1, `prevHash` = the previous record's `hash` (GENESIS_HASH for
 * seq 1), and `hash` = HMAC-SHA256 under the chain key (derived from the audit key) over the
 * canonical JSON of every other field. Because chainId, seq and prevHash are inside the hash, a
 * record cannot be moved to another position or chain, and no record can be removed or altered
 * without breaking a link or a recomputed hash. Because the hash is keyed, someone with write
 * access to the database but not the audit key cannot compute the hash of a record they forge,
 * so they cannot extend or rewrite a chain even between two signed checkpoints. Chains written
 * before keyed hashes (hash algorithm `sha256` in the ledger) are verified with plain SHA-256.
 */
import { createHash, createHmac } from 'node:crypto';
import { CanonicalJsonError, canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, type AccessRecord, type ChainedAccessRecord, type DecisionReason } from './record.js';

export type UnhashedRecord = Omit<ChainedAccessRecord, 'hash'>;

/**
 * Every field the hash covers, in one list the compiler keeps complete: adding a field to
 * ChainedAccessRecord without listing it here is a type error (see the check below), so a new
 * field can never silently escape the chain. Fields a store adapter adds on its own (row ids,
 * `_id`) are deliberately not covered.
 */
export const HASHED_FIELDS = [
  'id', 'time', 'requestId', 'instanceId', 'productId', 'productVersion', 'developerId', 'sub', 'org', 'jti', 'roles',
  'operationName', 'operationType', 'documentHash', 'coordinates', 'services', 'clientDigests', 'decision', 'reasons',
  'errorCodes', 'httpStatus', 'subgraphs', 'latencyMs', 'clientIp', 'userAgent', 'chainId', 'seq', 'prevHash',
] as const satisfies ReadonlyArray<keyof UnhashedRecord>;

/**
 * Fields hashed only when present: added after chains already existed, so a record without one
 * hashes exactly as it did before the field existed (no `null` placeholder).
 */
export const OPTIONAL_HASHED_FIELDS = ['traceId', 'changes', 'manifest', 'dpopJkt'] as const satisfies ReadonlyArray<keyof UnhashedRecord>;
const OPTIONAL = new Set<string>(OPTIONAL_HASHED_FIELDS);

type Missing = Exclude<keyof UnhashedRecord, (typeof HASHED_FIELDS)[number] | (typeof OPTIONAL_HASHED_FIELDS)[number]>;
// Fails to compile when a field of ChainedAccessRecord (other than `hash`) is not in HASHED_FIELDS.
const everyFieldHashed: [Missing] extends [never] ? true : Missing = true;
void everyFieldHashed;

const strings = (list: readonly string[] | null | undefined): string[] => (list ? [...list] : []);
const reasonsOf = (list: readonly DecisionReason[] | null | undefined): DecisionReason[] =>
  (list ?? []).map((r) => ({ code: r.code, coordinate: r.coordinate ?? null }));

/**
 * The record in the exact shape that is hashed: only HASHED_FIELDS, absent values as `null`,
 * lists copied. Stores may hand back `undefined` for SQL NULLs or drop an absent optional
 * `coordinate`; normalising both sides keeps such round trips from looking like tampering.
 */
export function normalizeForHash(record: UnhashedRecord): UnhashedRecord {
  const r = record;
  // One object literal in HASHED_FIELDS order (a unit test holds the two together): V8 keeps it
  // in fast mode, where adding 28 fields one by one under computed names would leave it a slow
  // dictionary for every reader after (canonical JSON, the stores' JSON.stringify).
  const out: UnhashedRecord = {
    id: r.id ?? null, time: r.time ?? null, requestId: r.requestId ?? null, instanceId: r.instanceId ?? null,
    productId: r.productId ?? null, productVersion: r.productVersion ?? null, developerId: r.developerId ?? null,
    sub: r.sub ?? null, org: r.org ?? null, jti: r.jti ?? null, roles: strings(r.roles),
    operationName: r.operationName ?? null, operationType: r.operationType ?? null, documentHash: r.documentHash ?? null,
    coordinates: strings(r.coordinates), services: strings(r.services), clientDigests: strings(r.clientDigests),
    decision: r.decision ?? null, reasons: reasonsOf(r.reasons), errorCodes: strings(r.errorCodes),
    httpStatus: r.httpStatus ?? null, subgraphs: strings(r.subgraphs), latencyMs: r.latencyMs ?? null,
    clientIp: r.clientIp ?? null, userAgent: r.userAgent ?? null, chainId: r.chainId ?? null, seq: r.seq ?? null,
    prevHash: r.prevHash ?? null,
  } as UnhashedRecord;
  if (r.traceId != null) out.traceId = r.traceId;
  if (r.changes != null) out.changes = r.changes;
  if (r.manifest != null) out.manifest = r.manifest;
  if (r.dpopJkt != null) out.dpopJkt = r.dpopJkt;
  // A field added to OPTIONAL_HASHED_FIELDS but not above would be neither hashed nor stored: the
  // unit test "lays the record out…" sets every optional field and fails when one is missing here.
  return out;
}

const SORTED_FIELDS = [...HASHED_FIELDS, ...OPTIONAL_HASHED_FIELDS].sort();
const LIST_FIELDS = new Set<string>(['roles', 'coordinates', 'services', 'clientDigests', 'errorCodes', 'subgraphs']);

function scalar(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new CanonicalJsonError(`non-finite number ${value}`);
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? JSON.stringify(value) : canonicalJson(value);
}

/**
 * canonicalJson of a normalised record, written field by field from the precomputed key order:
 * the hash is computed for every request, and this avoids sorting keys each time. It must
 * produce exactly what canonicalJson would (a unit test holds the two together); anything not of
 * the expected shape falls back to canonicalJson itself.
 */
export function canonicalRecordJson(normalized: UnhashedRecord): string {
  const r = normalized as unknown as Record<string, unknown>;
  let out = '{';
  let i = 0;
  for (const field of SORTED_FIELDS) {
    const value = r[field];
    if (value === undefined && OPTIONAL.has(field)) continue;
    let text: string;
    if (LIST_FIELDS.has(field) && Array.isArray(value) && value.every((v) => typeof v === 'string')) text = JSON.stringify(value);
    else if (field === 'reasons' && Array.isArray(value)) {
      text = `[${(value as DecisionReason[]).map((x) => `{"code":${scalar(x.code)},"coordinate":${scalar(x.coordinate ?? null)}}`).join(',')}]`;
    } else text = scalar(value);
    out += `${i++ ? ',' : ''}"${field}":${text}`;
  }
  return `${out}}`;
}

/**
 * The key record hashes are computed under: derived from the audit HMAC key for this one purpose,
 * so the client-id digests and the chain hashes never share a key.
 */
export function chainKeyOf(auditHmacKey: Buffer): Buffer {
  if (auditHmacKey.length === 0) throw new Error('chainKeyOf: the audit HMAC key is empty');
  return createHmac('sha256', auditHmacKey).update('dsp-gateway access-log chain key v1').digest();
}

function digestOf(canonical: string, key: Uint8Array | null): string {
  return (key ? createHmac('sha256', key) : createHash('sha256')).update(canonical).digest('hex');
}

/**
 * The hash of a record: HMAC-SHA256 hex under `key` (keyed chains), or plain SHA-256 hex when
 * `key` is null (chains from before keyed hashes), over the canonical JSON of every field except
 * `hash` (a `hash` present is ignored).
 */
export function computeRecordHash(record: UnhashedRecord, key: Buffer | null = null): string {
  return digestOf(canonicalRecordJson(normalizeForHash(record)), key);
}

export interface ChainPosition {
  /** The last seq assigned (0 before the first record). */
  seq: number;
  /** The hash of the record at `seq` (GENESIS_HASH at 0). */
  hash: string;
}

export interface Chain {
  readonly chainId: string;
  /** Assigns the next seq, links and hashes a copy of the record. Synchronous, so arrival order is seq order. */
  append(record: AccessRecord): ChainedAccessRecord;
  /** Position of the last record chained. */
  head(): ChainPosition;
}

/**
 * Links and hashes one record at `seq` after `prevHash`, in place: `record` must be a copy the
 * caller owns (a fresh JSON.parse, say). Returns it normalised, with chainId, seq, prevHash and
 * hash set, in the field order the stores keep (HASHED_FIELDS, optional fields, then hash).
 */
function linkRecord(record: Record<string, unknown>, chainId: string, seq: number, prevHash: string, key: Uint8Array | null): ChainedAccessRecord {
  // Assigning beats `{ ...record, chainId, seq, prevHash }`: V8 spreads a 30-field object slowly (~20 µs).
  record.chainId = chainId;
  record.seq = seq;
  record.prevHash = prevHash;
  const chained = normalizeForHash(record as unknown as UnhashedRecord) as ChainedAccessRecord;
  chained.hash = digestOf(canonicalRecordJson(chained), key); // normalizeForHash returned a fresh object
  return chained;
}

/** Starts a chain at `head` (default: empty, seq 0 / GENESIS_HASH), hashing under `key` (null: plain SHA-256). */
export function createChain(chainId: string, head: ChainPosition = { seq: 0, hash: GENESIS_HASH }, key: Buffer | null = null): Chain {
  if (!chainId) throw new Error('createChain: chainId is required');
  if (!Number.isInteger(head.seq) || head.seq < 0) throw new Error('createChain: head.seq must be a non-negative integer');
  let seq = head.seq;
  let prevHash = head.hash;
  return {
    chainId,
    append(record) {
      const chained = linkRecord({ ...(record as unknown as Record<string, unknown>) }, chainId, seq + 1, prevHash, key);
      seq += 1;
      prevHash = chained.hash;
      return chained;
    },
    head: () => ({ seq, hash: prevHash }),
  };
}

/**
 * Records to chain and append in one go (AccessLogStore.appendToChain): the writer sends each
 * record's facts once, as JSON text, and whoever commits them (the SQLite write thread, or the
 * store on the caller's thread) links and hashes them with chainBatch. Everything that decides a
 * hash is in the batch, so chaining the same batch again (a retry) gives the same records.
 */
export interface ChainBatch {
  chainId: string;
  /** Where the batch continues the chain: its first record gets seq head.seq + 1 and prevHash head.hash. */
  head: ChainPosition;
  /** The chain key (chainKeyOf), or null for plain SHA-256. */
  key: Uint8Array | null;
  /** JSON.stringify of each AccessRecord (see chainableFacts), in seq order. */
  records: string[];
}

/** Links and hashes a batch's records: pure, the same for every store and thread. */
export function chainBatch(batch: ChainBatch): ChainedAccessRecord[] {
  const out: ChainedAccessRecord[] = new Array(batch.records.length);
  let prevHash = batch.head.hash;
  for (let i = 0; i < batch.records.length; i++) {
    const chained = linkRecord(JSON.parse(batch.records[i]!) as Record<string, unknown>, batch.chainId, batch.head.seq + 1 + i, prevHash, batch.key);
    prevHash = chained.hash;
    out[i] = chained;
  }
  return out;
}

const isStringList = (value: unknown): boolean => Array.isArray(value) && value.every((v) => typeof v === 'string');

/**
 * A record's facts as the JSON text a ChainBatch carries, or a CanonicalJsonError when the record
 * could not be hashed as it is. JSON.stringify would silently turn a non-finite number into null,
 * so the numbers are checked first (a hash must never cover something the caller did not mean),
 * and shapes normalizeForHash cannot take are refused here, one record at a time, rather than
 * failing a whole batch where it is chained.
 */
export function chainableFacts(record: AccessRecord): string {
  if (!Number.isFinite(record.httpStatus) || !Number.isFinite(record.latencyMs)) throw new CanonicalJsonError('httpStatus and latencyMs must be finite numbers');
  for (const field of ['roles', 'coordinates', 'services', 'clientDigests', 'errorCodes', 'subgraphs'] as const) {
    if (!isStringList(record[field])) throw new CanonicalJsonError(`${field} must be a list of strings`);
  }
  if (!Array.isArray(record.reasons) || !record.reasons.every((r) => r !== null && typeof r === 'object')) throw new CanonicalJsonError('reasons must be a list of objects');
  for (const field of OPTIONAL_HASHED_FIELDS) if (record[field] != null) canonicalJson(record[field]); // throws on what JSON would not keep
  return JSON.stringify(record);
}
