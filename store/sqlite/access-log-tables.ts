/**
 * The access log in SQLite.
 *
 * Tables (tamper tests and the verifier's documentation rely on these names):
 * - `access_records`: one row per record. `record` (TEXT) holds the ChainedAccessRecord JSON
 *   exactly as it was chained; the chain hash is computed over that record, and `readChain`
 *   returns it parsed, unmodified. Rows the writer appends since issue 18 hold the canonical text
 *   the hash was computed over (keys sorted) with `"hash"` added last; older rows hold the same
 *   fields in HASHED_FIELDS order. Both verify alike: the verifier normalises before hashing. `chain_id` + `seq` (UNIQUE) place it in its
 *   chain; `id` is the row id. `time_ms`, `product_id`, `developer_id`, `org`, `decision`,
 *   `operation_name` are derived copies used only for filtering and ordering.
 * - `access_record_codes (record_rowid, code)` and `access_record_clients (record_rowid, digest)`:
 *   the record's error codes and client digests, for indexed filtering; rows cascade on delete.
 * - `chain_heads`: last seq / hash per chain; `checkpoints`: signed checkpoints.
 * - `access_staged`: lone records the event loop committed (with the chain head) but not yet
 *   moved into `access_records` (access-log-writes.ts, stageToChain / foldStaged). The store
 *   folds them before each of the reads below (sqlite-store.ts), so what a reader sees is the
 *   whole log.
 *
 * Altering `record` in place, deleting a row or swapping two rows' `record` values is exactly
 * what the verifier must detect (tamper tests do it with plain SQL).
 */
import type Database from 'better-sqlite3';
import { isUtf8 } from 'node:buffer';
import { isStoredText } from '../../audit/chain.js';
import { printable } from '../../audit/sanitize.js';
import { storedChainIdLabel, UNPLACED_SAMPLES, type ChainEnding, type ChainHashAlg, type ChainHead, type ChainedAccessRecord, type Checkpoint, type IndexedColumns, type LedgerEntry, type UnplacedRows } from '../../audit/record.js';
import { StoreConflictError } from '../../core/store-errors.js';
import { SqliteAccessLogWrites } from './access-log-writes.js';
import { parsedRecord } from './access-log-queries.js';


interface HeadRow {
  chain_id: string;
  instance_id: string;
  started_at: string;
  last_seq: number;
  last_hash: string;
  updated_at: string;
}

interface CheckpointRow {
  chain_id: string;
  seq: number;
  hash: string;
  time: string;
  signature: string;
  n: number | null;
  final: number | null;
}

interface LedgerRow {
  seq: number;
  kind: LedgerEntry['kind'];
  chain_id: string;
  instance_id: string;
  time: string;
  hash_alg: ChainHashAlg | null;
  ending: string | null;
  prev_hash: string;
  hash: string;
  signature: string;
}

interface IndexRow {
  id: string;
  seq: number;
  time_ms: number;
  product_id: string | null;
  developer_id: string | null;
  org: string | null;
  decision: string;
  operation_name: string | null;
  invalid_text: string | null;
  record: unknown;
}

/**
 * SQL function `dsp_invalid_text(name, bytes, name, bytes, …)`: the names whose bytes (a text
 * column CAST AS BLOB; NULL for SQL NULL) are not well-formed UTF-8, comma-separated, or NULL.
 * better-sqlite3 reads malformed text as U+FFFD, so only the bytes tell such a copy apart.
 */
function registerTextCheck(db: Database.Database): void {
  db.function('dsp_invalid_text', { deterministic: true, varargs: true }, (...args: unknown[]) => {
    const bad: string[] = [];
    for (let i = 0; i + 1 < args.length; i += 2) {
      const bytes = args[i + 1];
      if (bytes !== null && !(Buffer.isBuffer(bytes) && isUtf8(bytes))) bad.push(String(args[i]));
    }
    return bad.length ? bad.join(',') : null;
  });
  // One call per row for the common case: the row's text columns joined by NUL bytes are
  // well-formed exactly when each is (a NUL never completes a multi-byte sequence).
  db.function('dsp_utf8', { deterministic: true }, (bytes: unknown) => (Buffer.isBuffer(bytes) && isUtf8(bytes) ? 1 : 0));
}

/**
 * Why a stored record text is not the text the gateway writes for the record it parses to, or
 * null. The hash covers the normalised record, not the text, so another text of the same record
 * verifies, yet SQL, which the sub/jti/clientIp/httpStatus/role/coordinate filters use, reads it
 * otherwise: json_extract takes the first of two repeated keys where JSON.parse takes the last;
 * SQLite reads a number spelled with more digits than a double holds otherwise than JavaScript
 * (`199.99999999999998579`: 200 to the hash, below 200 to a filter); an empty list written as
 * `false`, a field left out or added, or a key hidden in a reason, nested past SQLite's JSON depth
 * limit, all hash the same. So the text must be exactly the writer's (isStoredText).
 */
export function storedTextProblem(text: unknown): string | null {
  if (typeof text !== 'string') return null; // a blob: reported as malformed text (INDEX_TEXT_CHECK)
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return 'the stored record text is not JSON';
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return 'the stored record text is not a JSON object';
  const seq = (parsed as { seq?: unknown }).seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return `the stored record's own seq is ${seq === undefined ? 'absent' : printable(String(JSON.stringify(seq)).slice(0, 80))}, which is no position in a chain (a whole number from 1 to 2^53 − 1)`;
  let stored: boolean;
  try {
    stored = isStoredText(text, parsed as ChainedAccessRecord);
  } catch {
    return 'the stored record text cannot be written out again (a value nested too deeply)';
  }
  if (!stored) return 'the stored record text is not the text the gateway writes for the record it holds (a field added, left out or of another type, keys in another order, a repeated key, or a number or string written another way): filters read it otherwise than the hash';
  return null;
}


/** A text column's bytes for dsp_invalid_text: a record that is not stored as text at all (a blob is read as JSONB by json_extract) counts as malformed. */
const textBytes = (column: string, mustBeText = false) => (mustBeText ? `CASE WHEN typeof(${column}) = 'text' THEN CAST(${column} AS BLOB) ELSE X'FF' END` : `CAST(${column} AS BLOB)`);

const INDEX_TEXT_PAIRS: Array<[string, string]> = [
  ['productId', textBytes('product_id')],
  ['developerId', textBytes('developer_id')],
  ['org', textBytes('org')],
  ['decision', textBytes('decision')],
  ['operationName', textBytes('operation_name')],
  ['record', textBytes('record', true)],
];

/** NULL when every text column of the row is well-formed; else the names of those that are not (one joined check first, the detailed one only when it fails). */
const INDEX_TEXT_CHECK = `CASE WHEN dsp_utf8(CAST(${INDEX_TEXT_PAIRS.map(([, bytes]) => `coalesce(${bytes}, X'')`).join(" || X'00' || ")} AS BLOB)) THEN NULL ELSE dsp_invalid_text(${INDEX_TEXT_PAIRS.map(([name, bytes]) => `'${name}', ${bytes}`).join(', ')}) END`;


/** A head row; its text columns as labels when they hold something else (only a hand-made row does: a blob would fail the API's String fields). */
const toHead = (r: HeadRow): ChainHead => ({ chainId: storedChainIdLabel(r.chain_id), instanceId: storedChainIdLabel(r.instance_id), startedAt: storedChainIdLabel(r.started_at), lastSeq: r.last_seq, lastHash: storedChainIdLabel(r.last_hash), updatedAt: storedChainIdLabel(r.updated_at) });
const toCheckpoint = (r: CheckpointRow): Checkpoint => ({ chainId: r.chain_id, seq: r.seq, hash: r.hash, time: r.time, ...(r.n === null ? {} : { n: r.n, final: r.final === 1 }), signature: r.signature });
/** A ledger entry's ending; text that is not JSON is kept as it is, which no signed entry holds (its hash then fails: ALTERED), instead of failing the whole verification. */
function endingOf(text: string): ChainEnding {
  try {
    return JSON.parse(text) as ChainEnding;
  } catch {
    return text as unknown as ChainEnding;
  }
}

const toLedgerEntry = (r: LedgerRow): LedgerEntry => ({
  seq: r.seq,
  kind: r.kind,
  chainId: r.chain_id,
  instanceId: r.instance_id,
  time: r.time,
  hashAlg: r.hash_alg,
  ending: r.ending === null ? null : endingOf(r.ending),
  prevHash: r.prev_hash,
  hash: r.hash,
  signature: r.signature,
});

export class SqliteAccessLog {
  private readonly s;

  /** Appends, checkpoints and chain heads: the part the write thread also runs on its own connection. */
  readonly writes: SqliteAccessLogWrites;

  constructor(private readonly db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.writes = new SqliteAccessLogWrites(db);
    registerTextCheck(db);
    this.s = {
      readChain: p("SELECT record FROM access_records WHERE chain_id = ? AND seq BETWEEN ? AND ? AND typeof(seq) = 'integer' ORDER BY seq").pluck(),
      readChainUpTo: p("SELECT record FROM access_records WHERE chain_id = ? AND seq BETWEEN ? AND ? AND typeof(seq) = 'integer' ORDER BY seq LIMIT ?").pluck(),
      listChains: p('SELECT * FROM chain_heads ORDER BY started_at, chain_id'),
      checkpointsOf: p('SELECT chain_id, seq, hash, time, signature, n, final FROM checkpoints WHERE chain_id = ? ORDER BY seq, time, id'),
      readLedger: p('SELECT * FROM chain_ledger ORDER BY seq'),
      appendLedger: p(`INSERT INTO chain_ledger (seq, kind, chain_id, instance_id, time, hash_alg, ending, prev_hash, hash, signature)
        VALUES (@seq, @kind, @chainId, @instanceId, @time, @hashAlg, @ending, @prevHash, @hash, @signature) ON CONFLICT (seq) DO NOTHING`),
      chainIds: p('SELECT chain_id FROM access_records UNION SELECT chain_id FROM checkpoints UNION SELECT chain_id FROM chain_heads').pluck(),
      // The record text too, to compare with the text the gateway writes (storedTextProblem).
      // Code and client rows are grouped by the id of the record they join, as filters match
      // them: a record_rowid stored as 2.0 joins record 2 and must be judged with it.
      indexRows: p(`SELECT CAST(id AS TEXT) AS id, seq, time_ms, product_id, developer_id, org, decision, operation_name, ${INDEX_TEXT_CHECK} AS invalid_text, record
        FROM access_records WHERE chain_id = ? AND seq BETWEEN ? AND ? AND typeof(seq) = 'integer' ORDER BY seq`),
      codesOf: p(`SELECT CAST(r.id AS TEXT) AS id, c.code AS value, dsp_invalid_text('errorCodes', ${textBytes('c.code')}) AS invalid_text FROM access_record_codes c JOIN access_records r ON r.id = c.record_rowid WHERE r.chain_id = ? AND r.seq BETWEEN ? AND ? AND typeof(r.seq) = 'integer'`),
      clientsOf: p(`SELECT CAST(r.id AS TEXT) AS id, c.digest AS value, dsp_invalid_text('clientDigests', ${textBytes('c.digest')}) AS invalid_text FROM access_record_clients c JOIN access_records r ON r.id = c.record_rowid WHERE r.chain_id = ? AND r.seq BETWEEN ? AND ? AND typeof(r.seq) = 'integer'`),
      // Any seq that is not an integer (a fraction such as 10000.5 falls between two read windows),
      // below 1 or past where reading stopped. The typeof test scans the chain's entries of the
      // (chain_id, seq) index, which holds seq: no table row is read.
      unplacedCount: p("SELECT count(*) FROM access_records WHERE chain_id = ? AND (typeof(seq) <> 'integer' OR seq < 1 OR seq > ?)").pluck(),
      unplaced: p(`SELECT substr(quote(seq), 1, 80) AS shown, CASE WHEN typeof(seq) = 'integer' AND seq BETWEEN 1 AND ${Number.MAX_SAFE_INTEGER} THEN seq END AS at
        FROM access_records WHERE chain_id = ? AND (typeof(seq) <> 'integer' OR seq < 1 OR seq > ?) ORDER BY seq LIMIT ${UNPLACED_SAMPLES}`),
      // Numbers sort before text in the index: the first numeric entry past the seq is the next one stored.
      nextSeq: p("SELECT seq FROM access_records WHERE chain_id = ? AND seq > ? AND typeof(seq) IN ('integer', 'real') ORDER BY seq LIMIT 1").pluck(),
    };
  }

  listChains(): ChainHead[] {
    return (this.s.listChains.all() as HeadRow[]).map(toHead);
  }

  checkpointsOf(chainId: string): Checkpoint[] {
    return (this.s.checkpointsOf.all(chainId) as CheckpointRow[]).map(toCheckpoint);
  }

  readLedger(): LedgerEntry[] {
    return (this.s.readLedger.all() as LedgerRow[]).map(toLedgerEntry);
  }

  /** Appends one ledger entry; another writer already holding its seq is a conflict (re-read and retry). */
  appendLedgerEntry(entry: LedgerEntry, opens?: ChainHead): void {
    this.db.transaction(() => {
      const result = this.s.appendLedger.run({ ...entry, ending: entry.ending ? JSON.stringify(entry.ending) : null });
      if (result.changes === 0) throw new StoreConflictError('LEDGER', String(entry.seq), entry.seq - 1, null);
      // The chain an OPEN announces, in the same transaction: never one without the other.
      if (opens) this.writes.openChain(opens);
    })();
  }

  /** Chain ids as stored; one of another type than text (only a hand-made row has one) as a label (storedChainIdLabel). */
  chainIdsWithData(): string[] {
    return [...new Set((this.s.chainIds.all() as unknown[]).map(storedChainIdLabel))];
  }

  nextStoredSeq(chainId: string, afterSeq: number): number | null {
    return (this.s.nextSeq.get(chainId, afterSeq) as number | undefined) ?? null;
  }

  unplacedRecords(chainId: string, beyondSeq: number): UnplacedRows {
    const count = this.s.unplacedCount.get(chainId, beyondSeq) as number;
    return { count, samples: count ? (this.s.unplaced.all(chainId, beyondSeq) as UnplacedRows['samples']) : [] };
  }

  indexedColumnsOf(chainId: string, fromSeq: number, toSeq: number): IndexedColumns[] {
    const rows = this.s.indexRows.all(chainId, fromSeq, toSeq) as IndexRow[];
    // Row ids as text: one past 2^53 would be rounded as a number, and two could meet in one key.
    const invalid = new Map<string, string[]>();
    const flag = (id: string, names: string) => invalid.set(id, [...(invalid.get(id) ?? []), ...names.split(',')]);
    const listsOf = (statement: Database.Statement) => {
      const lists = new Map<string, string[]>();
      for (const { id, value, invalid_text } of statement.all(chainId, fromSeq, toSeq) as Array<{ id: string; value: string; invalid_text: string | null }>) {
        const list = lists.get(id);
        if (list) list.push(value);
        else lists.set(id, [value]);
        if (invalid_text !== null && !invalid.get(id)?.includes(invalid_text)) flag(id, invalid_text);
      }
      return lists;
    };
    const codes = listsOf(this.s.codesOf);
    const clients = listsOf(this.s.clientsOf);
    return rows.map((r) => {
      if (r.invalid_text !== null) flag(r.id, r.invalid_text);
      const invalidText = invalid.get(r.id);
      const storedForm = storedTextProblem(r.record);
      return {
        seq: r.seq,
        timeMs: r.time_ms,
        productId: r.product_id,
        developerId: r.developer_id,
        org: r.org,
        decision: r.decision,
        operationName: r.operation_name,
        errorCodes: (codes.get(r.id) ?? []).sort(),
        clientDigests: (clients.get(r.id) ?? []).sort(),
        ...(invalidText ? { invalidText } : {}),
        ...(storedForm ? { storedForm } : {}),
      };
    });
  }

  /** A row whose text is not a JSON object (only a hand-made one) is left out: indexedColumnsOf reports it at its seq (storedForm), so verification still accounts for it. */
  readChain(chainId: string, fromSeq: number, toSeq: number, limit?: number): ChainedAccessRecord[] {
    const records: ChainedAccessRecord[] = [];
    const rows = limit === undefined ? this.s.readChain.all(chainId, fromSeq, toSeq) : this.s.readChainUpTo.all(chainId, fromSeq, toSeq, Math.max(0, Math.floor(limit)));
    for (const json of rows as unknown[]) {
      const record = parsedRecord(json);
      if (record) records.push(record);
    }
    return records;
  }

}
