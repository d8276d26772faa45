/**
 * Attacks on the SQLite store's access-log commits, all of which run on the write thread
 * (store/sqlite/write-thread/), and on the thread's WAL checkpoints (PASSIVE after replies and
 * every 250 ms, RESTART past 1,000 frames), with the access-log writer on top: real files, real
 * write thread. Until session 10 batches of at most two records committed on a connection of the
 * event loop's own; the tests of that path went with it, the rest hold for the thread alone.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAccessLog } from '../../../audit/verify-store.js';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../gateway/access-log/writer.js';
import { SqliteStore, type SqliteStoreOptions } from '../../../store/sqlite/index.js';
import { CodedError } from '../../../core/errors.js';
import { sampleRecord, testSigningKey } from '../audit/fixtures.js';
import { waitFor } from '../../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'dsp-thread-commit-attack-'));
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
    return raw.prepare('SELECT seq FROM access_records WHERE chain_id = ? ORDER BY seq').pluck().all(chainId) as number[];
  } finally {
    raw.close();
  }
};
describe('WAL growth under lone commits', () => {
  it('keeps the -wal file bounded while lone records commit back to back (a closed loop of one request at a time)', async () => {
    // With lone records committing on the event loop's own connection and only the thread
    // checkpointing (3d45148), a steady stream of them kept the WAL from ever starting over: it
    // grew by every frame written (~190 KiB a record here), past 1 GB in 3 s. Every commit is the
    // thread's again, and its checkpoints must keep the WAL bounded by themselves.
    const file = join(dir, 'wal-bound.db');
    const store = await openStore(file); // synchronous=FULL, the default
    const writer = writerOn(store);
    await writer.start();
    // 64 lone commits' worth (write-thread/worker.ts, WAL_CHECKPOINT_EVERY_WRITES) is ~13 MiB; a
    // checkpoint every 250 ms alone let it reach 34-37 MiB here.
    const LIMIT = 20 * 1024 * 1024;
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
    expect(writer.stats().batches).toBe(n); // every record was a commit of its own
    expect(peak / 2 ** 20).toBeLessThanOrEqual(LIMIT / 2 ** 20); // MiB of WAL after `n` lone commits (not rounded: the loop stops just past the limit)
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: n });
  }, 30_000);
});

describe('the write thread under contention', () => {
  it('commits batches of 1, 2, 3 and 250 records, another connection holding the write lock on some rounds, without a gap, a fork or a blocked event loop', async () => {
    const file = join(dir, 'alternate.db');
    // A busy timeout far beyond the test's: an event loop that waited for the lock would hang here.
    const store = await openStore(file, { busyTimeoutMs: 120_000 });
    const writer = writerOn(store);
    await writer.start();
    const holder = new Database(file);
    const sizes = [1, 2, 3, 1, 250, 2, 1, 1, 3, 2, 1, 250, 1, 2];
    let seq = 0;
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 1);
    try {
      for (let round = 0; round < sizes.length * 2; round++) {
        const size = sizes[round % sizes.length]!;
        const locked = round % 3 === 1;
        if (locked) holder.exec('BEGIN IMMEDIATE');
        const pending = range(seq + 1, seq + size).map((i) => writer.append(sampleRecord(i)));
        seq += size;
        if (locked) {
          const ticksBefore = ticks;
          await new Promise((r) => setTimeout(r, 15));
          expect(ticks).toBeGreaterThan(ticksBefore); // the event loop kept running while the lock was held
          expect(storedSeqs(file, writer.chainId).at(-1) ?? 0).toBeLessThan(seq); // nothing of this round could commit
          holder.exec('ROLLBACK');
        }
        const done = await Promise.all(pending);
        expect(done.map((r) => r.seq)).toEqual(range(seq - size + 1, seq));
      }
    } finally {
      clearInterval(ticker);
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
    }
    expect(storedSeqs(file, writer.chainId)).toEqual(range(1, seq));
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
    const reader = new Database(file, { readonly: true });
    const snapshot = reader.prepare('SELECT (SELECT COUNT(*) FROM access_records WHERE chain_id = @c) AS n, (SELECT last_seq FROM chain_heads WHERE chain_id = @c) AS head');
    const seen: Array<{ n: number; head: number }> = [];
    let stop = false;
    const poll = (async () => {
      while (!stop) {
        seen.push(snapshot.get({ c: writer.chainId }) as { n: number; head: number });
        seen.push(...(await store.queryAccessLogs({}, { first: 1 })).records.filter((r) => r.chainId === writer.chainId).map((r) => ({ n: r.seq, head: r.seq })));
        await new Promise((r) => setImmediate(r));
      }
    })();
    let s = 0;
    for (const size of [1, 2, 400, 1, 3, 1, 2, 250, 1]) {
      await Promise.all(range(s + 1, s + size).map((i) => writer.append(sampleRecord(i))));
      s += size;
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
