/**
 * serveBatch (store/sqlite/write-thread/serve-batch.ts) against the same calls committed one at a
 * time, as the write thread did before: the same answers and the same rows, a lock held by
 * another process waited for, a refusal kept when the run fails. From a helper's review of the
 * change (session 34), whose two findings the third and fourth tests held before they were fixed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { jest } from '@jest/globals';
import type Database from 'better-sqlite3';
import type { RateLimiterSQLite } from 'rate-limiter-flexible';
import { openDatabase } from '../../../store/sqlite/connection.js';
import { createSqliteRateLimiter } from '../../../store/sqlite/counters.js';
import { runMigrations } from '../../../store/sqlite/migrations.js';
import { limiterReply, serveBatch, type ServeBatchDeps } from '../../../store/sqlite/write-thread/serve-batch.js';
import type { LimiterMethod, ThreadReply, ThreadRequest } from '../../../store/sqlite/write-thread/protocol.js';

const require = createRequire(import.meta.url);
const call = (id: number, method: LimiterMethod, args: unknown[], limiterId = 1): ThreadRequest => ({ id, op: 'limiter', limiterId, method, args });

interface Env {
  dir: string;
  path: string;
  counters: Database.Database | null;
  other: Database.Database;
  limiters: Map<number, RateLimiterSQLite>;
  deps: ServeBatchDeps;
  handle(r: ThreadRequest): Promise<ThreadReply>;
}

function env(busyTimeoutMs = 0): Env {
  const dir = mkdtempSync(join(tmpdir(), 'sbr-'));
  const path = join(dir, 'store.db');
  const other = openDatabase(path, { busyTimeoutMs: 0 });
  runMigrations(other);
  const e = { dir, path, other, counters: openDatabase(path, { sqliteSync: 'off', busyTimeoutMs }), limiters: new Map() } as Env;
  e.limiters.set(1, createSqliteRateLimiter(e.counters!, { keyPrefix: 'dpop-jti', points: 1, duration: 60 }));
  e.limiters.set(2, createSqliteRateLimiter(e.counters!, { keyPrefix: 'rl', points: 5, duration: 60 }));
  // Mirrors worker.ts handle(): refusals are `limited`, SQLite errors other than BUSY/LOCKED/CONSTRAINT drop the connection.
  e.handle = async (r) => {
    if (r.op !== 'limiter') return { id: r.id, ok: true };
    try {
      return await limiterReply(r.id, e.limiters.get(r.limiterId) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>, r);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code && /^SQLITE_/.test(code) && !/^SQLITE_(BUSY|LOCKED|CONSTRAINT)/.test(code)) e.deps.dropConnections();
      return { id: r.id, ok: false, error: { name: 'SqliteError', message: (err as Error).message, ...(code ? { code } : {}) } };
    }
  };
  e.deps = {
    handle: (r) => e.handle(r),
    counters: () => e.counters,
    dropConnections: () => {
      e.counters?.close();
      e.counters = null;
    },
  };
  return e;
}
function dispose(e: Env) {
  e.counters?.close();
  e.other.close();
  rmSync(e.dir, { recursive: true, force: true });
}
const perCall = async (e: Env, batch: ThreadRequest[]) => {
  const out: ThreadReply[] = [];
  for (const r of batch) out.push(await e.handle(r));
  return out;
};

describe('serveBatch against the same calls committed one at a time', () => {
  afterEach(() => jest.restoreAllMocks());

  it('every limiter method mixed in one message answers as one call at a time does, with the same rows (one jti twice included)', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    const batch = [
      call(1, 'consume', ['jti-a', 1]), call(2, 'consume', ['jti-a', 1]), call(3, 'get', ['jti-a']), call(4, 'delete', ['jti-a']),
      call(5, 'consume', ['jti-a', 1]), call(6, 'consume', ['k', 2], 2), call(7, 'penalty', ['k', 2], 2), call(8, 'reward', ['k', 1], 2),
      call(9, 'consume', ['k', 3], 2), call(10, 'block', ['k', 30], 2), call(11, 'consume', ['k', 1], 2), call(12, 'set', ['k', 1, 30], 2),
      call(13, 'get', ['k'], 2), call(14, 'consume', ['k', 1], 2), call(15, 'get', ['missing'], 2), call(16, 'delete', ['missing'], 2),
    ];
    const a = env(); const b = env();
    try {
      const grouped = await serveBatch(batch, a.deps);
      const single = await perCall(b, batch);
      expect(grouped).toEqual(single);
      expect(grouped[1]).toMatchObject({ ok: false, limited: {} }); // second use of one jti refused in the same message
      const dump = (d: Database.Database) => d.prepare('SELECT key, points, expire FROM rate_limits ORDER BY key').all();
      expect(dump(a.other)).toEqual(dump(b.other));
    } finally { dispose(a); dispose(b); }
  });

  it('no timer or immediate runs while the run\'s transaction is open', async () => {
    const e = env();
    try {
      const seen: boolean[] = [];
      setTimeout(() => seen.push(e.counters!.inTransaction), 0);
      setImmediate(() => seen.push(e.counters!.inTransaction));
      const replies = await serveBatch(Array.from({ length: 300 }, (_, i) => call(i, 'consume', [`j${i}`, 1])), e.deps);
      expect(replies.every((r) => r.ok)).toBe(true);
      await new Promise((r) => setTimeout(r, 5));
      expect(seen).toEqual([false, false]);
    } finally { dispose(e); }
  });

  it('a run that starts with get still waits (busy_timeout) for a write lock another process holds, as one call at a time does', async () => {
    const e = env(3000);
    const b = env(3000);
    // Another process (here: a thread with its own connection) holds the write lock for 300 ms. It
    // lets go by itself: this thread is inside SQLite's busy handler meanwhile and can send nothing.
    // The assertion is what is answered, not how long it took (busy_timeout 3000 ≫ 300).
    const holder = (path: string) => new Worker(`
      const { parentPort } = require('node:worker_threads');
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(path)}); db.pragma('busy_timeout = 3000');
      db.exec('BEGIN IMMEDIATE'); db.prepare("INSERT INTO rate_limits (key, points, expire) VALUES ('x', 1, NULL)").run();
      parentPort.postMessage('locked');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      db.exec('COMMIT'); db.close(); parentPort.postMessage('done');`, { eval: true });
    const run = async (x: Env, serve: (batch: ThreadRequest[]) => Promise<ThreadReply[]>) => {
      const w = holder(x.path);
      const done = new Promise((r) => w.on('message', (m) => m === 'done' && r(null)));
      await new Promise((r) => w.once('message', r));
      const replies = await serve([call(1, 'get', ['k'], 2), call(2, 'consume', ['k', 1], 2)]);
      await done; await w.terminate();
      return replies;
    };
    try {
      const single = await run(b, (batch) => perCall(b, batch));
      expect(single.map((r) => r.ok)).toEqual([true, true]); // per call: the consume waited for the lock
      const grouped = await run(e, (batch) => serveBatch(batch, e.deps));
      expect(grouped.map((r) => r.ok)).toEqual([true, true]); // SQLITE_BUSY at once when the run began with its get
    } finally { dispose(e); dispose(b); }
  });

  it('a refusal given inside a run stays a refusal when a later call of the run fails (an error would be failing open)', async () => {
    const e = env();
    try {
      await serveBatch([call(1, 'consume', ['jti-z', 1])], e.deps); // seen once, committed
      const failing: ServeBatchDeps = {
        ...e.deps,
        handle: async (r) => {
          if (r.id !== 3) return e.handle(r);
          e.deps.dropConnections(); // an I/O error on the next call, handle()'s error path
          return { id: r.id, ok: false, error: { name: 'SqliteError', message: 'disk I/O error', code: 'SQLITE_IOERR' } };
        },
      };
      const replies = await serveBatch([call(2, 'consume', ['jti-z', 1]), call(3, 'consume', ['k', 1], 2)], failing);
      // Per-call commits: a replay (or quota) refusal. Grouped: an error, which the quotas' RLWrapperTimeouts
      // hands to the in-memory insurance limiter (a fresh per-process window: allowed).
      expect(replies[0]).toMatchObject({ ok: false, limited: { consumedPoints: 2 } });
    } finally { dispose(e); }
  });

  it('a disk full mid-run (a real failing statement): no allowance stands without its commit', async () => {
    const e = env();
    try {
      const pages = e.counters!.pragma('page_count', { simple: true }) as number;
      e.counters!.pragma(`max_page_count = ${pages}`);
      const batch = Array.from({ length: 400 }, (_, i) => call(i, 'consume', [`jti-${'x'.repeat(200)}-${i}`, 1]));
      const replies = await serveBatch(batch, e.deps);
      const stored = e.other.prepare('SELECT count(*) FROM rate_limits').pluck().get() as number;
      const ok = replies.filter((r) => r.ok).length;
      expect(replies.some((r) => 'error' in r && r.error.code === 'SQLITE_FULL')).toBe(true);
      expect(ok).toBeLessThanOrEqual(stored);
    } finally { dispose(e); }
  });
});
