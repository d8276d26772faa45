/**
 * The SQLite store's read thread (store/sqlite/read-thread/client.ts): the auditors' filtered reads
 * of a file's access log run off the event loop, each within a time limit, and fail closed when
 * the thread cannot answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { GraphQLError } from 'graphql';
import { StoreUnavailableError } from '../../../store/port.js';
import { createSqliteStore, type SqliteStore } from '../../../store/sqlite/index.js';
import { SqliteReadThread } from '../../../store/sqlite/read-thread/client.js';
import type { ReadReply } from '../../../store/sqlite/read-thread/protocol.js';
import { threadsOf } from '../../helpers/read-thread.js';
import { sampleChain } from '../audit/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'dsp-sqlite-read-thread-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 3000;
let n = 0;

/** A file store holding one chain of N records (every 5th DENIED, sub user-1), open. */
async function filledStore(options: { readThread?: boolean } = {}): Promise<{ store: SqliteStore; path: string }> {
  const path = join(dir, `reads-${++n}.db`);
  const store = createSqliteStore({ path, sqliteSync: 'normal', ...options });
  await store.init();
  const records = sampleChain(N);
  await store.openChain({ chainId: 'chain-test', instanceId: 'gw-test', startedAt: records[0]!.time, lastSeq: 0, lastHash: records[0]!.prevHash, updatedAt: records[0]!.time });
  await store.appendAccessRecords(records);
  return { store, path };
}

/**
 * Counts turns of the event loop until `read` settles (a read run on the event loop itself settles
 * before the first), and says whether it settled within microtasks alone. A read answered by
 * another thread cannot: its answer arrives as a message, in a later turn. That is the
 * deterministic sign; the turn count is not, as on a loaded machine the thread can answer before
 * the event loop reaches its first turn.
 */
async function turnsDuring<T>(read: () => Promise<T>): Promise<{ value: T; turns: number; inMicrotasks: boolean }> {
  let turns = 0;
  let done = false;
  let settled = false;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  try {
    const reading = read();
    reading.then(() => (settled = true), () => (settled = true));
    for (let i = 0; i < 100; i++) await null;
    const inMicrotasks = settled;
    return { value: await reading, turns, inMicrotasks };
  } finally {
    done = true;
  }
}

/** A schedule whose time limits expire only when the test says so. */
function handSchedule() {
  const pending: Array<() => void> = [];
  return {
    schedule: (expire: () => void) => {
      pending.push(expire);
      return () => {
        const at = pending.indexOf(expire);
        if (at >= 0) pending.splice(at, 1);
      };
    },
    /** Expires the i-th read still under its limit. */
    expire: (i: number) => pending.splice(i, 1)[0]!(),
    pending,
  };
}

const codeOf = (err: unknown) => (err instanceof GraphQLError ? err.extensions['code'] : (err as Error)?.name);
/** A read's value, or the code (and limit) it was refused with. */
const outcome = (read: Promise<unknown>) => read.then((value) => ({ value }), (err: unknown) => ({ code: codeOf(err), limit: err instanceof GraphQLError ? err.extensions['limit'] : undefined }));

describe('the auditors’ filtered reads of a SQLite file', () => {
  it('scan the log on the read thread: the event loop keeps turning, and the answers are the connection’s own', async () => {
    const { store: threaded, path } = await filledStore();
    try {
      // A filter on a value kept only in the record text reads every record.
      const scan = { sub: 'nobody' };
      const page = await turnsDuring(() => threaded.queryAccessLogs(scan, { first: 10 }));
      const count = await turnsDuring(() => threaded.countAccessLogs({ sub: 'user-1', decision: 'DENIED' }));
      const summary = await turnsDuring(() => threaded.summarizeAccessLogs({ sub: 'user-1' }));
      expect(page.value).toEqual({ records: [], nextCursor: null });
      expect(count.value).toBe(N / 5);
      expect(summary.value.total).toBe(N);
      for (const read of [page, count, summary]) expect(read.inMicrotasks).toBe(false);

      // The same file read on the store's own connection (no read thread) answers alike, without a turn.
      await threaded.close();
      const direct = createSqliteStore({ path, readThread: false });
      await direct.init();
      try {
        const same = await turnsDuring(() => direct.countAccessLogs({ sub: 'user-1', decision: 'DENIED' }));
        expect(same).toEqual({ value: N / 5, turns: 0, inMicrotasks: true });
        expect(await direct.summarizeAccessLogs({ sub: 'user-1' })).toEqual(summary.value);
        const pageOne = await direct.queryAccessLogs({ decision: 'DENIED' }, { first: 7 });
        const reopened = createSqliteStore({ path });
        await reopened.init();
        try {
          expect(await reopened.queryAccessLogs({ decision: 'DENIED' }, { first: 7 })).toEqual(pageOne);
          expect(await reopened.queryAccessLogs({ decision: 'DENIED' }, { first: 7, after: pageOne.nextCursor })).toEqual(await direct.queryAccessLogs({ decision: 'DENIED' }, { first: 7, after: pageOne.nextCursor }));
        } finally {
          await reopened.close();
        }
      } finally {
        await direct.close();
      }
    } finally {
      await threaded.close();
    }
  }, 60_000);

  it('refuse bad input with the coded error the connection would give, across the thread', async () => {
    const { store } = await filledStore();
    try {
      const refusal = (read: Promise<unknown>) => read.then(() => 'answered', (err: unknown) => ({ code: codeOf(err), message: (err as Error).message }));
      expect(await refusal(store.queryAccessLogs({ from: 'yesterday' }, { first: 1 }))).toEqual({ code: 'BAD_USER_INPUT', message: 'from is not an ISO date-time.' });
      expect(await refusal(store.queryAccessLogs({}, { first: 1, after: 'not-a-cursor' }))).toEqual({ code: 'BAD_USER_INPUT', message: 'The pagination cursor is not valid.' });
      // The thread is still serving after a refusal.
      expect(await store.countAccessLogs({ decision: 'DENIED' })).toBe(N / 5);
    } finally {
      await store.close();
    }
  }, 60_000);

  it('stop a read past its time limit with OPERATION_LIMIT_EXCEEDED (QUERY_TIME), drop a waiting one, and answer the next on the same thread', async () => {
    const { store, path } = await filledStore();
    await store.close();
    const hand = handSchedule();
    const reads = new SqliteReadThread({ path, busyTimeoutMs: 1000 }, { timeoutMs: 15_000, schedule: hand.schedule });
    const threads = threadsOf(reads);
    try {
      const running = outcome(reads.countAccessLogs({ sub: 'nobody' }));
      const waiting = outcome(reads.countAccessLogs({}));
      const behind = outcome(reads.countAccessLogs({ decision: 'DENIED' }));
      expect(hand.pending).toHaveLength(3);
      hand.expire(1); // the waiting one
      expect(await waiting).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' });
      hand.expire(0); // the running one: the thread is told to stop it
      expect(await running).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' });
      expect(await behind).toEqual({ value: N / 5 });
      expect(await reads.countAccessLogs({})).toBe(N);
      expect(hand.pending).toEqual([]); // every answered read's limit was cancelled
      // Never terminated (a thread terminated inside SQLite can abort the process): one thread answered all.
      expect(threads).toHaveLength(1);
    } finally {
      await reads.close();
    }
  }, 60_000);

  it('tell the thread to stop a read past its time limit, which it does while still waiting for a lock, and keep the thread', async () => {
    const { store, path } = await filledStore();
    await store.close();
    // A rollback-journal file, so another connection's exclusive lock keeps the thread's read waiting for it.
    const locker = new Database(path);
    locker.pragma('journal_mode = DELETE');
    const hand = handSchedule();
    // Neither the busy timeout nor the read's own deadline ends the wait in this test's time: only the stop can.
    const reads = new SqliteReadThread({ path, busyTimeoutMs: 20_000 }, { timeoutMs: 600_000, schedule: hand.schedule });
    const threads = threadsOf(reads);
    try {
      expect(await reads.countAccessLogs({})).toBe(N); // the thread is up
      const thread = threads[0]!;
      let exited = false;
      thread.once('exit', () => (exited = true));
      locker.exec('BEGIN EXCLUSIVE');
      const replied = new Promise<ReadReply>((resolve) => thread.once('message', resolve));
      const stopped = outcome(reads.countAccessLogs({ sub: 'nobody' }));
      hand.expire(0);
      expect(await stopped).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' });
      // The thread itself ends the read, with the lock still held: its answer is the refusal.
      const reply = await replied;
      expect('error' in reply ? reply.error.coded?.details['limit'] : 'answered').toBe('QUERY_TIME');
      const next = reads.countAccessLogs({ decision: 'DENIED' });
      locker.exec('COMMIT');
      expect(await next).toBe(N / 5);
      expect(threads).toHaveLength(1);
      expect(exited).toBe(false);
    } finally {
      if (locker.inTransaction) locker.exec('COMMIT');
      locker.close();
      await reads.close();
    }
  }, 60_000);

  it('end a scan the store gave up on inside SQLite, at its first row, through the stop slot (its deadline far off)', async () => {
    const { store, path } = await filledStore();
    await store.close();
    const hand = handSchedule();
    // The read's own deadline is far off: only the stop can end the scan early.
    const reads = new SqliteReadThread({ path, busyTimeoutMs: 1000 }, { timeoutMs: 600_000, schedule: hand.schedule });
    const threads = threadsOf(reads);
    try {
      // The thread is still starting when the read is given up on, so the stop is set before its first row, whatever the machine's load.
      const scan = outcome(reads.countAccessLogs({ sub: 'nobody' }));
      const thread = threads[0]!;
      const replied = new Promise<ReadReply>((resolve) => thread.once('message', resolve));
      hand.expire(0);
      expect(await scan).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' });
      // No lock here: the row check (dsp_in_time) ended the statement, rather than the scan running to its end (a count of 0).
      const reply = await replied;
      expect('error' in reply ? reply.error.coded?.details['limit'] : 'answered').toBe('QUERY_TIME');
      expect(await reads.countAccessLogs({ decision: 'DENIED' })).toBe(N / 5);
      expect(threads).toHaveLength(1);
    } finally {
      await reads.close();
    }
  }, 60_000);

  it('close while the thread is on a read: the thread ends the read and answers before it is terminated', async () => {
    const { store, path } = await filledStore();
    await store.close();
    const reads = new SqliteReadThread({ path, busyTimeoutMs: 1000 }, { timeoutMs: 600_000 });
    const threads = threadsOf(reads);
    expect(await reads.countAccessLogs({})).toBe(N); // the thread is up
    const thread = threads[0]!;
    const events: string[] = [];
    thread.on('message', () => events.push('reply'));
    thread.once('exit', () => events.push('exit'));
    const running = outcome(reads.countAccessLogs({ sub: 'nobody' }));
    await reads.close();
    expect(await running).toEqual({ code: 'StoreUnavailableError', limit: undefined });
    // Terminated only once idle (its reply, the stop's refusal or, on a fast machine, the count, came first): never while it may be inside SQLite.
    expect(events).toEqual(['reply', 'exit']);
    expect(threads).toHaveLength(1);
  }, 60_000);

  it('close, its wait over while the thread is still on a read, lets the thread go and terminates it only at its answer', async () => {
    const { store, path } = await filledStore();
    await store.close();
    const hand = handSchedule();
    const reads = new SqliteReadThread({ path, busyTimeoutMs: 1000 }, { timeoutMs: 600_000, schedule: hand.schedule });
    const threads = threadsOf(reads);
    const running = outcome(reads.countAccessLogs({ sub: 'nobody' }));
    const thread = threads[0]!; // still starting: the read has not reached SQLite yet
    const events: string[] = [];
    thread.on('message', () => events.push('reply'));
    const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve(void events.push('exit'))));
    const closing = reads.close();
    expect(hand.pending).toHaveLength(1); // close's wait (the read's own limit was cancelled)
    hand.expire(0); // as if the read were inside a statement the row check does not reach
    await closing;
    expect(await running).toEqual({ code: 'StoreUnavailableError', limit: undefined });
    await exited;
    // Not terminated while it could be inside SQLite: only once it had answered.
    expect(events).toEqual(['reply', 'exit']);
    expect(reads.close()).toBe(closing); // one close, however often asked
  }, 60_000);

  it('end a statement past its deadline inside SQLite, row by row, and keep the thread for the next read', async () => {
    const { store, path } = await filledStore();
    await store.close();
    const hand = handSchedule(); // never expired by hand here: only the thread's own check can refuse
    const reads = new SqliteReadThread({ path, busyTimeoutMs: 1000 }, { timeoutMs: 0, schedule: hand.schedule });
    const threads = threadsOf(reads);
    try {
      // A scan (every row visited), a page, a summary: each past its deadline at its first row.
      expect(await outcome(reads.countAccessLogs({ sub: 'nobody' }))).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' });
      expect(await outcome(reads.queryAccessLogs({ role: 'ato:admin' }, { first: 5 }))).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' });
      expect(await outcome(reads.summarizeAccessLogs({}))).toEqual({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' });
      // A read the index answers without visiting a row is not refused, and the same thread answers it.
      expect(await outcome(reads.countAccessLogs({ productId: 'PRD-NONE' }))).toEqual({ value: 0 });
      expect(threads).toHaveLength(1);
    } finally {
      await reads.close();
    }
  }, 60_000);

  it('fail closed with StoreUnavailableError when the thread cannot read the file, and refuse once closed', async () => {
    const reads = new SqliteReadThread({ path: join(dir, 'no-such.db'), busyTimeoutMs: 1000 });
    const failed = (read: Promise<unknown>) => read.then(() => 'answered', (err: unknown) => err);
    expect(await failed(reads.countAccessLogs({}))).toBeInstanceOf(StoreUnavailableError);
    const pending = failed(reads.summarizeAccessLogs({}));
    await reads.close();
    expect(await pending).toBeInstanceOf(StoreUnavailableError);
    expect(await failed(reads.countAccessLogs({}))).toBeInstanceOf(StoreUnavailableError);
  }, 60_000);
});
