/**
 * Attacks on the SQLite store's event-loop commits (store/sqlite/sqlite-store.ts commitNowMax:
 * batches of at most two records without checkpoints commit into access_staged on a connection of
 * the event loop's own, busy_timeout 0, folded into access_records later) and on the write thread's WAL checkpoints
 * (write-thread/worker.ts: PASSIVE after replies and every 250 ms), with the access-log writer on
 * top: real files, real write thread.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainedAccessRecord } from '../../../audit/record.js';
import { verifyAccessLog } from '../../../audit/verify-store.js';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../gateway/access-log/writer.js';
import { SqliteStore, type SqliteStoreOptions } from '../../../store/sqlite/index.js';
import { SqliteWriteThread } from '../../../store/sqlite/write-thread/client.js';
import { CodedError } from '../../../core/errors.js';
import { sampleRecord, testSigningKey } from '../audit/fixtures.js';
import { waitFor } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'dsp-commit-now-attack-'));
const CHAIN_KEY = Buffer.alloc(32, 7);
let key: SigningKey;
const stores: SqliteStore[] = [];
const writers: AccessLogWriter[] = [];
beforeAll(async () => {
  key = await testSigningKey();
});
afterAll(async () => {
  for (const w of writers) await w.flushAndClose({ timeoutMs: 500 }).catch(() => undefined);
  for (const s of stores) await s.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function openStore(file: string, options: Partial<SqliteStoreOptions> = {}): Promise<SqliteStore> {
  const store = new SqliteStore({ path: file, ...options });
  await store.init();
  stores.push(store);
  return store;
}

let chains = 0;
function writerOn(store: SqliteStore, options: Partial<AccessLogWriterOptions> = {}): AccessLogWriter {
  const writer = createAccessLogWriter({ store, chainId: `attack-${++chains}-${Date.now()}`, instanceId: `gw-attack-${chains}`, signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 2, retryMaxMs: 20, ...options });
  writers.push(writer);
  return writer;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const walBytes = (file: string) => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
const verified = async (store: SqliteStore, chainId: string) => (await verifyAccessLog(store, key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);
const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));
const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (err: unknown) => ({ code: codeOf(err) }));
const storedSeqs = (file: string, chainId: string): number[] => {
  const raw = new Database(file, { readonly: true });
  try {
    // Committed records are in access_records or, committed on the event loop and not folded yet, in access_staged: each once.
    return raw.prepare('SELECT seq FROM access_records WHERE chain_id = @c UNION ALL SELECT seq FROM access_staged WHERE chain_id = @c ORDER BY seq').pluck().all({ c: chainId }) as number[];
  } finally {
    raw.close();
  }
};
/** The store's private event-loop connection (fault injection only). */
const commitNowDb = (store: SqliteStore) => (store as unknown as { parts: { now: { db: Database.Database } | null } }).parts.now!.db;
describe('WAL growth when every commit takes the event-loop path', () => {
  it('keeps the -wal file bounded while lone records commit back to back (a closed loop of one request at a time)', async () => {
    // Before 3d45148 every commit ran on the write thread with SQLite's automatic checkpoint and the
    // WAL stayed at ~16 MiB (1000 pages of 16 KiB) however long this ran. With the event loop's
    // connection committing and never checkpointing (3d45148), the thread's PASSIVE checkpoint every
    // 250 ms let the WAL restart only if no commit landed while it ran: under a steady stream of lone
    // commits one always did, so the WAL grew by every frame ever written (~190 KiB a record here),
    // past 1 GB in 3 s. The event loop's connection now keeps SQLite's automatic checkpoint.
    const file = join(dir, 'wal-bound.db');
    const store = await openStore(file); // synchronous=FULL, the default
    const writer = writerOn(store);
    await writer.start();
    const LIMIT = 32 * 1024 * 1024;
    const started = Date.now();
    let n = 0;
    let peak = 0;
    // At least 2 s (eight thread checkpoint periods) and 1500 commits; stop early once past the limit.
    while ((Date.now() - started < 2_000 || n < 1_500) && Date.now() - started < 8_000 && peak <= LIMIT) {
      const record = await writer.append(sampleRecord(++n));
      expect(record.seq).toBe(n);
      if (n % 25 === 0) peak = Math.max(peak, walBytes(file));
    }
    peak = Math.max(peak, walBytes(file));
    expect(writer.stats().batches).toBe(n); // every record was a commit of its own (the event-loop path)
    // Not rounded: the loop stops at the first sample past the limit, which rounding could bring back under it.
    expect(peak / 2 ** 20).toBeLessThanOrEqual(LIMIT / 2 ** 20); // MiB of WAL after `n` lone commits
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: n });
  }, 30_000);
});

describe('the event-loop path failing, alternating with the thread path', () => {
  it('a batch whose event-loop commit fails half way (after its first insert) is committed by the thread: each seq once, the chain verifies, no transaction left open', async () => {
    const file = join(dir, 'half-way.db');
    const store = await openStore(file);
    const writer = writerOn(store);
    await writer.start();
    const now = commitNowDb(store);
    // A temporary trigger exists on this connection only: the thread's connection inserts normally.
    let injected = 0;
    now.function('injected_failure', () => ++injected);
    now.exec(`CREATE TEMP TRIGGER fail_second AFTER INSERT ON main.access_staged WHEN NEW.seq % 2 = 0 AND injected_failure() > 0 BEGIN SELECT RAISE(ABORT, 'injected half-way failure'); END`);
    const results: ChainedAccessRecord[] = [];
    for (let round = 0; round < 20; round++) {
      // Two records in one turn: one batch of two, for the event loop; its second insert fails.
      results.push(...(await Promise.all([writer.append(sampleRecord(2 * round + 1)), writer.append(sampleRecord(2 * round + 2))])));
      expect(now.inTransaction).toBe(false);
    }
    expect(results.map((r) => r.seq)).toEqual(range(1, 40));
    expect(storedSeqs(file, writer.chainId)).toEqual(range(1, 40));
    expect(injected).toBe(20); // every batch was tried on the event loop first and failed there after one insert
    expect(writer.stats().failures).toBe(0); // the store fell back by itself; the writer saw no failure
    now.exec('DROP TRIGGER fail_second');
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 40, latestCheckpointSeq: 40 });
  }, 30_000);

  it('a connection left inside a transaction (a ROLLBACK that failed) is given up: nothing is reported committed that is not, and the lock is let go', async () => {
    const file = join(dir, 'stuck.db');
    const store = await openStore(file);
    const writer = writerOn(store);
    await writer.start();
    const now = commitNowDb(store);
    now.exec('BEGIN IMMEDIATE'); // what a failed ROLLBACK after an I/O error would leave
    const first = await writer.append(sampleRecord(1));
    expect(first.seq).toBe(1);
    // Committed for real (by the thread), visible to another connection, and the event loop's connection let go of the lock.
    expect(storedSeqs(file, writer.chainId)).toEqual([1]);
    expect(now.open && now.inTransaction).toBe(false);
    const rest = await Promise.all([writer.append(sampleRecord(2)), writer.append(sampleRecord(3))]);
    expect(rest.map((r) => r.seq)).toEqual([2, 3]);
    expect(storedSeqs(file, writer.chainId)).toEqual([1, 2, 3]);
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 3 });
  }, 30_000);

  it('alternates event-loop and thread commits (batch sizes 1, 2, 3, 250; another connection holding the write lock on some rounds) without a gap, a fork or a blocked event loop', async () => {
    const file = join(dir, 'alternate.db');
    // A busy timeout far beyond the test's: an event loop that waited for the lock would hang here.
    const store = await openStore(file, { busyTimeoutMs: 120_000 });
    const writer = writerOn(store);
    await writer.start();
    // Which seqs the event loop's connection committed (a temporary trigger sees only its inserts).
    const viaEventLoop = new Set<number>();
    const now = commitNowDb(store);
    now.function('note_event_loop', (seq: unknown) => (viaEventLoop.add(Number(seq)), 1));
    now.exec('CREATE TEMP TRIGGER note_insert AFTER INSERT ON main.access_staged BEGIN SELECT note_event_loop(NEW.seq); END');
    const lockedSeqs: number[] = [];
    // The last seq each batch handed to the write thread ends at.
    const handedToThread = new Set<number>();
    const original = SqliteWriteThread.prototype.appendToChain;
    const toThread = jest.spyOn(SqliteWriteThread.prototype, 'appendToChain').mockImplementation(function (this: SqliteWriteThread, batch, checkpoints) {
      handedToThread.add(batch.head.seq + batch.records.length);
      return original.call(this, batch, checkpoints);
    });
    const holder = new Database(file);
    const sizes = [1, 2, 3, 1, 250, 2, 1, 1, 3, 2, 1, 250, 1, 2];
    let seq = 0;
    try {
      for (let round = 0; round < sizes.length * 2; round++) {
        const size = sizes[round % sizes.length]!;
        const locked = round % 3 === 1;
        if (locked) holder.exec('BEGIN IMMEDIATE');
        const pending = range(seq + 1, seq + size).map((i) => writer.append(sampleRecord(i)));
        seq += size;
        if (locked) lockedSeqs.push(...range(seq - size + 1, seq));
        if (locked) {
          // The round reaches the thread, which waits for the lock, while the event loop runs on (an
          // event loop waiting for the lock would stop this poll, and the test, for the busy timeout).
          const last = seq;
          await waitFor(() => handedToThread.has(last));
          expect(storedSeqs(file, writer.chainId).at(-1) ?? 0).toBeLessThan(seq); // nothing of this round could commit
          holder.exec('ROLLBACK');
        }
        const done = await Promise.all(pending);
        expect(done.map((r) => r.seq)).toEqual(range(seq - size + 1, seq));
      }
    } finally {
      toThread.mockRestore();
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    expect(storedSeqs(file, writer.chainId)).toEqual(range(1, seq));
    // Both paths were taken, alternately; nothing committed on the event loop while the lock was held elsewhere.
    expect(viaEventLoop.size).toBeGreaterThan(5);
    expect(viaEventLoop.size).toBeLessThan(seq / 2);
    expect(lockedSeqs.filter((s) => viaEventLoop.has(s))).toEqual([]);
    now.exec('DROP TRIGGER note_insert');
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: seq, latestCheckpointSeq: seq });
  }, 60_000);

  it('two store instances on one file (as two gateway processes), one flooding through its thread while the other commits lone records: both chains gap-free and verified', async () => {
    const file = join(dir, 'two-instances.db');
    const a = await openStore(file);
    const b = await openStore(file);
    const flood = writerOn(a);
    const lone = writerOn(b);
    await flood.start();
    await lone.start();
    const floodDone = (async () => {
      let s = 0;
      for (let round = 0; round < 8; round++) {
        await Promise.all(range(s + 1, s + 300).map((i) => flood.append(sampleRecord(i))));
        s += 300;
      }
      return s;
    })();
    const loneDone = (async () => {
      let s = 0;
      for (let i = 0; i < 300; i++) expect((await lone.append(sampleRecord(++s))).seq).toBe(s);
      return s;
    })();
    const [nf, nl] = await Promise.all([floodDone, loneDone]);
    expect(storedSeqs(file, flood.chainId)).toEqual(range(1, nf));
    expect(storedSeqs(file, lone.chainId)).toEqual(range(1, nl));
    await flood.flushAndClose();
    await lone.flushAndClose();
    expect(await verified(a, flood.chainId)).toMatchObject({ ok: true, checked: nf, latestCheckpointSeq: nf });
    expect(await verified(b, lone.chainId)).toMatchObject({ ok: true, checked: nl, latestCheckpointSeq: nl });
  }, 60_000);

  it('readers never see part of a batch: in every snapshot the record count equals the chain head and is a batch boundary', async () => {
    const file = join(dir, 'readers.db');
    const store = await openStore(file);
    const ends = new Set<number>([0]);
    const writer = writerOn(store, { onCommit: (records) => ends.add(records.at(-1)!.seq) });
    await writer.start();
    await store.queryAccessLogs({}, { first: 1 }); // the read thread started before the writes, so the poll keeps up with them
    const reader = new Database(file, { readonly: true });
    // A raw reader (no fold): the records the event loop committed may still be staged.
    const snapshot = reader.prepare('SELECT (SELECT COUNT(*) FROM access_records WHERE chain_id = @c) + (SELECT COUNT(*) FROM access_staged WHERE chain_id = @c) AS n, (SELECT last_seq FROM chain_heads WHERE chain_id = @c) AS head');
    const seen: Array<{ n: number; head: number }> = [];
    let stop = false;
    let polled: () => void = () => {};
    const poll = (async () => {
      while (!stop) {
        seen.push(snapshot.get({ c: writer.chainId }) as { n: number; head: number });
        seen.push(...(await store.queryAccessLogs({}, { first: 1 })).records.filter((r) => r.chainId === writer.chainId).map((r) => ({ n: r.seq, head: r.seq })));
        polled();
        await new Promise((r) => setImmediate(r));
      }
    })();
    /** Resolves once the poll has gone round again (it reads between batches whatever the machine's speed, and during them as it can). */
    const pollAgain = () => new Promise<void>((resolve) => (polled = resolve));
    let s = 0;
    for (const size of [1, 2, 400, 1, 3, 1, 2, 250, 1]) {
      await Promise.all(range(s + 1, s + size).map((i) => writer.append(sampleRecord(i))));
      s += size;
      await pollAgain();
    }
    stop = true;
    await poll;
    reader.close();
    expect(seen.length).toBeGreaterThan(5);
    for (const o of seen) {
      expect(o.n).toBe(o.head);
      expect(ends.has(o.n)).toBe(true);
    }
  }, 30_000);
});

describe('the store closed under a running writer', () => {
  it('fails closed while the store is closed and, once it is open again, commits every buffered record exactly once', async () => {
    const file = join(dir, 'closed-under.db');
    const store = await openStore(file);
    const writer = writerOn(store, { bufferMax: 40, maxBatch: 10 });
    await writer.start();
    expect((await Promise.all(range(1, 2).map((i) => writer.append(sampleRecord(i))))).map((r) => r.seq)).toEqual([1, 2]);
    await store.close();
    const buffered = range(3, 42).map((i) => settle(writer.append(sampleRecord(i))));
    expect(writer.accepting()).toBe(false);
    expect(await settle(writer.append(sampleRecord(43)))).toEqual({ code: 'AUDIT_UNAVAILABLE' });
    await waitFor(() => writer.stats().failures >= 3, 10_000);
    expect(storedSeqs(file, writer.chainId)).toEqual([1, 2]);
    await store.init();
    const outcomes = await Promise.all(buffered);
    expect(outcomes.map((o) => ('value' in o ? o.value.seq : o.code))).toEqual(range(3, 42));
    expect((await writer.append(sampleRecord(44))).seq).toBe(43);
    expect(storedSeqs(file, writer.chainId)).toEqual(range(1, 43));
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 43, latestCheckpointSeq: 43 });
  }, 30_000);
});
