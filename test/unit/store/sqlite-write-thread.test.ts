/**
 * The SQLite write thread (store/sqlite/write-thread): access-log appends and rate-limit counters
 * run on a worker thread with connections of its own. What the store promises about it: the same
 * answers and errors as the store's own connection, nothing lost when the thread dies, and a
 * process that exits by itself.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import { RateLimiterMemory, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import { StoreUnavailableError } from '../../../store/port.js';
import { SqliteStore } from '../../../store/sqlite/index.js';
import { SqliteWriteThread } from '../../../store/sqlite/write-thread/client.js';
import { sampleCheckpoint, sampleHead, sampleRecord } from '../../contract/samples.js';

const dir = mkdtempSync(join(tmpdir(), 'dsp-write-thread-'));
const opened: SqliteStore[] = [];
let n = 0;

async function open(options: { writeThread?: boolean; now?: () => number } = {}): Promise<SqliteStore> {
  const store = new SqliteStore({ path: join(dir, `t${++n}.db`), ...options });
  await store.init();
  opened.push(store);
  return store;
}

/** The store's thread and, once started, its worker (internals, for the failure tests only). */
const threadOf = (store: SqliteStore) => (store as unknown as { thread: SqliteWriteThread | null }).thread;
const workerOf = (thread: SqliteWriteThread) => (thread as unknown as { worker: Worker | null }).worker;

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('which connection writes', () => {
  it('uses a thread for a file and not when told not to (nor for :memory:)', async () => {
    expect(threadOf(await open())).toBeInstanceOf(SqliteWriteThread);
    expect(threadOf(await open({ writeThread: false }))).toBeNull();
    const memory = new SqliteStore({ path: ':memory:' });
    await memory.init();
    opened.push(memory);
    expect(threadOf(memory)).toBeNull();
  });

  it('starts the thread on first use only', async () => {
    const store = await open();
    await store.currentRevision();
    expect(workerOf(threadOf(store)!)).toBeNull();
    await store.openChain(sampleHead('lazy'));
    expect(workerOf(threadOf(store)!)).not.toBeNull();
  });
});

describe('access log through the thread', () => {
  it('commits before it resolves: the store connection reads what was appended, in order', async () => {
    const store = await open();
    await store.openChain(sampleHead('c1'));
    // Many appends in one turn travel as one message; each resolves after its own commit.
    await Promise.all([1, 2, 3].map((seq) => store.appendAccessRecords([sampleRecord('c1', seq)])));
    await store.appendAccessRecords([sampleRecord('c1', 4)], [sampleCheckpoint('c1', 4)]);
    await store.appendCheckpoint(sampleCheckpoint('c1', 4, { time: '2026-01-01T00:00:09.000Z' }));
    expect((await store.readChain('c1', 1, 10)).map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect((await store.checkpointsOf('c1')).map((c) => c.seq)).toEqual([4, 4]);
    expect((await store.listChains()).find((h) => h.chainId === 'c1')?.lastSeq).toBe(4);
  });

  it('translates SQLite errors as the store does: a locked database is StoreUnavailableError', async () => {
    const path = join(dir, 'locked.db');
    const store = new SqliteStore({ path, busyTimeoutMs: 50 });
    await store.init();
    opened.push(store);
    await store.openChain(sampleHead('locked'));
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.appendAccessRecords([sampleRecord('locked', 1)])).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Released: the same batch goes through (appends are idempotent on chain + seq).
    await store.appendAccessRecords([sampleRecord('locked', 1)]);
    expect(await store.readChain('locked', 1, 1)).toHaveLength(1);
  });

  it('answers StoreUnavailableError when the database cannot be opened, and recovers when it can', async () => {
    const missing = join(dir, 'not-yet', 'x.db');
    const thread = new SqliteWriteThread({ path: missing, sqliteSync: 'full', busyTimeoutMs: 50 });
    try {
      await expect(thread.openChain(sampleHead('x'))).rejects.toBeInstanceOf(StoreUnavailableError);
      // The directory and the schema appear (a store opened there runs the migrations): the next write works.
      mkdirSync(join(dir, 'not-yet'));
      const store = new SqliteStore({ path: missing, writeThread: false });
      await store.init();
      opened.push(store);
      await thread.openChain(sampleHead('x'));
      expect((await store.listChains()).map((h) => h.chainId)).toEqual(['x']);
    } finally {
      await thread.close();
    }
  });

  it('fails waiting writes with StoreUnavailableError when the thread dies, and starts a new one for the next', async () => {
    const store = await open();
    await store.openChain(sampleHead('dies'));
    const thread = threadOf(store)!;
    const first = workerOf(thread)!;
    const waiting = store.appendAccessRecords([sampleRecord('dies', 1)]);
    await first.terminate();
    await expect(waiting).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.appendAccessRecords([sampleRecord('dies', 1)]);
    expect(workerOf(thread)).not.toBe(first);
    expect((await store.readChain('dies', 1, 1)).map((r) => r.seq)).toEqual([1]);
  });

  it('does not start a thread per request when one dies before answering anything: it waits a second', async () => {
    const clock = { now: 1_000_000 };
    const store = await open({ now: () => clock.now });
    const thread = threadOf(store)!;
    const first = store.openChain(sampleHead('early'));
    await workerOf(thread)!.terminate(); // still loading: it never answered
    await expect(first).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.openChain(sampleHead('early'))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(workerOf(thread)).toBeNull();
    clock.now += 999;
    await expect(store.openChain(sampleHead('early'))).rejects.toBeInstanceOf(StoreUnavailableError);
    clock.now += 1;
    await store.openChain(sampleHead('early'));
    expect((await store.listChains()).map((h) => h.chainId)).toContain('early');
  });

  it('finishes writes already made before close, and refuses later ones', async () => {
    const store = new SqliteStore({ path: join(dir, 'closing.db') });
    await store.init();
    await store.openChain(sampleHead('closing'));
    const pending = store.appendAccessRecords([sampleRecord('closing', 1)]);
    await store.close();
    await expect(pending).resolves.toBeUndefined();
    await expect(store.appendAccessRecords([sampleRecord('closing', 2)])).rejects.toBeInstanceOf(StoreUnavailableError);
    const reopened = await open();
    void reopened;
    const check = new Database(join(dir, 'closing.db'), { readonly: true });
    expect(check.prepare('SELECT seq FROM access_records').pluck().all()).toEqual([1]);
    check.close();
  });
});

describe('rate limiters through the thread', () => {
  it('counts exactly and refuses with a RateLimiterRes, like RateLimiterSQLite', async () => {
    const store = await open();
    const limiter = store.createRateLimiter({ keyPrefix: 'rl:t', points: 3, duration: 60 });
    const results = await Promise.all([1, 2, 3].map(() => limiter.consume('k')));
    expect(results.map((r) => r.remainingPoints).sort()).toEqual([0, 1, 2]);
    expect(results[0]).toBeInstanceOf(RateLimiterRes);
    const refused = await limiter.consume('k').then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(RateLimiterRes);
    expect((refused as RateLimiterRes).consumedPoints).toBe(4);
    expect((await limiter.get('k'))?.consumedPoints).toBe(4);
    expect(await limiter.get('other')).toBeNull();
    expect(await limiter.delete('k')).toBe(true);
    expect((await limiter.consume('k')).remainingPoints).toBe(2);
  });

  it("never reads the store's clock backwards: a reading taken before the thread's own time does not lengthen a window", async () => {
    // A reading travels with each call and the thread's clock follows it. A reading can lag the
    // time the thread has already counted (the message waited in its queue while the thread ran
    // earlier calls): here the second call carries a reading 1 s before the first's.
    const readings = [1_000_000, 999_000];
    const store = await open({ now: () => readings.shift() ?? 999_000 });
    const limiter = store.createRateLimiter({ keyPrefix: 'rl:clock', points: 5, duration: 3 });
    const first = await limiter.consume('k');
    const second = await limiter.consume('k');
    expect(first.msBeforeNext).toBeLessThanOrEqual(3000);
    // The window opened at the first call: what is left of it cannot exceed the window itself.
    expect(second.msBeforeNext).toBeLessThanOrEqual(first.msBeforeNext);
  });

  it('shares counts with another store on the same file', async () => {
    const a = await open();
    const path = (a as unknown as { options: { path: string } }).options.path;
    const b = new SqliteStore({ path });
    await b.init();
    opened.push(b);
    const spec = { keyPrefix: 'rl:shared', points: 4, duration: 60 };
    await a.createRateLimiter(spec).consume('k', 3);
    await expect(b.createRateLimiter(spec).consume('k', 2)).rejects.toBeInstanceOf(RateLimiterRes);
  });

  it('is accepted by RLWrapperTimeouts, whose insurance limiter answers while the thread is gone', async () => {
    const store = await open();
    const spec = { keyPrefix: 'rl:insured', points: 5, duration: 60 };
    // A generous timeout: on a busy machine a first call slower than it would be answered (and
    // counted) by the insurance limiter too. The closed store below refuses at once, timeout or not.
    const insured = new RLWrapperTimeouts({ limiter: store.createRateLimiter(spec), timeoutMs: 30_000, insuranceLimiter: new RateLimiterMemory(spec) });
    expect((await insured.consume('k')).remainingPoints).toBe(4);
    await store.close();
    // The store refuses (closed): the in-memory insurance limiter decides instead.
    expect((await insured.consume('k')).remainingPoints).toBe(4);
  });
});

describe('process lifetime', () => {
  it('does not keep a process alive once nothing is waiting (the store left open)', async () => {
    const script = join(dir, 'left-open.mts');
    const storeModule = fileURLToPath(new URL('../../../store/sqlite/index.ts', import.meta.url));
    writeFileSync(
      script,
      `import { SqliteStore } from ${JSON.stringify(storeModule)};
const store = new SqliteStore({ path: ${JSON.stringify(join(dir, 'left-open.db'))} });
await store.init();
await store.openChain({ chainId: 'x', instanceId: 'i', startedAt: '2026-01-01T00:00:00.000Z', lastSeq: 0, lastHash: '0'.repeat(64), updatedAt: '2026-01-01T00:00:00.000Z' });
await store.createRateLimiter({ keyPrefix: 'p', points: 5, duration: 1 }).consume('k');
console.log('done');
`,
    );
    const tsx = fileURLToPath(new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [tsx, script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('done');
  }, 30_000);
});
