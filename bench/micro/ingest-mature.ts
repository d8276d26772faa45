/**
 * Ingest into a mature access log: what the SQLite write path (SqliteAccessLogWrites, the write
 * thread's own code, without the message hop) costs per record once the log holds `records`
 * records whose keys vary as in production (variedRecord: 50 products, 500 organisations,
 * 100,000 clients), at each page size asked for. The ingest micro-figure (access-log-ingest.ts)
 * starts from an empty file, where an index is small enough that a commit's entries share its
 * pages; in a mature log an entry at a key spread at random (a client digest, an organisation)
 * lands on a page of its own, and a WAL commit writes that whole page, as does the checkpoint
 * after it. The log is filled without fsync, then measured with `synchronous=FULL`, in commits of
 * 10 records (about a saturated gateway's median batch, docs/performance.md sixth pass), 50 and
 * 500 (the writer's largest), each followed by the write thread's checkpoints (PASSIVE, then RESTART, every
 * 12,500 records). Preparing the records (the event loop's part) is not timed.
 *
 * Run alone: `npx tsx bench/micro/ingest-mature.ts [records=2000000] [pageSizes=8192,16384]`.
 * Pin it (`taskset -c 1`) for steadier figures. Timings live here, never in tests.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { chainKeyOf, prepareRecord } from '../../audit/chain.js';
import { GENESIS_HASH } from '../../audit/record.js';
import { SqliteAccessLogWrites } from '../../store/sqlite/access-log-writes.js';
import { runMigrations } from '../../store/sqlite/migrations.js';
import { variedRecord } from './access-log-ingest.js';

export interface MatureIngestRow {
  pageSize: number;
  /** Records in the log before the measured commits. */
  records: number;
  batch: number;
  /** Per record: the append (chaining, inserts, COMMIT with its fsync) and the checkpoints, µs. */
  appendUs: number;
  checkpointUs: number;
  /** What the write path alone could sustain, records/s (1e6 / (append + checkpoint)). */
  recordsPerS: number;
}

const CHAIN = 'bench-mature';
const MEASURED = 50_000;
const CHECKPOINT_EVERY = 12_500;

/**
 * Fills `db` (migrated here if it is not) with `records` varied records on a chain of its own,
 * without fsync (synchronous=OFF for the fill, restored after), and returns what appends more and
 * checkpoints like the write thread. For the mature-log figures here and for a store copy
 * bench/ablate.ts runs a gateway on (`-matureN`): the gateway's own chain then shares the indexes.
 */
export function fillMatureLog(db: Database.Database, records: number): { records(): number; append(count: number): number; checkpoint(): number } {
  const sync = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = OFF');
  db.pragma('wal_autocheckpoint = 0');
  runMigrations(db);
  const writes = new SqliteAccessLogWrites(db);
  const key = chainKeyOf(Buffer.alloc(32, 7));
  writes.openChain({ chainId: CHAIN, instanceId: 'bench', startedAt: new Date().toISOString(), lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: new Date().toISOString() });
  let head = { seq: 0, hash: GENESIS_HASH };
  /** Appends `count` records as one commit; the ms the store took (preparing them is not timed). */
  const append = (count: number): number => {
    const prepared = Array.from({ length: count }, (_, i) => prepareRecord(variedRecord(head.seq + i), CHAIN, head.seq + 1 + i));
    const t = performance.now();
    const hashes = writes.appendToChain({ chainId: CHAIN, head, key, records: prepared.map((p) => p.text), prepared: { cuts: prepared.map((p) => p.cut), columns: prepared.flatMap((p) => p.columns) } });
    const ms = performance.now() - t;
    head = { seq: head.seq + count, hash: hashes.at(-1)! };
    return ms;
  };
  /** The write thread's checkpoints (PASSIVE, then RESTART); the ms they took. */
  const checkpoint = (): number => {
    const t = performance.now();
    db.pragma('wal_checkpoint(PASSIVE)');
    db.pragma('wal_checkpoint(RESTART)');
    return performance.now() - t;
  };
  while (head.seq < records) {
    append(Math.min(5000, records - head.seq));
    if (head.seq % 200_000 === 0) db.pragma('wal_checkpoint(TRUNCATE)');
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma(`synchronous = ${sync}`);
  return { records: () => head.seq, append, checkpoint };
}

export function measureMatureIngest(options: { records: number; pageSizes: readonly number[]; onProgress?: (line: string) => void }): MatureIngestRow[] {
  const rows: MatureIngestRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'dsp-bench-mature-'));
  try {
    for (const pageSize of options.pageSizes) {
      const db = new Database(join(dir, `log-${pageSize}.db`));
      try {
        db.pragma(`page_size = ${pageSize}`);
        db.pragma('journal_mode = WAL');
        db.pragma('foreign_keys = ON');
        const filledAt = performance.now();
        const log = fillMatureLog(db, options.records);
        options.onProgress?.(`page ${pageSize}: ${log.records()} records filled in ${((performance.now() - filledAt) / 1000).toFixed(0)} s`);
        db.pragma('synchronous = FULL');
        for (const batch of [10, 50, 500]) {
          const records = log.records();
          let appendMs = 0;
          let checkpointMs = 0;
          for (let done = 0; done < MEASURED; done += batch) {
            appendMs += log.append(batch);
            if ((done + batch) % CHECKPOINT_EVERY === 0) checkpointMs += log.checkpoint();
          }
          const appendUs = (appendMs * 1000) / MEASURED;
          const checkpointUs = (checkpointMs * 1000) / MEASURED;
          const row = { pageSize, records, batch, appendUs, checkpointUs, recordsPerS: 1e6 / (appendUs + checkpointUs) };
          options.onProgress?.(`page ${pageSize}, ${records} records, commits of ${batch}: append ${appendUs.toFixed(1)} µs + checkpoint ${checkpointUs.toFixed(1)} µs per record (${Math.round(row.recordsPerS)} records/s)`);
          rows.push(row);
        }
      } finally {
        db.close();
        rmSync(join(dir, `log-${pageSize}.db`), { force: true });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = measureMatureIngest({ records: Number(process.argv[2] ?? 2_000_000), pageSizes: (process.argv[3] ?? '8192,16384').split(',').map(Number), onProgress: (line) => console.error(line) });
  console.log('| page size | records in the log | commit of | append µs/record | checkpoint µs/record | records/s the write path sustains |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.pageSize} | ${r.records.toLocaleString('en-US')} | ${r.batch} | ${r.appendUs.toFixed(1)} | ${r.checkpointUs.toFixed(1)} | ${Math.round(r.recordsPerS).toLocaleString('en-US')} |`);
}
