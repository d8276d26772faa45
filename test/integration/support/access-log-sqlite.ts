/**
 * Direct access to a SQLite store file, the way someone with disk access would tamper with the
 * access log: plain better-sqlite3 on `access_records` (layout: store/sqlite/access-log-tables.ts),
 * after folding what waits in `access_staged` (tampering with a staged row: sqlite-store.test.ts).
 */
import Database from 'better-sqlite3';
import { copyFileSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainedAccessRecord } from '../../../audit/record.js';
import { SqliteAccessLogWrites } from '../../../store/sqlite/access-log-writes.js';

export const DB_FILE = 'dsp.db';

/** Opens the file as a tamperer would, with the records the event loop staged folded into access_records first (as every store read does). */
function withDb<T>(path: string, use: (db: Database.Database) => T): T {
  const db = new Database(path, { fileMustExist: true, timeout: 5000 });
  try {
    db.pragma('foreign_keys = ON');
    new SqliteAccessLogWrites(db).foldStaged();
    return use(db);
  } finally {
    db.close();
  }
}

/** Moves every committed page from the -wal file into the database file, so the file alone is the whole store. */
export function checkpointWal(dbPath: string): void {
  withDb(dbPath, (db) => {
    const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (result && result.busy !== 0) throw new Error(`wal_checkpoint: database busy (${JSON.stringify(result)})`);
  });
}

/**
 * A fresh data directory holding a copy of `sourceDir`'s keys (so the copy's checkpoints verify
 * against the same gateway key) and of its database file, taken after a WAL checkpoint.
 */
export function copyDataDir(sourceDir: string, prefix = 'dsp-access-log-copy-'): string {
  checkpointWal(join(sourceDir, DB_FILE));
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(sourceDir, 'keys'), join(dir, 'keys'), { recursive: true });
  copyFileSync(join(sourceDir, DB_FILE), join(dir, DB_FILE));
  return dir;
}

/** The `record` column of one row, parsed. */
export function storedRecord(dbPath: string, chainId: string, seq: number): ChainedAccessRecord {
  return withDb(dbPath, (db) => {
    const json = db.prepare('SELECT record FROM access_records WHERE chain_id = ? AND seq = ?').pluck().get(chainId, seq) as string | undefined;
    if (json === undefined) throw new Error(`no access record ${chainId}#${seq}`);
    return JSON.parse(json) as ChainedAccessRecord;
  });
}

/** Rewrites one field inside one row's `record` JSON, leaving its stored hash as it was. */
export function alterRecordField(dbPath: string, chainId: string, seq: number, field: keyof ChainedAccessRecord, value: unknown): void {
  withDb(dbPath, (db) => {
    const json = db.prepare('SELECT record FROM access_records WHERE chain_id = ? AND seq = ?').pluck().get(chainId, seq) as string | undefined;
    if (json === undefined) throw new Error(`no access record ${chainId}#${seq}`);
    const record = JSON.parse(json) as Record<string, unknown>;
    if (record[field] === value) throw new Error(`alterRecordField: ${String(field)} already has that value`);
    record[field] = value;
    const changed = db.prepare('UPDATE access_records SET record = ? WHERE chain_id = ? AND seq = ?').run(JSON.stringify(record), chainId, seq).changes;
    if (changed !== 1) throw new Error('alterRecordField: no row updated');
  });
}

/** Replaces one row's stored record text as it is (text that is not a record at all, say). */
export function replaceRecordText(dbPath: string, chainId: string, seq: number, text: string): void {
  withDb(dbPath, (db) => {
    const changed = db.prepare('UPDATE access_records SET record = ? WHERE chain_id = ? AND seq = ?').run(text, chainId, seq).changes;
    if (changed !== 1) throw new Error('replaceRecordText: no row updated');
  });
}

/** Deletes one row (its codes and client digests cascade). */
export function deleteRecord(dbPath: string, chainId: string, seq: number): void {
  withDb(dbPath, (db) => {
    const changed = db.prepare('DELETE FROM access_records WHERE chain_id = ? AND seq = ?').run(chainId, seq).changes;
    if (changed !== 1) throw new Error('deleteRecord: no row deleted');
  });
}

/** Swaps the `record` contents of two rows of one chain (each row keeps its seq column). */
export function swapRecords(dbPath: string, chainId: string, seqA: number, seqB: number): void {
  withDb(dbPath, (db) => {
    const read = db.prepare('SELECT record FROM access_records WHERE chain_id = ? AND seq = ?').pluck();
    const write = db.prepare('UPDATE access_records SET record = ? WHERE chain_id = ? AND seq = ?');
    db.transaction(() => {
      const a = read.get(chainId, seqA) as string | undefined;
      const b = read.get(chainId, seqB) as string | undefined;
      if (a === undefined || b === undefined) throw new Error('swapRecords: missing row');
      write.run(b, chainId, seqA);
      write.run(a, chainId, seqB);
    })();
  });
}

/** Records of one chain as stored (seq order). */
export function chainRows(dbPath: string, chainId: string): ChainedAccessRecord[] {
  return withDb(dbPath, (db) => (db.prepare('SELECT record FROM access_records WHERE chain_id = ? ORDER BY seq').pluck().all(chainId) as string[]).map((j) => JSON.parse(j) as ChainedAccessRecord));
}

/** Changes one filter column of one row (the record JSON and its hash stay as they were). */
export function alterColumn(dbPath: string, chainId: string, seq: number, column: 'decision' | 'org' | 'product_id' | 'time_ms', value: string | number | null): void {
  withDb(dbPath, (db) => {
    const changed = db.prepare(`UPDATE access_records SET ${column} = ? WHERE chain_id = ? AND seq = ?`).run(value, chainId, seq).changes;
    if (changed !== 1) throw new Error('alterColumn: no row updated');
  });
}

/**
 * Appends a forged record after the chain's last one, with a correct plain SHA-256 hash (what a
 * forger without the audit key can compute), and advances the chain head to it.
 */
export function appendForgedRecord(dbPath: string, chainId: string, hashOf: (record: Omit<ChainedAccessRecord, 'hash'>) => string): number {
  return withDb(dbPath, (db) => {
    const last = JSON.parse(db.prepare('SELECT record FROM access_records WHERE chain_id = ? ORDER BY seq DESC LIMIT 1').pluck().get(chainId) as string) as ChainedAccessRecord;
    const { hash: _h, ...rest } = last;
    const forged = { ...rest, id: `${last.id}F`, requestId: 'forged', seq: last.seq + 1, prevHash: last.hash, decision: 'ALLOWED' as const };
    const record: ChainedAccessRecord = { ...forged, hash: hashOf(forged) };
    db.prepare(`INSERT INTO access_records (chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      chainId, record.seq, record.id, Date.parse(record.time), record.productId, record.developerId, record.org, record.decision, record.operationName, JSON.stringify(record),
    );
    db.prepare('UPDATE chain_heads SET last_seq = ?, last_hash = ? WHERE chain_id = ?').run(record.seq, record.hash, chainId);
    return record.seq;
  });
}

/** Deletes every record after `keep` and rewrites the head to end at `keep`, with its true hash. */
export function cutTailRewriteHead(dbPath: string, chainId: string, keep: number): void {
  withDb(dbPath, (db) => {
    db.prepare('DELETE FROM access_records WHERE chain_id = ? AND seq > ?').run(chainId, keep);
    const hash = (JSON.parse(db.prepare('SELECT record FROM access_records WHERE chain_id = ? AND seq = ?').pluck().get(chainId, keep) as string) as ChainedAccessRecord).hash;
    db.prepare('UPDATE chain_heads SET last_seq = ?, last_hash = ? WHERE chain_id = ?').run(keep, hash, chainId);
  });
}

/** Deletes every record after `keep`, every checkpoint covering more than `keep`, and the chain head. */
export function deleteTailCheckpointsAndHead(dbPath: string, chainId: string, keep: number): void {
  withDb(dbPath, (db) => {
    db.prepare('DELETE FROM access_records WHERE chain_id = ? AND seq > ?').run(chainId, keep);
    db.prepare('DELETE FROM checkpoints WHERE chain_id = ? AND seq > ?').run(chainId, keep);
    db.prepare('DELETE FROM chain_heads WHERE chain_id = ?').run(chainId);
  });
}

/** Deletes a whole chain: its records, checkpoints and head. */
export function deleteChain(dbPath: string, chainId: string): void {
  withDb(dbPath, (db) => {
    for (const table of ['access_records', 'checkpoints', 'chain_heads']) db.prepare(`DELETE FROM ${table} WHERE chain_id = ?`).run(chainId);
  });
}

/** Deletes the checkpoint numbered `n`; returns the seq it covered. */
export function deleteCheckpoint(dbPath: string, chainId: string, n: number): void {
  withDb(dbPath, (db) => {
    const changed = db.prepare('DELETE FROM checkpoints WHERE chain_id = ? AND n = ?').run(chainId, n).changes;
    if (changed !== 1) throw new Error('deleteCheckpoint: no checkpoint deleted');
  });
}

/** The chain's checkpoints as stored: seq and number. */
export function checkpointRows(dbPath: string, chainId: string): Array<{ seq: number; n: number | null; final: number | null }> {
  return withDb(dbPath, (db) => db.prepare('SELECT seq, n, final FROM checkpoints WHERE chain_id = ? ORDER BY n').all(chainId) as Array<{ seq: number; n: number | null; final: number | null }>);
}

/**
 * Inserts a copy of one row with the given seq and chain id, as SQL expressions over the copied
 * row (e.g. `'5b'`, a text seq; `CAST(chain_id AS BLOB)`, the chain id as a blob), its filter
 * column decision set to `decision`. No read by seq returns such a row; queries list it.
 */
export function insertRowCopy(dbPath: string, chainId: string, seq: number, at: { seqSql: string; chainSql?: string; decision?: string }): void {
  withDb(dbPath, (db) => {
    const changed = db
      .prepare(`INSERT INTO access_records (chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, record)
        SELECT ${at.chainSql ?? 'chain_id'}, ${at.seqSql}, record_id || 'F', time_ms, product_id, developer_id, org, ?, operation_name, record FROM access_records WHERE chain_id = ? AND seq = ?`)
      .run(at.decision ?? 'ALLOWED', chainId, seq).changes;
    if (changed !== 1) throw new Error('insertRowCopy: no row inserted');
  });
}

/**
 * Leaves the decision index saying FORGED_DECISION for one row whose table row (and record) say
 * what they said: the row is set to FORGED_DECISION, then set back while the index's definition
 * points at another column (writable_schema), so the index keeps the forged entry. The verifier,
 * reading the table, sees nothing; filtered queries, using the index, go wrong.
 */
export function skewDecisionIndex(dbPath: string, chainId: string, seq: number): void {
  let real = '';
  let decision = '';
  const setDecision = (db: Database.Database, value: string) => {
    if (db.prepare('UPDATE access_records SET decision = ? WHERE chain_id = ? AND seq = ?').run(value, chainId, seq).changes !== 1) throw new Error('skewDecisionIndex: no row updated');
  };
  const schema = (db: Database.Database, sql: string) => {
    db.unsafeMode(true);
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'access_records_by_decision'").run(sql);
  };
  withDb(dbPath, (db) => {
    real = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'access_records_by_decision'").pluck().get() as string;
    decision = db.prepare('SELECT decision FROM access_records WHERE chain_id = ? AND seq = ?').pluck().get(chainId, seq) as string;
    setDecision(db, 'FORGED_DECISION');
  });
  withDb(dbPath, (db) => schema(db, 'CREATE INDEX access_records_by_decision ON access_records (record_id, time_ms)'));
  withDb(dbPath, (db) => setDecision(db, decision));
  withDb(dbPath, (db) => schema(db, real));
}

/** Rewrites the chain head's last seq (a forger's claim of more records than there are). */
export function setHeadSeq(dbPath: string, chainId: string, lastSeq: number): void {
  withDb(dbPath, (db) => {
    if (db.prepare('UPDATE chain_heads SET last_seq = ? WHERE chain_id = ?').run(lastSeq, chainId).changes !== 1) throw new Error('setHeadSeq: no head updated');
  });
}
