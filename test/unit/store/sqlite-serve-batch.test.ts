/**
 * The write thread's message loop (store/sqlite/write-thread/serve-batch.ts): consecutive limiter
 * calls share one transaction on the counters' connection, which ends before any other request
 * runs; its replies stand only if it commits. Real connections on a real file in WAL mode, the
 * real RateLimiterSQLite; the requests' handler stands in for the worker's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type Database from 'better-sqlite3';
import type { RateLimiterSQLite } from 'rate-limiter-flexible';
import { RateLimiterRes, RateLimiterSQLite as RateLimiterSQLiteClass } from 'rate-limiter-flexible';
import { openDatabase } from '../../../store/sqlite/connection.js';
import { createSqliteRateLimiter } from '../../../store/sqlite/counters.js';
import { runMigrations } from '../../../store/sqlite/migrations.js';
import { limiterReply, serveBatch, type ServeBatchDeps } from '../../../store/sqlite/write-thread/serve-batch.js';
import type { ThreadReply, ThreadRequest } from '../../../store/sqlite/write-thread/protocol.js';

const consume = (id: number, key: string): ThreadRequest => ({ id, op: 'limiter', limiterId: 1, method: 'consume', args: [key, 1] });
const other = (id: number): ThreadRequest => ({ id, op: 'checkpoint', checkpoint: {} as never });

describe('serveBatch: the write thread serving one message', () => {
  let dir: string;
  let path: string;
  let counters: Database.Database | null;
  let log: Database.Database;
  let limiter: RateLimiterSQLite;
  /** What the stand-in handler does for a request that is not a limiter call; default: nothing. */
  let onOther: (request: ThreadRequest) => void;
  let dropped: number;

  const handle = async (request: ThreadRequest): Promise<ThreadReply> => {
    if (request.op !== 'limiter') {
      try {
        onOther(request);
        return { id: request.id, ok: true };
      } catch (err) {
        return { id: request.id, ok: false, error: { name: 'Error', message: (err as Error).message, code: (err as { code?: string }).code } };
      }
    }
    try {
      return await limiterReply(request.id, limiter as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>, request);
    } catch (err) {
      return { id: request.id, ok: false, error: { name: 'Error', message: (err as Error).message } };
    }
  };
  const deps: ServeBatchDeps = {
    handle: (r) => handle(r),
    counters: () => counters,
    dropConnections: () => {
      dropped++;
      counters?.close();
      counters = null;
    },
  };
  /** The WAL's frames since it last started over (a PASSIVE checkpoint copies them but the count stays). */
  const walFrames = () => (log.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;
  /** The points a key holds, read through another connection: what was committed. */
  const storedPoints = (key: string) => (log.prepare('SELECT points FROM rate_limits WHERE key = ?').pluck().get(`rl:${key}`) as number | undefined) ?? 0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'serve-batch-'));
    path = join(dir, 'store.db');
    log = openDatabase(path, { busyTimeoutMs: 0 });
    runMigrations(log);
    counters = openDatabase(path, { sqliteSync: 'off', busyTimeoutMs: 0 });
    limiter = createSqliteRateLimiter(counters, { keyPrefix: 'rl', points: 1000, duration: 60 });
    onOther = () => undefined;
    dropped = 0;
    // Start the WAL over, so each test counts only its own frames.
    log.pragma('wal_checkpoint(TRUNCATE)');
  });
  afterEach(() => {
    counters?.close();
    log.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits a run of limiter calls once: one page in the WAL, not one per call, every count kept', async () => {
    const replies = await serveBatch([1, 2, 3, 4, 5, 6, 7, 8].map((id) => consume(id, 'k')), deps);
    expect(replies.map((r) => r.ok)).toEqual(Array(8).fill(true));
    expect(replies.map((r) => (r.ok ? (r.value as { consumedPoints: number }).consumedPoints : null))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(storedPoints('k')).toBe(8);
    expect(counters!.inTransaction).toBe(false);
    // Eight commits wrote the counters' page eight times.
    expect(walFrames()).toBeLessThanOrEqual(2);
  });

  it('ends the transaction before a request of another kind, which can then write the same file', async () => {
    const written: boolean[] = [];
    onOther = () => {
      // The access log's connection, which never waits (busy_timeout 0): SQLITE_BUSY if the counters still held the lock.
      log.prepare("INSERT INTO registry_revision (id, revision) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET revision = revision + 1").run();
      written.push(true);
    };
    const replies = await serveBatch([consume(1, 'a'), consume(2, 'a'), other(3), consume(4, 'a'), consume(5, 'a')], deps);
    expect(replies.map((r) => [r.id, r.ok])).toEqual([[1, true], [2, true], [3, true], [4, true], [5, true]]);
    expect(written).toEqual([true]);
    expect(storedPoints('a')).toBe(4);
    expect(counters!.inTransaction).toBe(false);
  });

  it('begins with the second call when the first opened the connection', async () => {
    const opened = counters!;
    counters = null;
    const batch = [consume(1, 'b'), consume(2, 'b'), consume(3, 'b')];
    let calls = 0;
    const opening: ServeBatchDeps = {
      ...deps,
      handle: async (r) => {
        if (calls++ === 0) counters = opened;
        return handle(r);
      },
    };
    const replies = await serveBatch(batch, opening);
    expect(replies.every((r) => r.ok)).toBe(true);
    expect(storedPoints('b')).toBe(3);
    // The first call's commit and the other two's together.
    expect(walFrames()).toBeLessThanOrEqual(3);
    expect(opened.inTransaction).toBe(false);
  });

  it('a refusal is an answer like any other inside the run', async () => {
    const small = createSqliteRateLimiter(counters!, { keyPrefix: 'small', points: 2, duration: 60 });
    const before = limiter;
    limiter = small;
    const replies = await serveBatch([consume(1, 'c'), consume(2, 'c'), consume(3, 'c')], deps);
    limiter = before;
    expect(replies.map((r) => r.ok)).toEqual([true, true, false]);
    expect(replies[2]).toMatchObject({ ok: false, limited: { remainingPoints: 0 } });
    expect(log.prepare("SELECT points FROM rate_limits WHERE key = 'small:c'").pluck().get()).toBe(3);
  });

  it("a COMMIT that fails makes every reply of its run an error, and the connections are dropped", async () => {
    // A deferred foreign key is checked at COMMIT: the run's last call leaves one broken.
    counters!.exec('CREATE TABLE IF NOT EXISTS fk_parent (id INTEGER PRIMARY KEY); CREATE TABLE IF NOT EXISTS fk_child (p INTEGER REFERENCES fk_parent (id) DEFERRABLE INITIALLY DEFERRED)');
    const breaking: ServeBatchDeps = {
      ...deps,
      handle: async (r) => {
        const reply = await handle(r);
        if (r.id === 3) counters!.exec('INSERT INTO fk_child (p) VALUES (42)');
        return reply;
      },
    };
    const replies = await serveBatch([other(1), consume(2, 'd'), consume(3, 'd'), other(4)], breaking);
    expect(replies.map((r) => [r.id, r.ok])).toEqual([[1, true], [2, false], [3, false], [4, true]]);
    expect(replies[1]).toMatchObject({ ok: false, error: { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' } });
    expect(dropped).toBe(1);
    expect(storedPoints('d')).toBe(0);
  });

  it('a connection dropped during the run (after an error) makes the replies given before it errors too', async () => {
    const failing: ServeBatchDeps = {
      ...deps,
      handle: async (r) => {
        if (r.id !== 3) return handle(r);
        deps.dropConnections();
        return { id: r.id, ok: false, error: { name: 'SqliteError', message: 'disk I/O error', code: 'SQLITE_IOERR' } };
      },
    };
    const replies = await serveBatch([consume(1, 'e'), consume(2, 'e'), consume(3, 'e')], failing);
    expect(replies.map((r) => r.ok)).toEqual([false, false, false]);
    expect(replies[0]).toMatchObject({ error: { code: 'SQLITE_ABORT' } });
    expect(replies[2]).toMatchObject({ error: { code: 'SQLITE_IOERR' } });
    expect(storedPoints('e')).toBe(0);
  });
});

describe("the counters' view of the connection", () => {
  // The view runs the library's transaction function without a transaction of its own, which is
  // right only while that function is one statement: a later rate-limiter-flexible that put more
  // in it would lose its atomicity silently. This fails first.
  it("rate-limiter-flexible's upsert for better-sqlite3 is still one statement in its transaction function", async () => {
    const prepared: string[] = [];
    let inside = false;
    const statements: string[] = [];
    const conn = {
      transaction: (fn: () => unknown) => () => {
        inside = true;
        try {
          return fn();
        } finally {
          inside = false;
        }
      },
      prepare: (sql: string) => {
        prepared.push(sql);
        return { get: () => (inside ? void statements.push(sql) : undefined) ?? { points: 1, expire: null }, run: () => ({ changes: 1 }) };
      },
    };
    const proto = RateLimiterSQLiteClass.prototype as unknown as { _upsertTransactionBetterSQLite3(conn: unknown, q: string, p: unknown[]): Promise<unknown> };
    await proto._upsertTransactionBetterSQLite3.call({}, conn, 'INSERT INTO t (key) VALUES (?) RETURNING points, expire', ['k']);
    expect(statements).toEqual(['INSERT INTO t (key) VALUES (?) RETURNING points, expire']);
    expect(prepared).toHaveLength(1);
  });

  it('builds no transaction function per call: each upsert runs as the one statement it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'counters-view-'));
    const db = openDatabase(join(dir, 'store.db'), { sqliteSync: 'off' });
    try {
      runMigrations(db);
      const spy = jest.spyOn(db, 'transaction');
      const limiter = createSqliteRateLimiter(db, { keyPrefix: 'v', points: 10, duration: 60 });
      for (let i = 0; i < 5; i++) await limiter.consume('x');
      expect(spy).not.toHaveBeenCalled();
      expect(db.prepare("SELECT points FROM rate_limits WHERE key = 'v:x'").pluck().get()).toBe(5);
      // Inside a transaction the statement is undone with it.
      db.exec('BEGIN');
      await limiter.consume('x', 3);
      db.exec('ROLLBACK');
      expect(db.prepare("SELECT points FROM rate_limits WHERE key = 'v:x'").pluck().get()).toBe(5);
      await expect(limiter.consume('x', 6)).rejects.toBeInstanceOf(RateLimiterRes);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
