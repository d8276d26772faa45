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
import { GENESIS_HASH, indexedColumnsAt, type AccessRecord, type ChainedAccessRecord, type DecisionReason } from './record.js';

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
export const OPTIONAL_HASHED_FIELDS = ['traceId', 'changes', 'manifest', 'dpopJkt', 'issuer'] as const satisfies ReadonlyArray<keyof UnhashedRecord>;
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
  if (r.issuer != null) out.issuer = r.issuer;
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
  return canonicalRecordParts(normalized).text;
}

/** canonicalRecordJson, and where in it the value of `prevHash` begins (after `"prevHash":"`; -1 when prevHash is not a string). */
function canonicalRecordParts(normalized: UnhashedRecord): { text: string; cut: number } {
  const r = normalized as unknown as Record<string, unknown>;
  let out = '{';
  let cut = -1;
  let i = 0;
  for (const field of SORTED_FIELDS) {
    const value = r[field];
    if (value === undefined && OPTIONAL.has(field)) continue;
    let text: string;
    if (LIST_FIELDS.has(field) && Array.isArray(value) && value.every((v) => typeof v === 'string')) text = JSON.stringify(value);
    else if (field === 'reasons' && Array.isArray(value)) {
      text = `[${(value as DecisionReason[]).map((x) => `{"code":${scalar(x.code)},"coordinate":${scalar(x.coordinate ?? null)}}`).join(',')}]`;
    } else text = scalar(value);
    out += `${i++ ? ',' : ''}"${field}":`;
    if (field === 'prevHash' && typeof value === 'string') cut = out.length + 1;
    out += text;
  }
  return { text: `${out}}`, cut };
}

/**
 * Whether `text` is exactly what a writer stores for `record`, the record it parses to: the
 * canonical text with `"hash"` last (prepareRecord's form), or JSON.stringify of the normalised
 * record with its hash (linkRecord's). The hash covers normalizeForHash(record), not the text, so
 * only this comparison shows a text that hashes the same yet reads otherwise in SQL: a field left
 * out or added, an empty list written as `false`, keys in another order, a key inside a reason, a
 * number or string spelled another way. Throws on a value nested too deeply to write out.
 */
export function isStoredText(text: string, record: ChainedAccessRecord): boolean {
  if (typeof record.hash !== 'string') return false;
  const normalized = normalizeForHash(record);
  if (text === `${canonicalRecordJson(normalized).slice(0, -1)},"hash":${JSON.stringify(record.hash)}}`) return true;
  return text === JSON.stringify({ ...normalized, hash: record.hash });
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
  /**
   * Each record's facts as JSON text, in seq order: JSON.stringify of the AccessRecord (see
   * chainableFacts), or, when `prepared` is present, its canonical text from prepareRecord.
   */
  records: string[];
  /**
   * The writer's form (prepareRecord): `records` already hold each record's canonical text, so
   * chaining it is one HMAC and no parsing.
   */
  prepared?: PreparedRecords;
}

/**
 * What prepareRecord gave beside each record's text, in seq order: the batch's `records[i]` is
 * record i's canonical JSON (canonicalRecordJson of the normalised record, chainId and seq
 * included) with an empty `prevHash`, whose value goes at `cuts[i]`; `columns` holds each
 * record's PREPARED_COLUMNS, one after the other (PREPARED_COLUMNS.length values per record),
 * for the store's indexes.
 */
export interface PreparedRecords {
  cuts: number[];
  columns: PreparedColumn[];
}

/** What a store keeps beside a record, in the order PreparedRecords.columns holds them (see IndexedColumns). */
export const PREPARED_COLUMNS = ['seq', 'id', 'timeMs', 'productId', 'developerId', 'org', 'decision', 'operationName', 'errorCodes', 'clientDigests'] as const;
/** A column value: lists (errorCodes, clientDigests) are null when empty. */
export type PreparedColumn = string | number | null | string[];
const STRIDE = PREPARED_COLUMNS.length;

/** One record, prepared by the writer on the event loop (see prepareRecord). */
export interface PreparedRecord {
  text: string;
  cut: number;
  /** PREPARED_COLUMNS, in order. */
  columns: PreparedColumn[];
}

/** Links and hashes a batch's records: pure, the same for every store and thread. */
export function chainBatch(batch: ChainBatch): ChainedAccessRecord[] {
  if (batch.prepared) return chainPrepared(batch).stored.map((text) => JSON.parse(text) as ChainedAccessRecord);
  const out: ChainedAccessRecord[] = new Array(batch.records.length);
  let prevHash = batch.head.hash;
  for (let i = 0; i < batch.records.length; i++) {
    const chained = linkRecord(JSON.parse(batch.records[i]!) as Record<string, unknown>, batch.chainId, batch.head.seq + 1 + i, prevHash, batch.key);
    prevHash = chained.hash;
    out[i] = chained;
  }
  return out;
}

/**
 * Links and hashes a prepared batch without parsing it: each record's hash is the HMAC of its
 * canonical text with the previous hash put in, and what a store keeps (`stored`) is that text
 * with `"hash"` added last, the ChainedAccessRecord as JSON. Throws when the batch does not
 * continue its head (a record prepared for another chain or seq): a programming error.
 */
export function chainPrepared(batch: ChainBatch): { stored: string[]; hashes: string[] } {
  const texts = batch.records;
  const { cuts, columns } = batch.prepared!;
  if (cuts.length !== texts.length || columns.length !== texts.length * STRIDE) throw new Error('chainPrepared: texts, cuts and columns do not match');
  const opening = `{"chainId":${JSON.stringify(batch.chainId)},`;
  const stored: string[] = new Array(texts.length);
  const hashes: string[] = new Array(texts.length);
  let prevHash = batch.head.hash;
  for (let i = 0; i < texts.length; i++) {
    const text = texts[i]!;
    const cut = cuts[i]!;
    if (columns[i * STRIDE] !== batch.head.seq + 1 + i || !text.startsWith(opening) || text.charCodeAt(cut) !== 34 /* " */ || text.charCodeAt(cut - 1) !== 34) {
      throw new Error(`chainPrepared: record ${i} of the batch was not prepared for ${batch.chainId}#${batch.head.seq + 1 + i}`);
    }
    const full = text.slice(0, cut) + prevHash + text.slice(cut);
    const hash = digestOf(full, batch.key);
    stored[i] = `${full.slice(0, -1)},"hash":"${hash}"}`;
    hashes[i] = hash;
    prevHash = hash;
  }
  return { stored, hashes };
}

const LIST_FIELD_NAMES = ['roles', 'coordinates', 'services', 'clientDigests', 'errorCodes', 'subgraphs'] as const;

function isStringList(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const v of value) if (typeof v !== 'string') return false;
  return true;
}

/**
 * A record's facts as the JSON text a ChainBatch carries, or a CanonicalJsonError when the record
 * could not be hashed as it is. JSON.stringify would silently turn a non-finite number into null,
 * so the numbers are checked first (a hash must never cover something the caller did not mean),
 * and shapes normalizeForHash cannot take are refused here, one record at a time, rather than
 * failing a whole batch where it is chained.
 */
export function chainableFacts(record: AccessRecord): string {
  checkHashable(record);
  return JSON.stringify(record);
}

/**
 * Throws a CanonicalJsonError for a record that could not be hashed as it is (see chainableFacts),
 * and makes its strings well-formed Unicode in place (the writer owns the record).
 */
function checkHashable(record: AccessRecord): void {
  if (!Number.isFinite(record.httpStatus) || !Number.isFinite(record.latencyMs)) throw new CanonicalJsonError('httpStatus and latencyMs must be finite numbers');
  for (const field of LIST_FIELD_NAMES) {
    if (!isStringList(record[field])) throw new CanonicalJsonError(`${field} must be a list of strings`);
  }
  if (!Array.isArray(record.reasons)) throw new CanonicalJsonError('reasons must be a list of objects');
  for (const r of record.reasons) if (r === null || typeof r !== 'object') throw new CanonicalJsonError('reasons must be a list of objects');
  for (const field of OPTIONAL_HASHED_FIELDS) if (record[field] != null) canonicalJson(record[field]); // throws on what JSON would not keep
  try {
    wellFormed(record);
  } catch (err) {
    // A frozen list or object holding a lone surrogate cannot be mended in place (the writer
    // returns this very record as the one committed): refused like any record JSON cannot keep.
    if (err instanceof TypeError) throw new CanonicalJsonError(`a read-only part of the record holds a lone surrogate (${err.message})`);
    throw err;
  }
}

/**
 * A lone UTF-16 surrogate (a subgraph's error code, a token claim: JSON lets either carry one)
 * has no UTF-8 form: SQLite's text columns and BSON both keep U+FFFD in its place. Hashed and
 * stored as it came, the record's index copies (and, on MongoDB, its fields) would differ from
 * the record, and the verifier would report a record nobody touched. So it becomes U+FFFD here,
 * before it is hashed. One-byte strings (nearly all) are well-formed at a glance.
 */
function wellFormed(record: AccessRecord): void {
  const r = record as unknown as Record<string, unknown>;
  for (const field of SCALAR_FIELDS) {
    const v = r[field];
    if (typeof v === 'string' && !v.isWellFormed()) r[field] = v.toWellFormed();
  }
  for (const field of LIST_FIELD_NAMES) {
    const list = record[field];
    for (let i = 0; i < list.length; i++) if (!list[i]!.isWellFormed()) list[i] = list[i]!.toWellFormed();
  }
  for (const reason of record.reasons) wellFormedFields(reason as unknown as Record<string, unknown>);
  if (Array.isArray(record.changes)) for (const change of record.changes) if (change !== null && typeof change === 'object') wellFormedFields(change as unknown as Record<string, unknown>);
  if (record.manifest !== null && typeof record.manifest === 'object') wellFormedFields(record.manifest as unknown as Record<string, unknown>);
  for (const field of ['traceId', 'dpopJkt', 'issuer'] as const) {
    const v = r[field];
    if (typeof v === 'string' && !v.isWellFormed()) r[field] = v.toWellFormed();
  }
}

/** wellFormed for a nested object, all the way down, keys included (canonicalRecordJson keeps unexpected shapes whole). */
function wellFormedFields(value: Record<string, unknown>): void {
  for (const key of Object.keys(value)) {
    const v = value[key];
    let next = v;
    if (typeof v === 'string') next = v.isWellFormed() ? v : v.toWellFormed();
    else if (v !== null && typeof v === 'object') wellFormedFields(v as Record<string, unknown>);
    if (!key.isWellFormed()) {
      const mended = key.toWellFormed();
      // Two keys that become one would silently drop a value: refuse the record instead.
      if (Object.hasOwn(value, mended)) throw new CanonicalJsonError(`two keys of a record object are the same once lone surrogates become U+FFFD (${JSON.stringify(mended)})`);
      delete value[key];
      value[mended] = next;
    } else if (next !== v) value[key] = next;
  }
}

const isPrimitive = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const isNullableString = (v: unknown): boolean => v == null || typeof v === 'string';
const keysWithin = (value: object, allowed: ReadonlySet<string>): boolean => Object.keys(value).every((k) => allowed.has(k));
const CHANGE_KEYS = new Set(['coordinate', 'reason', 'ticket']);
/** A list column as PreparedColumn has it: null when empty. */
const orNull = (list: string[]): string[] | null => (list.length === 0 ? null : list);
const SCALAR_FIELDS = ['id', 'time', 'requestId', 'instanceId', 'productId', 'productVersion', 'developerId', 'sub', 'org', 'jti', 'operationName', 'operationType', 'documentHash', 'decision', 'clientIp', 'userAgent'] as const;
/** The record's scalar fields are all null, undefined, strings, booleans or finite numbers (what JSON.stringify writes as canonicalJson does). */
function primitiveScalars(r: AccessRecord): boolean {
  for (const field of SCALAR_FIELDS) {
    const v = r[field];
    if (v !== undefined && v !== null && typeof v !== 'string' && !isPrimitive(v)) return false;
  }
  return true;
}
const MANIFEST_KEYS = new Set(['entry', 'mode', 'version']);

/**
 * A record as the writer sends it to be chained (ChainBatch.prepared), built on the event loop
 * once: its canonical text with chainId and seq already in (the writer numbers records as they
 * arrive) and prevHash left empty, the only value not known until the previous record is hashed.
 * Throws a CanonicalJsonError, as chainableFacts does, for a record that could not be hashed as
 * it is, and for one whose `time` is not a date-time or whose `id` or `decision` is missing (it
 * could not be stored).
 *
 * The text is JSON.stringify of the normalised record laid out in canonical key order, which is
 * exactly canonicalRecordJson when every value is a primitive or a list of strings and the few
 * nested objects have the shapes the gateway writes (rebuilt here with sorted keys); anything
 * else takes canonicalRecordJson itself. A unit test holds the two together.
 */
export function prepareRecord(record: AccessRecord, chainId: string, seq: number): PreparedRecord {
  checkHashable(record);
  const r = record;
  // The store's indexed copies, as the verifier recomputes them from the stored record.
  const indexed = indexedColumnsAt(r, seq);
  if (Number.isNaN(indexed.timeMs)) throw new CanonicalJsonError('time must be an ISO date-time');
  // Stored in NOT NULL columns: refused here, one record, rather than failing a whole batch where it is committed.
  if (typeof r.id !== 'string' || typeof r.decision !== 'string') throw new CanonicalJsonError('id and decision must be strings');
  // The lists are checked lists of strings (checkHashable) and the writer owns the record: no copies.
  const { roles, coordinates, services, clientDigests, errorCodes, subgraphs } = r;
  let fast = isNullableString(r.traceId) && isNullableString(r.dpopJkt) && isNullableString(r.issuer) && primitiveScalars(r);
  for (let i = 0; fast && i < r.reasons.length; i++) fast = typeof r.reasons[i]!.code === 'string' && isNullableString(r.reasons[i]!.coordinate);
  let changes: AccessRecord['changes'] | undefined;
  if (fast && r.changes != null) {
    if (Array.isArray(r.changes) && r.changes.every((c) => c !== null && typeof c === 'object' && keysWithin(c, CHANGE_KEYS) && isNullableString(c.coordinate) && isNullableString(c.reason) && isNullableString(c.ticket))) {
      changes = r.changes.map((c) => ({ coordinate: c.coordinate, reason: c.reason, ticket: c.ticket }));
    } else fast = false;
  }
  let manifest: AccessRecord['manifest'] | undefined;
  if (fast && r.manifest != null) {
    const m = r.manifest;
    if (typeof m === 'object' && !Array.isArray(m) && keysWithin(m, MANIFEST_KEYS) && isNullableString(m.entry) && isNullableString(m.mode) && (m.version == null || isPrimitive(m.version))) {
      manifest = { entry: m.entry, mode: m.mode, version: m.version };
    } else fast = false;
  }
  let text: string;
  let cut: number;
  if (fast) {
    // Canonical key order (SORTED_FIELDS); optional fields absent are undefined, which JSON.stringify leaves out as canonicalJson does.
    text = JSON.stringify({
      chainId, changes, clientDigests, clientIp: r.clientIp ?? null, coordinates, decision: r.decision ?? null, developerId: r.developerId ?? null,
      documentHash: r.documentHash ?? null, dpopJkt: r.dpopJkt ?? undefined, errorCodes, httpStatus: r.httpStatus ?? null, id: r.id ?? null,
      instanceId: r.instanceId ?? null, issuer: r.issuer ?? undefined, jti: r.jti ?? null, latencyMs: r.latencyMs ?? null, manifest, operationName: r.operationName ?? null,
      operationType: r.operationType ?? null, org: r.org ?? null, prevHash: '', productId: r.productId ?? null, productVersion: r.productVersion ?? null,
      reasons: r.reasons.map((x) => ({ code: x.code, coordinate: x.coordinate ?? null })), requestId: r.requestId ?? null, roles, seq, services,
      sub: r.sub ?? null, subgraphs, time: r.time ?? null, traceId: r.traceId ?? undefined, userAgent: r.userAgent ?? null,
    });
    // Every nested object above has known keys, and a quote inside a string is escaped: this is the top-level key.
    cut = text.indexOf(',"prevHash":""') + 13;
  } else {
    ({ text, cut } = canonicalRecordParts(normalizeForHash({ ...(record as unknown as UnhashedRecord), chainId, seq, prevHash: '' })));
  }
  return {
    text,
    cut,
    columns: [seq, r.id, indexed.timeMs, indexed.productId, indexed.developerId, indexed.org, indexed.decision, indexed.operationName, orNull(indexed.errorCodes), orNull(indexed.clientDigests)],
  };
}
