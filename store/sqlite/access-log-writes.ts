/**
 * The write side of the SQLite access log: appending chained records (with their code and client
 * index rows and the chain head) and checkpoints, and opening chains. The table layout is
 * described in access-log-tables.ts. This module imports nothing but better-sqlite3's types and
 * the pure chain functions (audit/chain.ts), so the write thread (write-thread/worker.ts) loads it
 * without the rest of the gateway. The writer's batches come prepared (ChainBatch.prepared): the
 * thread puts each previous hash into the record's canonical text, takes one HMAC, and inserts
 * the text with the indexed values the writer sent beside it, without parsing anything.
 *
 * A lone record may instead be staged (`stageToChain`): one row in `access_staged`, which has no
 * secondary index, and the chain head, in one transaction, as durable as an append. `foldStaged`
 * moves staged rows into `access_records` with their code and client rows; the store folds
 * before every read of the access log (sqlite-store.ts), and the write thread folds behind the
 * responses.
 */
import type Database from 'better-sqlite3';
import { chainBatch, chainPrepared, PREPARED_COLUMNS, type ChainBatch, type PreparedColumn } from '../../audit/chain.js';
import { GENESIS_HASH, type ChainHead, type ChainedAccessRecord, type Checkpoint } from '../../audit/record.js';

/** A checkpoint as bound parameters (numbering and the final flag are NULL on chains from before them). */
function checkpointRow(c: Checkpoint): Record<string, string | number | null> {
  return { chainId: c.chainId, seq: c.seq, hash: c.hash, time: c.time, signature: c.signature, n: c.n ?? null, final: c.n === undefined ? null : c.final ? 1 : 0 };
}

const STRIDE = PREPARED_COLUMNS.length;

/** A batch sent to follow a chain's head at one seq found the head elsewhere; nothing was written. */
export class ChainHeadMovedError extends Error {
  override readonly name = 'ChainHeadMovedError';
  constructor(chainId: string, seq: number) {
    super(`access log: chain ${chainId} is not at seq ${seq}; the batch that follows it was not written`);
  }
}

export class SqliteAccessLogWrites {
  private readonly s;
  private readonly appendTx;
  private readonly appendPreparedTx;
  private readonly appendFollowingTx;
  private readonly stageTx;
  private readonly foldTx;

  constructor(db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      // safeIntegers: lastInsertRowid as a BigInt, exact past 2^53 (a row id SQLite may pick at
      // random once the largest is taken), for the code and client rows that point to it.
      insertRecord: p(`INSERT INTO access_records (chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, record)
        VALUES (@chainId, @seq, @recordId, @timeMs, @productId, @developerId, @org, @decision, @operationName, @record)
        ON CONFLICT (chain_id, seq) DO NOTHING`).safeIntegers(true),
      // Positional parameters: binding ten values from an object by name costs more than the insert's own work.
      insertPrepared: p(`INSERT INTO access_records (chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, record)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chain_id, seq) DO NOTHING`).safeIntegers(true),
      moveHead: p('UPDATE chain_heads SET last_seq = ?, last_hash = ?, updated_at = ? WHERE chain_id = ? AND last_seq < ?'),
      hasHead: p('SELECT 1 FROM chain_heads WHERE chain_id = ?').pluck(),
      headOf: p('SELECT last_seq AS seq, last_hash AS hash FROM chain_heads WHERE chain_id = ?'),
      // The hash of the record stored at a seq (indexed or staged): what a batch sent ahead is chained onto.
      storedHashAt: p(`SELECT json_extract(record, '$.hash') FROM access_records WHERE chain_id = ? AND seq = ?
        UNION ALL SELECT json_extract(record, '$.hash') FROM access_staged WHERE chain_id = ? AND seq = ? LIMIT 1`).pluck(),
      // Compare and set: the head moves only from exactly where the batch was chained onto.
      followHead: p('UPDATE chain_heads SET last_seq = ?, last_hash = ?, updated_at = ? WHERE chain_id = ? AND last_seq = ? AND last_hash = ?'),
      insertCode: p('INSERT OR IGNORE INTO access_record_codes (record_rowid, code) VALUES (?, ?)'),
      insertClient: p('INSERT OR IGNORE INTO access_record_clients (record_rowid, digest) VALUES (?, ?)'),
      advanceHead: p(`INSERT INTO chain_heads (chain_id, instance_id, started_at, last_seq, last_hash, updated_at)
        VALUES (@chainId, @instanceId, @startedAt, @lastSeq, @lastHash, @updatedAt)
        ON CONFLICT (chain_id) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash, updated_at = excluded.updated_at
        WHERE excluded.last_seq > chain_heads.last_seq`),
      stagePrepared: p(`INSERT INTO access_staged (chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, codes, clients, record)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (chain_id, seq) DO NOTHING`),
      anyStaged: p('SELECT EXISTS (SELECT 1 FROM access_staged)').pluck(),
      // WHERE true: an upsert after INSERT … SELECT needs it, or the parser reads ON CONFLICT as a join's ON.
      foldRecords: p(`INSERT INTO access_records (chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, record)
        SELECT chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, record FROM access_staged WHERE true ORDER BY chain_id, seq
        ON CONFLICT (chain_id, seq) DO NOTHING`),
      // A staged row whose (chain_id, seq) is stored already (a retried batch, or a forgery) is
      // dropped first, so every row left is inserted and indexed by the statements below.
      dropStoredStaged: p(`DELETE FROM access_staged WHERE EXISTS
        (SELECT 1 FROM access_records r WHERE r.chain_id = access_staged.chain_id AND r.seq = access_staged.seq)`),
      // A list that is not JSON text is skipped, not fatal: its record keeps no index rows, which
      // the verifier names, and the other rows still fold. OR IGNORE: a list may name a value twice.
      foldCodes: p(`INSERT OR IGNORE INTO access_record_codes (record_rowid, code)
        SELECT r.id, j.value FROM access_staged s JOIN access_records r ON r.chain_id = s.chain_id AND r.seq = s.seq,
        json_each(CASE WHEN typeof(s.codes) = 'text' AND json_valid(s.codes) THEN s.codes END) j`),
      foldClients: p(`INSERT OR IGNORE INTO access_record_clients (record_rowid, digest)
        SELECT r.id, j.value FROM access_staged s JOIN access_records r ON r.chain_id = s.chain_id AND r.seq = s.seq,
        json_each(CASE WHEN typeof(s.clients) = 'text' AND json_valid(s.clients) THEN s.clients END) j`),
      stagedUpTo: p('SELECT COUNT(*) FROM (SELECT 1 FROM access_staged LIMIT ?)').pluck(),
      clearStaged: p('DELETE FROM access_staged'),
      openChain: p(`INSERT INTO chain_heads (chain_id, instance_id, started_at, last_seq, last_hash, updated_at)
        VALUES (@chainId, @instanceId, @startedAt, @lastSeq, @lastHash, @updatedAt) ON CONFLICT (chain_id) DO NOTHING`),
      insertCheckpoint: p(`INSERT INTO checkpoints (chain_id, seq, hash, time, signature, n, final) VALUES (@chainId, @seq, @hash, @time, @signature, @n, @final)
        ON CONFLICT (chain_id, seq, time) DO NOTHING`),
    };
    this.appendTx = db.transaction((records: ChainedAccessRecord[], checkpoints: Checkpoint[]) => this.appendInTransaction(records, checkpoints));
    this.appendPreparedTx = db.transaction((batch: ChainBatch, stored: string[], hashes: string[], checkpoints: Checkpoint[]) => this.appendPreparedInTransaction(batch, stored, hashes, checkpoints));
    this.appendFollowingTx = db.transaction((batch: ChainBatch, stored: string[], hashes: string[], checkpoints: Checkpoint[]) => {
      const s = this.s;
      const lastSeq = batch.head.seq + stored.length;
      // Another connection (the event loop's commit-now one) moved the head since it was read: nothing is written.
      if (s.followHead.run(lastSeq, hashes.at(-1), new Date().toISOString(), batch.chainId, batch.head.seq, batch.head.hash).changes !== 1) throw new ChainHeadMovedError(batch.chainId, batch.head.seq);
      this.insertPrepared(batch, stored);
      for (const c of checkpoints) s.insertCheckpoint.run(checkpointRow(c));
    });
    this.stageTx = db.transaction((batch: ChainBatch, stored: string[], hashes: string[]) => this.stageInTransaction(batch, stored, hashes));
    this.foldTx = db.transaction(() => {
      const s = this.s;
      const dropped = s.dropStoredStaged.run().changes;
      s.foldRecords.run();
      s.foldCodes.run();
      s.foldClients.run();
      return dropped + s.clearStaged.run().changes;
    });
  }

  /** One IMMEDIATE transaction; idempotent on (chain_id, seq), so a retried batch is harmless. */
  appendAccessRecords(records: ChainedAccessRecord[], checkpoints: Checkpoint[] = []): void {
    if (records.length === 0 && checkpoints.length === 0) return;
    this.appendTx.immediate(records, checkpoints);
  }

  /**
   * Chains the batch, then appends it like appendAccessRecords; returns the records' hashes.
   * Hashing happens before the transaction begins, so the database's write lock is not held for it.
   */
  appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): string[] {
    if (batch.prepared) {
      if (batch.records.length === 0 && checkpoints.length === 0) return [];
      const { stored, hashes } = chainPrepared(batch);
      this.appendPreparedTx.immediate(batch, stored, hashes, checkpoints);
      return hashes;
    }
    const records = chainBatch(batch);
    this.appendAccessRecords(records, checkpoints);
    return records.map((r) => r.hash);
  }

  /**
   * Like appendToChain for a prepared batch, but chained onto the head the store holds, which
   * must be at `batch.head.seq` (`batch.head.hash` is not read): the access-log writer sends a
   * batch this way while the one before it is still being committed, before it knows that one's
   * last hash. If the chain's head is anywhere else (the batch before failed, or is not yet
   * committed), nothing is written and it throws ChainHeadMovedError; the writer then commits
   * the batch the ordinary way once the one before has committed. `checkpoints` go in the same
   * transaction (none is written when the batch is refused). Returns the hash the batch was
   * chained onto and the records' hashes.
   */
  appendToChainAfter(batch: ChainBatch, checkpoints: Checkpoint[] = []): { prevHash: string; hashes: string[] } {
    if (!batch.prepared || batch.records.length === 0) throw new Error('appendToChainAfter: a prepared batch of at least one record');
    const head = this.s.headOf.get(batch.chainId) as { seq: number; hash: string } | undefined;
    if (!head || head.seq !== batch.head.seq) throw new ChainHeadMovedError(batch.chainId, batch.head.seq);
    // The head row is signed by nothing (an edited one must not decide what is written): the batch
    // follows only a record stored at that seq whose hash the head holds, so never a gap (a head
    // moved past records that are not there) nor a hash no record has.
    const storedHash = head.seq === 0 ? GENESIS_HASH : (this.s.storedHashAt.get(batch.chainId, head.seq, batch.chainId, head.seq) as string | null | undefined);
    if (typeof storedHash !== 'string' || storedHash !== head.hash) throw new ChainHeadMovedError(batch.chainId, batch.head.seq);
    const onto = { ...batch, head: { seq: head.seq, hash: head.hash } };
    const { stored, hashes } = chainPrepared(onto);
    this.appendFollowingTx.immediate(onto, stored, hashes, checkpoints);
    return { prevHash: head.hash, hashes };
  }

  /**
   * Like appendToChain for a prepared batch without checkpoints, but into `access_staged`: the
   * records and the chain head commit together, as durably, and two pages change instead of
   * eleven. The records reach `access_records` at the next fold. A batch that is not prepared is
   * appended as usual.
   */
  stageToChain(batch: ChainBatch): string[] {
    if (!batch.prepared) return this.appendToChain(batch);
    if (batch.records.length === 0) return [];
    const { stored, hashes } = chainPrepared(batch);
    this.stageTx.immediate(batch, stored, hashes);
    return hashes;
  }

  /** How many records wait in `access_staged`, counting no further than `limit` (a read, no lock). */
  stagedUpTo(limit: number): number {
    return this.s.stagedUpTo.get(limit) as number;
  }

  /** Whether any record waits in `access_staged` (a read, no lock). */
  hasStaged(): boolean {
    return this.s.anyStaged.get() === 1;
  }

  /**
   * Moves every staged record into `access_records` with its code and client rows, in one
   * IMMEDIATE transaction (waiting for the write lock up to the connection's busy timeout).
   * Idempotent: a record already there is left as it is. Returns the number of staged rows it moved.
   */
  foldStaged(): number {
    return this.hasStaged() ? this.foldTx.immediate() : 0;
  }

  appendCheckpoint(checkpoint: Checkpoint): void {
    this.s.insertCheckpoint.run(checkpointRow(checkpoint));
  }

  openChain(head: ChainHead): void {
    this.s.openChain.run(head);
  }

  /** appendInTransaction for a prepared batch: the record text as chainPrepared made it, the indexed values as the writer sent them. */
  private appendPreparedInTransaction(batch: ChainBatch, stored: string[], hashes: string[], checkpoints: Checkpoint[]): void {
    this.insertPrepared(batch, stored);
    this.movePreparedHead(batch, stored, hashes);
    for (const c of checkpoints) this.s.insertCheckpoint.run(checkpointRow(c));
  }

  /** A prepared batch's records with their code and client rows (a row already stored is left as it is). */
  private insertPrepared(batch: ChainBatch, stored: string[]): void {
    const columns = batch.prepared!.columns;
    const { chainId } = batch;
    const s = this.s;
    for (let i = 0, c = 0; i < stored.length; i++, c += STRIDE) {
      // PREPARED_COLUMNS: seq, id, timeMs, productId, developerId, org, decision, operationName, errorCodes, clientDigests.
      const result = s.insertPrepared.run(chainId, columns[c], columns[c + 1], columns[c + 2], columns[c + 3], columns[c + 4], columns[c + 5], columns[c + 6], columns[c + 7], stored[i]);
      // A retried batch: the row is already there with its codes and clients.
      if (result.changes === 1) {
        const codes = columns[c + 8] as PreparedColumn;
        const clients = columns[c + 9] as PreparedColumn;
        if (codes) for (const code of codes as string[]) s.insertCode.run(result.lastInsertRowid, code);
        if (clients) for (const digest of clients as string[]) s.insertClient.run(result.lastInsertRowid, digest);
      }
    }
  }

  /** appendPreparedInTransaction into `access_staged`: the lists as JSON, folded by json_each. */
  private stageInTransaction(batch: ChainBatch, stored: string[], hashes: string[]): void {
    const columns = batch.prepared!.columns;
    const { chainId } = batch;
    const list = (value: PreparedColumn | undefined) => (value ? JSON.stringify(value) : null);
    for (let i = 0, c = 0; i < stored.length; i++, c += STRIDE) {
      this.s.stagePrepared.run(chainId, columns[c], columns[c + 1], columns[c + 2], columns[c + 3], columns[c + 4], columns[c + 5], columns[c + 6], columns[c + 7], list(columns[c + 8]), list(columns[c + 9]), stored[i]);
    }
    this.movePreparedHead(batch, stored, hashes);
  }

  /** The chain head to a prepared batch's last record (never backwards). */
  private movePreparedHead(batch: ChainBatch, stored: string[], hashes: string[]): void {
    if (stored.length === 0) return;
    const { chainId } = batch;
    const s = this.s;
    const lastSeq = batch.head.seq + stored.length;
    const updatedAt = new Date().toISOString();
    if (s.moveHead.run(lastSeq, hashes.at(-1), updatedAt, chainId, lastSeq).changes === 0 && s.hasHead.get(chainId) === undefined) {
      // A chain nobody opened (should not happen) is registered from its first record.
      const first = JSON.parse(stored[0]!) as ChainedAccessRecord;
      s.advanceHead.run({ chainId, instanceId: first.instanceId, startedAt: first.time, lastSeq, lastHash: hashes.at(-1), updatedAt });
    }
  }

  private appendInTransaction(records: ChainedAccessRecord[], checkpoints: Checkpoint[]): void {
    const heads = new Map<string, { first: ChainedAccessRecord; last: ChainedAccessRecord }>();
    for (const r of records) {
      const timeMs = Date.parse(r.time);
      // The writer stamps every record; a record without a valid time is a programming error.
      if (Number.isNaN(timeMs)) throw new TypeError(`access record ${r.chainId}#${r.seq}: time is not an ISO date-time`);
      const result = this.s.insertRecord.run({
        chainId: r.chainId,
        seq: r.seq,
        recordId: r.id,
        timeMs,
        productId: r.productId ?? null,
        developerId: r.developerId ?? null,
        org: r.org ?? null,
        decision: r.decision,
        operationName: r.operationName ?? null,
        record: JSON.stringify(r),
      });
      // A retried batch: the row is already there with its codes and clients.
      if (result.changes === 1) {
        const rowId = result.lastInsertRowid;
        for (const code of r.errorCodes ?? []) this.s.insertCode.run(rowId, code);
        for (const digest of r.clientDigests ?? []) this.s.insertClient.run(rowId, digest);
      }
      const head = heads.get(r.chainId);
      if (!head) heads.set(r.chainId, { first: r, last: r });
      else if (r.seq > head.last.seq) head.last = r;
    }
    const updatedAt = new Date().toISOString();
    for (const [chainId, { first, last }] of heads) {
      // A chain nobody opened (should not happen) is registered from its first record.
      this.s.advanceHead.run({ chainId, instanceId: first.instanceId, startedAt: first.time, lastSeq: last.seq, lastHash: last.hash, updatedAt });
    }
    for (const c of checkpoints) this.s.insertCheckpoint.run(checkpointRow(c));
  }
}
