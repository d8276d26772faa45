/** What only the SQLite adapter promises: pragmas, migrations, append-only history, cascades, error translation. */
import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../../store/index.js';
import { StoreUnavailableError } from '../../../store/port.js';
import { MIGRATIONS, runMigrations } from '../../../store/sqlite/migrations.js';
import { openDatabase } from '../../../store/sqlite/connection.js';
import { SqliteAccessLogWrites } from '../../../store/sqlite/access-log-writes.js';
import { waitFor } from '../../helpers/wait.js';
import { SqliteStore } from '../../../store/sqlite/index.js';
import { FALLBACK_FOLD_MAX } from '../../../store/sqlite/sqlite-store.js';
import { SqliteWriteThread } from '../../../store/sqlite/write-thread/client.js';
import { note, sampleDeveloper, sampleHead, sampleRecord } from '../../contract/samples.js';
import { chainBatch, computeRecordHash, prepareRecord, PREPARED_COLUMNS } from '../../../audit/chain.js';
import { GENESIS_HASH, indexedColumnsOf, type Checkpoint } from '../../../audit/record.js';
import { verifyAccessLog, verifyStoredChain } from '../../../audit/verify-store.js';
import { insertRowCopy } from '../../integration/support/access-log-sqlite.js';
import { preparedBatch, sampleRecord as accessRecord, testSigningKey } from '../audit/fixtures.js';
import { nextLedgerBody, sealLedgerEntry } from '../../../audit/ledger.js';

const dir = mkdtempSync(join(tmpdir(), 'dsp-sqlite-unit-'));
const opened: SqliteStore[] = [];

async function open(path: string, sqliteSync?: 'full' | 'normal'): Promise<SqliteStore> {
  const store = await createStore(`sqlite:${path}`, sqliteSync ? { sqliteSync } : {});
  expect(store).toBeInstanceOf(SqliteStore);
  opened.push(store as SqliteStore);
  return store as SqliteStore;
}

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('createStore with sqlite URLs', () => {
  it('creates the parent directory of the database file', async () => {
    const file = join(dir, 'nested/deeper/dsp.db');
    await open(file);
    expect(existsSync(file)).toBe(true);
  });

  it('opens an in-memory database for sqlite::memory:', async () => {
    const store = await createStore('sqlite::memory:');
    opened.push(store as SqliteStore);
    expect(store).toBeInstanceOf(SqliteStore);
    expect((store as SqliteStore).diagnostics().journalMode).toBe('memory');
  });

  it('refuses an unknown scheme', async () => {
    await expect(createStore('postgres://localhost/dsp')).rejects.toThrow(Error);
    await expect(createStore('sqlite:')).rejects.toThrow(Error);
  });
});

describe('pragmas and migrations', () => {
  it('runs in WAL with foreign keys, a busy timeout and FULL sync by default', async () => {
    const d = (await open(join(dir, 'pragmas.db'))).diagnostics();
    expect(d).toMatchObject({ journalMode: 'wal', synchronous: 2, foreignKeys: 1, busyTimeoutMs: 5000 });
  });

  it('uses NORMAL sync when asked', async () => {
    expect((await open(join(dir, 'normal.db'), 'normal')).diagnostics().synchronous).toBe(1);
  });

  it('records every migration once and re-opening applies none again', async () => {
    const file = join(dir, 'migrations.db');
    const first = await open(file);
    await first.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper('DEV-1'), note: note() });
    await first.close();
    const again = await open(file);
    expect(again.diagnostics().migrations).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await again.currentRevision()).toBe(1);
    await again.init();
    expect(await again.developerById('DEV-1')).not.toBeNull();
  });

  it('refuses, changing nothing, a file migrated by a newer version (a downgrade): it may hold what this version cannot see', async () => {
    const file = join(dir, 'newer.db');
    await (await open(file)).close();
    const raw = new Database(file);
    try {
      raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from-the-future', '2027-01-01T00:00:00.000Z');
      raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(1000, 'further', '2027-01-01T00:00:00.000Z');
      // Listed in number order (as text, 1000 would come first).
      await expect(new SqliteStore({ path: file }).init()).rejects.toThrow(/schema migrations this version does not know \(999, 1000\)/);
      expect(raw.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual([...MIGRATIONS.map((m) => m.version), 999, 1000]);
      // A version that knows migrations 999 and 1000 opens the file.
      expect(runMigrations(raw, [...MIGRATIONS, { version: 999, name: 'from-the-future', sql: 'SELECT 1' }, { version: 1000, name: 'further', sql: 'SELECT 1' }])).toEqual([]);
    } finally {
      raw.close();
    }
  });

  it('refuses, changing nothing, a file whose migration of a known number has another name (another build)', async () => {
    const file = join(dir, 'other-build.db');
    await (await open(file)).close();
    const raw = new Database(file);
    try {
      const last = MIGRATIONS[MIGRATIONS.length - 1]!;
      raw.prepare('UPDATE schema_migrations SET name = ? WHERE version = ?').run('something-else', last.version);
      await expect(new SqliteStore({ path: file }).init()).rejects.toThrow(`schema migrations this version does not know (${last.version} 'something-else', here '${last.name}')`);
      expect(raw.prepare('SELECT name FROM schema_migrations WHERE version = ?').pluck().get(last.version)).toBe('something-else');
    } finally {
      raw.close();
    }
  });
});

describe('tables as evidence', () => {
  const file = join(dir, 'evidence.db');
  let store: SqliteStore;
  let raw: Database.Database;
  beforeAll(async () => {
    store = await open(file);
    raw = new Database(file);
    raw.pragma('foreign_keys = ON');
  });
  afterAll(() => raw.close());

  it('refuses to rewrite or delete registry history', async () => {
    await store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper('DEV-H'), note: note() });
    expect(() => raw.prepare("UPDATE registry_history SET doc = '{}'").run()).toThrow(/append-only/);
    expect(() => raw.prepare('DELETE FROM registry_history').run()).toThrow(/append-only/);
    expect(await store.historyOf('DEVELOPER', 'DEV-H')).toHaveLength(1);
  });

  it('returns an altered record as altered, and a deleted record takes its codes and clients with it', async () => {
    await store.openChain(sampleHead('chain-t'));
    await store.appendAccessRecords([1, 2, 3].map((seq) => sampleRecord('chain-t', seq, { decision: 'DENIED', errorCodes: ['PRODUCT_SUSPENDED'], clientDigests: ['d-1'] })));
    raw.prepare("UPDATE access_records SET record = json_set(record, '$.org', '99999999999') WHERE chain_id = 'chain-t' AND seq = 1").run();
    raw.prepare("DELETE FROM access_records WHERE chain_id = 'chain-t' AND seq = 2").run();
    const chain = await store.readChain('chain-t', 1, 3);
    expect(chain.map((r) => r.seq)).toEqual([1, 3]);
    expect(chain[0]!.org).toBe('99999999999');
    expect((await store.queryAccessLogs({ errorCode: 'PRODUCT_SUSPENDED' }, { first: 10 })).records.map((r) => r.seq).sort()).toEqual([1, 3]);
    expect((await store.queryAccessLogs({ clientDigest: 'd-1' }, { first: 10 })).records).toHaveLength(2);
    expect(raw.prepare('SELECT COUNT(*) FROM access_record_codes').pluck().get()).toBe(2);
  });
});

describe('errors', () => {
  it('answers StoreUnavailableError once closed', async () => {
    const store = await open(join(dir, 'closed.db'));
    await store.close();
    await expect(store.currentRevision()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.appendAccessRecords([sampleRecord('c', 1)])).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('answers StoreUnavailableError when another process holds the write lock past the busy timeout', async () => {
    const file = join(dir, 'locked.db');
    await open(file);
    const quick = new SqliteStore({ path: file, busyTimeoutMs: 50 });
    await quick.init();
    opened.push(quick);
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      await expect(quick.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper('DEV-L'), note: note() })).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect(await quick.developerById('DEV-L')).toBeNull();
  });

  it('refuses a malformed access-log cursor with BAD_USER_INPUT', async () => {
    const store = await open(join(dir, 'cursor.db'));
    await expect(store.queryAccessLogs({}, { first: 1, after: 'bm90LWEta2V5' })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    await expect(store.queryAccessLogs({ from: 'yesterday' }, { first: 1 })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const cursor = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url');
    for (const key of [[0, '9223372036854775808'], [0, '1e3'], [0, ' 1'], [0, 1.5], ['0', '1'], [0, '1', 2]]) {
      await expect(store.queryAccessLogs({}, { first: 1, after: cursor(key) })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    }
    // The largest row id, and a cursor from before row ids were written as text, are taken.
    for (const key of [[0, '9223372036854775807'], [0, '-9223372036854775808'], [0, 12]]) expect(await store.queryAccessLogs({}, { first: 1, after: cursor(key) })).toEqual({ records: [], nextCursor: null });
  });
});

describe('the access-log writer path (prepared batches, chained and stored without parsing)', () => {
  const key = Buffer.alloc(32, 7);
  const records = [
    accessRecord(1),
    { ...accessRecord(2), errorCodes: ['RATE_LIMITED', 'FIELD_NOT_AUTHORISED', 'RATE_LIMITED'], clientDigests: ['z'.repeat(43), 'a'.repeat(43)], decision: 'DENIED' as const },
    { ...accessRecord(3), manifest: { mode: 'ENFORCE' as const, version: 2, entry: 'GetClient' } },
  ];
  const batchOf = (chainId: string) => {
    const prepared = records.map((r, i) => prepareRecord(r, chainId, i + 1));
    return preparedBatch(chainId, { seq: 0, hash: GENESIS_HASH }, key, prepared);
  };
  /** One number from a raw reader of the file (no fold). */
  const rawCount = (file: string, sql: string, ...params: unknown[]) => {
    const raw = new Database(file, { readonly: true });
    try {
      return raw.prepare(sql).pluck().get(...params) as number;
    } finally {
      raw.close();
    }
  };
  /** A chain's rows the event loop staged and nobody has folded yet. */
  const stagedOf = (file: string, chainId: string) => rawCount(file, 'SELECT COUNT(*) FROM access_staged WHERE chain_id = ?', chainId);
  /** A chain's committed rows: in access_records, or staged. */
  const rowsOf = (file: string, chainId: string) => rawCount(file, 'SELECT (SELECT COUNT(*) FROM access_records WHERE chain_id = @c) + (SELECT COUNT(*) FROM access_staged WHERE chain_id = @c)', { c: chainId });
  /** The first two records: a batch the event loop commits (commitNowMax). */
  const small = (chainId: string) => {
    const b = batchOf(chainId);
    return { ...b, records: b.records.slice(0, 2), prepared: { cuts: b.prepared!.cuts.slice(0, 2), columns: b.prepared!.columns.slice(0, 2 * PREPARED_COLUMNS.length) } };
  };

  it('stores what chainBatch gives, with the indexed columns the verifier expects, and a retry changes nothing', async () => {
    const store = await open(join(dir, 'prepared.db'));
    await store.openChain(sampleHead('chain-p'));
    const batch = batchOf('chain-p');
    const hashes = await store.appendToChain(batch);
    expect(await store.appendToChain(batch)).toEqual(hashes);
    const stored = await store.readChain('chain-p', 1, 10);
    expect(stored).toEqual(chainBatch(batch));
    expect(stored.map((r) => r.hash)).toEqual(hashes);
    expect(stored.every((r) => computeRecordHash(r, key) === r.hash)).toBe(true);
    expect(await store.indexedColumnsOf('chain-p', 1, 10)).toEqual(stored.map(indexedColumnsOf));
    expect((await store.listChains()).find((h) => h.chainId === 'chain-p')).toMatchObject({ lastSeq: 3, lastHash: hashes[2] });
    expect(await store.countAccessLogs({ errorCode: 'FIELD_NOT_AUTHORISED' })).toBe(1);
    expect(await store.countAccessLogs({ decision: 'DENIED' })).toBe(1);
  });

  it('registers a chain nobody opened from its first record', async () => {
    const store = await open(join(dir, 'prepared-unopened.db'));
    const hashes = await store.appendToChain(batchOf('chain-u'));
    expect((await store.listChains()).find((h) => h.chainId === 'chain-u')).toMatchObject({ lastSeq: 3, lastHash: hashes[2], instanceId: records[0]!.instanceId });
  });

  describe('small batches commit on the calling thread (commitNowMax)', () => {
    it('commits a batch of two before appendToChain returns, as the write thread would store it, at the same durability', async () => {
      const file = join(dir, 'now.db');
      const store = await open(file);
      await store.openChain(sampleHead('chain-n'));
      const batch = small('chain-n');
      const pending = store.appendToChain(batch);
      expect(rowsOf(file, 'chain-n')).toBe(2); // committed already, before this thread yields to the write thread
      expect(stagedOf(file, 'chain-n')).toBe(2); // into access_staged (two pages, not eleven)
      const hashes = await pending;
      expect(hashes).toEqual(chainBatch(batch).map((r) => r.hash));
      expect(await store.readChain('chain-n', 1, 10)).toEqual(chainBatch(batch));
      expect(stagedOf(file, 'chain-n')).toBe(0); // the read folded them first
      expect(rowsOf(file, 'chain-n')).toBe(2);
      expect(await store.indexedColumnsOf('chain-n', 1, 10)).toEqual(chainBatch(batch).map(indexedColumnsOf));
      expect((await store.listChains()).find((h) => h.chainId === 'chain-n')).toMatchObject({ lastSeq: 2, lastHash: hashes[1] });
      expect(await store.countAccessLogs({ errorCode: 'FIELD_NOT_AUTHORISED' })).toBe(1);
      // FULL, as the store's other connections; never waits for a lock; SQLite's automatic WAL checkpoint (see sqlite-commit-now-attack.test.ts).
      expect(store.diagnostics().commitNow).toEqual({ synchronous: 2, busyTimeoutMs: 0, walAutocheckpoint: 1000 });
      expect((await open(join(dir, 'now-normal.db'), 'normal')).diagnostics().commitNow).toMatchObject({ synchronous: 1 });
    });

    it('hands larger batches, batches with a checkpoint and commitNowMax 0 to the write thread', async () => {
      const file = join(dir, 'now-thread.db');
      const store = await open(file);
      // Which batches the write thread is handed, as appendToChain hands them over (before it
      // returns): reading the file instead would race the thread's own commit.
      const toThread = jest.spyOn(SqliteWriteThread.prototype, 'appendToChain');
      try {
        const three = store.appendToChain(batchOf('chain-3'));
        expect(toThread.mock.calls.map(([b]) => b.chainId)).toEqual(['chain-3']);
        await three;
        expect(rowsOf(file, 'chain-3')).toBe(3);
        const withCheckpoint = store.appendToChain(small('chain-c'), [{ chainId: 'chain-c', seq: 0, hash: GENESIS_HASH, time: '2026-12-04T10:00:00.000Z', signature: 'sig', n: 1, final: false }]);
        expect(toThread.mock.calls.map(([b]) => b.chainId)).toEqual(['chain-3', 'chain-c']);
        await withCheckpoint;
        expect(rowsOf(file, 'chain-c')).toBe(2);
        const off = new SqliteStore({ path: join(dir, 'now-off.db'), commitNowMax: 0 });
        await off.init();
        opened.push(off);
        expect(off.diagnostics().commitNow).not.toBeNull();
        const lone = off.appendToChain(small('chain-o'));
        expect(toThread.mock.calls.map(([b]) => b.chainId)).toEqual(['chain-3', 'chain-c', 'chain-o']);
        await lone;
        expect(rowsOf(join(dir, 'now-off.db'), 'chain-o')).toBe(2);
        // A small batch without a checkpoint, on a store that commits such at once, is not handed over.
        await store.appendToChain(small('chain-s'));
        expect(toThread).toHaveBeenCalledTimes(3);
      } finally {
        toThread.mockRestore();
      }
    });

    it('does not wait while another connection holds the write lock: the write thread commits once it is free', async () => {
      const file = join(dir, 'now-locked.db');
      // A busy timeout longer than the test's own: the calling thread waiting for the lock would time the test out.
      const store = new SqliteStore({ path: file, busyTimeoutMs: 120_000 });
      await store.init();
      opened.push(store);
      const holder = new Database(file);
      holder.exec('BEGIN IMMEDIATE');
      let pending: Promise<string[]>;
      try {
        pending = store.appendToChain(small('chain-l'));
        expect(rowsOf(file, 'chain-l')).toBe(0);
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      expect(await pending).toEqual(chainBatch(small('chain-l')).map((r) => r.hash));
      expect(rowsOf(file, 'chain-l')).toBe(2);
    });
  });

  describe('lone records staged by the event loop (access_staged), folded into access_records', () => {
    /** A file with migrations applied and `use` run on a plain connection (no store, no write thread), then closed: what a crash leaves. */
    const fileWith = (name: string, use: (writes: SqliteAccessLogWrites, db: Database.Database) => void) => {
      const file = join(dir, name);
      const db = openDatabase(file);
      try {
        runMigrations(db);
        use(new SqliteAccessLogWrites(db), db);
      } finally {
        db.close();
      }
      return file;
    };

    it('every read of the access log folds first: each sees, with its codes and clients, a record staged just before it', async () => {
      const file = join(dir, 'staged-reads.db');
      const store = await open(file);
      const rateLimited = () => store.countAccessLogs({ errorCode: 'RATE_LIMITED' });
      const reads: Array<[string, (chainId: string) => Promise<unknown>, (chainId: string, result: unknown, before: number) => void]> = [
        ['queryAccessLogs', () => store.queryAccessLogs({ clientDigest: 'a'.repeat(43) }, { first: 50 }), (c, r) => expect((r as { records: Array<{ chainId: string; seq: number }> }).records.filter((x) => x.chainId === c).map((x) => x.seq)).toEqual([2])],
        ['countAccessLogs', () => rateLimited(), (_c, r, before) => expect(r).toBe(before + 1)],
        ['summarizeAccessLogs', () => store.summarizeAccessLogs({ decision: 'DENIED' }), (_c, r, before) => expect((r as { total: number }).total).toBe(before + 1)],
        ['readChain', (c) => store.readChain(c, 1, 10), (c, r) => expect(r).toEqual(chainBatch(small(c)))],
        ['indexedColumnsOf', (c) => store.indexedColumnsOf(c, 1, 10), (c, r) => expect(r).toEqual(chainBatch(small(c)).map(indexedColumnsOf))],
        ['chainIdsWithData', () => store.chainIdsWithData(), (c, r) => expect(r).toContain(c)],
        ['listChains', () => store.listChains(), (c, r) => expect((r as Array<{ chainId: string; lastSeq: number }>).find((h) => h.chainId === c)).toMatchObject({ lastSeq: 2 })],
      ];
      for (const [name, read, check] of reads) {
        const chainId = `chain-fold-${name}`;
        const before = await rateLimited(); // one of the two records is DENIED with RATE_LIMITED
        await store.appendToChain(small(chainId));
        expect({ name, staged: stagedOf(file, chainId) }).toEqual({ name, staged: 2 });
        const result = await read(chainId);
        expect({ name, staged: stagedOf(file, chainId) }).toEqual({ name, staged: 0 });
        check(chainId, result, before);
      }
    });

    it('a read with records staged does not make the event loop wait while another connection holds the write lock: the thread folds once it is free', async () => {
      const file = join(dir, 'staged-locked-read.db');
      // A fold on the event loop's own connection would block it here for the busy timeout, then fail.
      const store = new SqliteStore({ path: file, busyTimeoutMs: 10_000 });
      await store.init();
      opened.push(store);
      await store.appendToChain(small('chain-lr'));
      const holder = new Database(file);
      holder.exec('BEGIN IMMEDIATE');
      let read: Promise<unknown>;
      try {
        read = store.readChain('chain-lr', 1, 10);
        await new Promise((r) => setImmediate(r)); // the event loop turns while the read waits
        expect(stagedOf(file, 'chain-lr')).toBe(2);
      } finally {
        holder.exec('ROLLBACK');
        holder.close();
      }
      expect(await read).toEqual(chainBatch(small('chain-lr')));
      expect(stagedOf(file, 'chain-lr')).toBe(0);
    }, 30_000);

    it('staged records survive a crash (no fold, no close): the next store to open the file reads, filters and verifies them', async () => {
      const batch = small('chain-crash');
      const file = fileWith('staged-crash.db', (writes) => expect(writes.stageToChain(batch)).toEqual(chainBatch(batch).map((r) => r.hash)));
      expect(stagedOf(file, 'chain-crash')).toBe(2);
      expect(rawCount(file, 'SELECT COUNT(*) FROM access_records')).toBe(0);
      const store = await open(file);
      const stored = await store.readChain('chain-crash', 1, 10);
      expect(stored).toEqual(chainBatch(batch));
      expect(stored.every((r) => computeRecordHash(r, key) === r.hash)).toBe(true);
      expect((await store.listChains()).find((h) => h.chainId === 'chain-crash')).toMatchObject({ lastSeq: 2, lastHash: stored[1]!.hash });
      expect(await store.countAccessLogs({ clientDigest: 'z'.repeat(43) })).toBe(1);
      expect(rawCount(file, 'SELECT COUNT(*) FROM access_record_codes')).toBe(2); // RATE_LIMITED once, FIELD_NOT_AUTHORISED
      expect(stagedOf(file, 'chain-crash')).toBe(0);
    });

    it('folding is idempotent: a batch both staged and appended (a retry, either way round) is stored once, with its codes once', () => {
      for (const order of ['stage first', 'append first'] as const) {
        const batch = small('chain-twice');
        let rows: unknown[] = [];
        fileWith(`staged-twice-${order.replace(' ', '-')}.db`, (writes, db) => {
          if (order === 'stage first') writes.stageToChain(batch);
          writes.appendToChain(batch);
          if (order === 'append first') writes.stageToChain(batch);
          expect(writes.foldStaged()).toBe(2); // the staged rows, whether or not they were new
          expect(writes.hasStaged()).toBe(false);
          expect(writes.foldStaged()).toBe(0);
          rows = [db.prepare('SELECT seq FROM access_records ORDER BY seq').pluck().all(), db.prepare('SELECT code FROM access_record_codes ORDER BY code').pluck().all(), db.prepare('SELECT COUNT(*) FROM access_record_clients').pluck().get()];
        });
        expect({ order, rows }).toEqual({ order, rows: [[1, 2], ['FIELD_NOT_AUTHORISED', 'RATE_LIMITED'], 3] }); // clients: one digest on the first record, two on the second
      }
    });

    it('a staged row that meets a record already stored (a retry, or a forgery) adds no code or client rows to it', () => {
      const batch = small('chain-meet');
      let rows: unknown[] = [];
      fileWith('staged-meets-stored.db', (writes, db) => {
        writes.appendToChain(batch);
        writes.stageToChain(batch);
        expect(db.prepare(`UPDATE access_staged SET codes = '["FORGED"]', clients = '["${'f'.repeat(43)}"]' WHERE seq = 2`).run().changes).toBe(1);
        expect(writes.foldStaged()).toBe(2);
        rows = [db.prepare('SELECT code FROM access_record_codes ORDER BY code').pluck().all(), db.prepare('SELECT digest FROM access_record_clients WHERE digest = ?').pluck().all('f'.repeat(43))];
      });
      expect(rows).toEqual([['FIELD_NOT_AUTHORISED', 'RATE_LIMITED'], []]);
    });

    it('a staged row whose code or client list is not JSON text does not stop the fold: it is folded without those index rows, which the verifier compares, and the rest fold whole', async () => {
      const batch = small('chain-bad-list');
      const file = fileWith('staged-bad-list.db', (writes, db) => {
        writes.stageToChain(batch);
        writes.stageToChain(small('chain-good-list'));
        expect(db.prepare("UPDATE access_staged SET codes = '[\"RATE_LIMITED\"' WHERE chain_id = 'chain-bad-list' AND seq = 2").run().changes).toBe(1);
        expect(db.prepare("UPDATE access_staged SET clients = x'00ff' WHERE chain_id = 'chain-bad-list' AND seq = 1").run().changes).toBe(1);
      });
      const store = await open(file);
      expect(await store.readChain('chain-bad-list', 1, 10)).toEqual(chainBatch(batch));
      const expected = chainBatch(batch).map(indexedColumnsOf);
      const indexed = await store.indexedColumnsOf('chain-bad-list', 1, 10);
      expect(indexed).not.toEqual(expected);
      expect(indexed).toEqual([{ ...expected[0]!, clientDigests: [] }, { ...expected[1]!, errorCodes: [] }]);
      expect(await store.indexedColumnsOf('chain-good-list', 1, 10)).toEqual(chainBatch(small('chain-good-list')).map(indexedColumnsOf));
      expect(stagedOf(file, 'chain-bad-list') + stagedOf(file, 'chain-good-list')).toBe(0);
    });

    it('when the thread cannot fold (it is gone), a read folds on the commit-now connection, which never waits: with the write lock held elsewhere the read fails at once with a coded error', async () => {
      const file = join(dir, 'staged-thread-gone.db');
      // A fold that waited for the lock on the event loop would block it for the busy timeout, then fail with SQLITE_BUSY, not the thread's error.
      const store = new SqliteStore({ path: file, busyTimeoutMs: 20_000 });
      await store.init();
      opened.push(store);
      const gone = jest.spyOn(SqliteWriteThread.prototype, 'fold').mockRejectedValue(new StoreUnavailableError('SQLite write thread stopped'));
      try {
        await store.appendToChain(small('chain-gone'));
        expect(await store.readChain('chain-gone', 1, 10)).toEqual(chainBatch(small('chain-gone')));
        expect(stagedOf(file, 'chain-gone')).toBe(0);
        await store.appendToChain(small('chain-gone2'));
        const holder = new Database(file);
        holder.exec('BEGIN IMMEDIATE');
        try {
          await expect(store.readChain('chain-gone2', 1, 10)).rejects.toThrow(new StoreUnavailableError('SQLite write thread stopped'));
          expect(stagedOf(file, 'chain-gone2')).toBe(2);
        } finally {
          holder.exec('ROLLBACK');
          holder.close();
        }
        expect(gone).toHaveBeenCalledTimes(2);
        expect(await store.readChain('chain-gone2', 1, 10)).toEqual(chainBatch(small('chain-gone2')));
      } finally {
        gone.mockRestore();
      }
    });

    it('a record stored with the largest row id (2^63-1) does not keep the next folded records from their code and client rows', () => {
      let codes: unknown[] = [];
      fileWith('staged-high-rowid.db', (writes, db) => {
        db.prepare(`INSERT INTO access_records (id, chain_id, seq, record_id, time_ms, decision, record)
          VALUES (?, 'chain-high', 1, 'r-high', 0, 'ALLOWED', '{}')`).run(2n ** 63n - 1n); // the largest row id: SQLite picks the next ones at random below it
        writes.stageToChain(small('chain-after-high'));
        expect(writes.foldStaged()).toBe(2);
        codes = db.prepare("SELECT c.code FROM access_record_codes c JOIN access_records r ON r.id = c.record_rowid WHERE r.chain_id = 'chain-after-high' ORDER BY c.code").pluck().all();
      });
      expect(codes).toEqual(['FIELD_NOT_AUTHORISED', 'RATE_LIMITED']);
    });

    it('a record stored with the largest row id (2^63-1) does not stop appended batches: their code and client rows point to the exact row ids', () => {
      let codes: unknown[] = [];
      fileWith('appended-high-rowid.db', (writes, db) => {
        db.prepare(`INSERT INTO access_records (id, chain_id, seq, record_id, time_ms, decision, record)
          VALUES (?, 'chain-high', 1, 'r-high', 0, 'ALLOWED', '{}')`).run(2n ** 63n - 1n);
        writes.appendToChain(small('chain-appended-high'));
        codes = db.prepare("SELECT c.code FROM access_record_codes c JOIN access_records r ON r.id = c.record_rowid WHERE r.chain_id = 'chain-appended-high' ORDER BY c.code").pluck().all();
      });
      expect(codes).toEqual(['FIELD_NOT_AUTHORISED', 'RATE_LIMITED']);
    });

    it('a record stored with the largest row id (2^63-1) does not break an auditor paging through records of one instant: cursors carry exact row ids', async () => {
      const sameTime = Array.from({ length: 6 }, (_, i) => prepareRecord(accessRecord(i + 1, { time: '2025-01-01T00:00:00.000Z' }), 'chain-pages', i + 1));
      const file = fileWith('paging-high-rowid.db', (writes, db) => {
        db.prepare(`INSERT INTO access_records (id, chain_id, seq, record_id, time_ms, decision, record)
          VALUES (?, 'chain-high', 1, 'r-high', 0, 'ALLOWED', '{"id":"r-high"}')`).run(2n ** 63n - 1n);
        // SQLite now picks random row ids below 2^63-1: past 2^53, where a number rounds.
        writes.appendToChain(preparedBatch('chain-pages', { seq: 0, hash: GENESIS_HASH }, key, sameTime));
      });
      const store = await open(file);
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const page = await store.queryAccessLogs({}, { first: 1, after });
        seen.push(...page.records.map((r) => r.id));
        after = page.nextCursor;
        if (!after) break;
      }
      expect(seen.sort()).toEqual(['r-high', ...Array.from({ length: 6 }, (_, i) => accessRecord(i + 1).id)].sort());
    });

    it(`when the thread cannot fold, a read does not fold a backlog of more than ${FALLBACK_FOLD_MAX} records on the event loop: it fails with the thread's error and leaves them staged`, async () => {
      const chains = Math.ceil((FALLBACK_FOLD_MAX + 1) / 2);
      const file = fileWith('staged-backlog.db', (writes) => {
        for (let i = 0; i < chains; i++) writes.stageToChain(small(`chain-backlog-${i}`));
      });
      const store = await open(file);
      const gone = jest.spyOn(SqliteWriteThread.prototype, 'fold').mockRejectedValue(new StoreUnavailableError('SQLite write thread stopped'));
      try {
        await expect(store.readChain('chain-backlog-0', 1, 10)).rejects.toThrow(new StoreUnavailableError('SQLite write thread stopped'));
        expect(rawCount(file, 'SELECT COUNT(*) FROM access_staged')).toBe(chains * 2);
      } finally {
        gone.mockRestore();
      }
      expect(await store.readChain('chain-backlog-0', 1, 10)).toEqual(chainBatch(small('chain-backlog-0'))); // the thread folds it
      expect(rawCount(file, 'SELECT COUNT(*) FROM access_staged')).toBe(0);
    });

    it('when the thread cannot fold and even counting the backlog fails, the read fails with the thread\'s coded error, not the count\'s', async () => {
      const file = fileWith('staged-count-fails.db', (writes) => writes.stageToChain(small('chain-count-fails')));
      const store = await open(file);
      const gone = jest.spyOn(SqliteWriteThread.prototype, 'fold').mockRejectedValue(new StoreUnavailableError('SQLite write thread stopped'));
      const count = jest.spyOn(SqliteAccessLogWrites.prototype, 'stagedUpTo').mockImplementation(() => {
        throw new Error('disk I/O error');
      });
      try {
        await expect(store.readChain('chain-count-fails', 1, 10)).rejects.toThrow(new StoreUnavailableError('SQLite write thread stopped'));
      } finally {
        gone.mockRestore();
        count.mockRestore();
      }
    });

    it('a staged row altered before the fold is folded as it is, and its hash no longer matches', async () => {
      const batch = small('chain-tamper');
      const file = fileWith('staged-tamper.db', (writes, db) => {
        writes.stageToChain(batch);
        expect(db.prepare("UPDATE access_staged SET record = json_set(record, '$.org', '99999999999') WHERE seq = 2").run().changes).toBe(1);
      });
      const store = await open(file);
      const stored = await store.readChain('chain-tamper', 1, 10);
      expect(stored.map((r) => computeRecordHash(r, key) === r.hash)).toEqual([true, false]);
    });

    it('the write thread folds staged records by itself, with no read, and on close', async () => {
      const file = join(dir, 'staged-thread.db');
      const store = await open(file);
      await store.appendToChain(small('chain-bg'));
      await waitFor(() => stagedOf(file, 'chain-bg') === 0);
      expect(rawCount(file, "SELECT COUNT(*) FROM access_records WHERE chain_id = 'chain-bg'")).toBe(2);
      await store.appendToChain(small('chain-bg2'));
      await store.close();
      expect(stagedOf(file, 'chain-bg2')).toBe(0);
      expect(rawCount(file, "SELECT COUNT(*) FROM access_records WHERE chain_id = 'chain-bg2'")).toBe(2);
    });
  });

  describe('rows the verifier must account for, written by hand by someone with write access to the file', () => {
    const verify = (store: SqliteStore, chainId: string) => verifyStoredChain(store, chainId, { keys: [] }, { key });
    const problemKeys = (report: { problems: Array<{ kind: string; seq: number }> } | null) => report?.problems.map((p) => `${p.kind}@${p.seq}`);
    /** A store holding chain `chainId` (three records, as batchOf gives them, with `overrides` on each) and a raw connection to its file. */
    const chainIn = async (name: string, chainId: string, overrides: Partial<ReturnType<typeof accessRecord>> = {}) => {
      const file = join(dir, name);
      const store = await open(file);
      const prepared = records.map((r, i) => prepareRecord({ ...r, ...overrides }, chainId, i + 1));
      await store.appendToChain(preparedBatch(chainId, { seq: 0, hash: GENESIS_HASH }, key, prepared));
      expect(await verify(store, chainId)).toMatchObject({ ok: true, checked: 3 });
      const raw = new Database(file);
      return {
        store,
        raw: { run: (sql: string, ...params: unknown[]) => raw.prepare(sql).run(...params).changes, close: () => raw.close() },
        /** Copies row 2 (its record; FORGED_DECISION in the filter column) to a new row at the given seq and chain id, as SQL (support/access-log-sqlite.ts). */
        copy: (seqSql: string, chainSql?: string) => insertRowCopy(file, chainId, 2, { seqSql, chainSql, decision: 'FORGED_DECISION' }),
      };
    };
    /** A chain (chainIn's, with `overrides`) whose row at seq 2 `set` edited (`params` bound before the chain id), and that chain verified. */
    const editedAt2 = async (name: string, chainId: string, set: string, params: unknown[] = [], overrides: Partial<ReturnType<typeof accessRecord>> = {}) => {
      const { store, raw } = await chainIn(name, chainId, overrides);
      try {
        expect(raw.run(`UPDATE access_records SET record = ${set} WHERE chain_id = ? AND seq = 2`, ...params, chainId)).toBe(1);
      } finally {
        raw.close();
      }
      return { store, report: await verify(store, chainId) };
    };
    it('a row whose seq is text, or a whole number outside 1..the end of the chain, is reported FORGED: queries list it, no read by seq returns it', async () => {
      const { store, raw, copy } = await chainIn('unplaced.db', 'chain-up');
      try {
        copy("'2b'");
        copy('50000');
        copy('0');
      } finally {
        raw.close();
      }
      expect(await store.countAccessLogs({ decision: 'FORGED_DECISION' as never })).toBe(3);
      const report = await verify(store, 'chain-up');
      expect(report).toMatchObject({ ok: false, checked: 3, lastSeq: 3 });
      // 0 and '2b' cannot be placed: reported just past the chain's last record; 50000 at its own seq.
      expect(problemKeys(report)).toEqual(['FORGED@4', 'FORGED@4', 'FORGED@50000']);
      expect(report!.problems.map((p) => p.detail).join('\n')).toMatch(/seq '2b'/);
      expect(await store.unplacedRecords('chain-up', 3)).toMatchObject({ count: 3 });
    });

    it('a range verification reports only rows no range can hold (text, or below 1), not the chain past its range', async () => {
      const { store, raw, copy } = await chainIn('unplaced-range.db', 'chain-ur');
      try {
        copy("'x'");
      } finally {
        raw.close();
      }
      const report = await verifyStoredChain(store, 'chain-ur', { keys: [] }, { key, fromSeq: 1, toSeq: 2 });
      expect(problemKeys(report)).toEqual(['FORGED@3']);
    });

    it('an index copy or the record rewritten as malformed UTF-8 that reads back the same (U+FFFD) is reported ALTERED: filters compare bytes and miss it', async () => {
      const cases: Array<[string, string, string, Record<string, unknown>]> = [
        ['operationName', "UPDATE access_records SET operation_name = CAST(X'476574FF' AS TEXT) WHERE chain_id = ? AND seq = 2", 'operationName', { operationName: 'Get\uFFFD' }],
        ['record', "UPDATE access_records SET record = CAST(replace(CAST(record AS BLOB), X'EFBFBD', X'FF') AS TEXT) WHERE chain_id = ? AND seq = 2", 'record', { sub: 'user\uFFFD' }],
        ['record stored as a blob', 'UPDATE access_records SET record = CAST(record AS BLOB) WHERE chain_id = ? AND seq = 2', 'record', {}],
        ['errorCodes', "UPDATE access_record_codes SET code = CAST(X'45FF' AS TEXT) WHERE record_rowid = (SELECT id FROM access_records WHERE chain_id = ? AND seq = 2)", 'errorCodes', { errorCodes: ['E\uFFFD'] }],
      ];
      for (const [label, sql, column, overrides] of cases) {
        const chainId = `chain-utf8-${label.replaceAll(' ', '-')}`;
        const { store, raw } = await chainIn(`${chainId}.db`, chainId, overrides);
        try {
          expect({ label, changed: raw.run(sql, chainId) }).toEqual({ label, changed: 1 });
        } finally {
          raw.close();
        }
        // Reads back exactly as hashed: only the bytes differ.
        expect((await store.readChain(chainId, 1, 3)).every((r) => computeRecordHash(r, key) === r.hash)).toBe(true);
        const indexed = await store.indexedColumnsOf(chainId, 1, 3);
        expect({ label, invalid: indexed.map((c) => c.invalidText ?? []) }).toEqual({ label, invalid: [[], [column], []] });
        const report = await verify(store, chainId);
        expect({ label, problems: problemKeys(report) }).toEqual({ label, problems: ['ALTERED@2'] });
        expect(report!.problems[0]!.detail).toMatch(new RegExp(`${column}.*not well-formed UTF-8`));
      }
    });

    it('a fractional seq that falls between two read windows, or one past the API\'s SafeInt (2^53-1), is reported FORGED at a seq the audit API can carry', async () => {
      const { store, raw, copy } = await chainIn('unplaced-fraction.db', 'chain-fr');
      try {
        copy('10000.5');
        copy('1.5');
        copy('1152921504606846976');
      } finally {
        raw.close();
      }
      // Windows of one seq: 1.5 lies between [1, 1] and [2, 2], as 10000.5 does between the default windows.
      const report = await verifyStoredChain(store, 'chain-fr', { keys: [] }, { key, windowSize: 1 });
      expect(problemKeys(report)).toEqual(['FORGED@4', 'FORGED@4', 'FORGED@4']);
      expect(report!.problems.map((p) => p.detail).join('\n')).toMatch(/seq 10000\.5[^\n]*\n[^\n]*seq 1152921504606846976/s);
      // Where reading stopped, not the chain's end (3 records here, windows of one seq).
      expect(report!.problems[0]!.detail).toMatch(/not stored as an integer from 1 to \d+, where reading the chain stopped \(past its last record and checkpoint\)/);
    });

    it('reads only rows at whole-number seqs window by window, so any number of rows between two seqs cannot make one read of any size: they are reported as unplaced, counted', async () => {
      const { store, raw, copy } = await chainIn('many-fractions.db', 'chain-mf');
      try {
        for (let i = 1; i <= 1200; i++) copy(String(1 + i / 10_000));
      } finally {
        raw.close();
      }
      let rowsRead = 0;
      const counted = Object.assign(Object.create(store) as SqliteStore, {
        readChain: async (...args: Parameters<SqliteStore['readChain']>) => {
          const rows = await store.readChain(...args);
          rowsRead += rows.length;
          return rows;
        },
        indexedColumnsOf: async (...args: Parameters<SqliteStore['indexedColumnsOf']>) => {
          const rows = await store.indexedColumnsOf(...args);
          rowsRead += rows.length;
          return rows;
        },
      });
      const report = await verify(counted, 'chain-mf');
      expect(rowsRead).toBeLessThanOrEqual(2 * records.length);
      expect(report!.ok).toBe(false);
      expect(report!.problems.length + report!.omitted).toBe(1200);
      expect(new Set(report!.problems.map((p) => p.kind))).toEqual(new Set(['FORGED']));
    });

    it('takes each checkpoint row once however many windows the chain has: rows at a seq no window reaches are not walked again per window', async () => {
      const { store, raw } = await chainIn('pending-once.db', 'chain-po');
      raw.close();
      let seqReads = 0;
      const rows = Array.from({ length: 200 }, (_, i) => {
        const row = { chainId: 'chain-po', time: `2025-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, hash: 'x', signature: 'x.y.z' } as unknown as Checkpoint;
        Object.defineProperty(row, 'seq', { enumerable: true, get: () => ((seqReads += 1), 'x') });
        return row;
      });
      const counted = Object.assign(Object.create(store) as SqliteStore, { checkpointsOf: async () => rows });
      // Windows of one seq: one window per record.
      const report = await verifyStoredChain(counted, 'chain-po', { keys: [] }, { key, windowSize: 1 });
      expect(report!.problems.filter((p) => /checkpoint row of chain chain-po is stored at seq x/.test(p.detail))).toHaveLength(200);
      expect(seqReads).toBeLessThanOrEqual(4 * rows.length);
    });

    it('skips an empty stretch up to a forged chain head far ahead in one step instead of reading it window by window', async () => {
      const { store, raw, copy } = await chainIn('far-head.db', 'chain-far');
      try {
        expect(raw.run("UPDATE chain_heads SET last_seq = 20000 WHERE chain_id = 'chain-far'")).toBe(1);
        copy('15000');
      } finally {
        raw.close();
      }
      const reads = jest.spyOn(store, 'readChain');
      try {
        const report = await verifyStoredChain(store, 'chain-far', { keys: [] }, { key, windowSize: 10 });
        // The copy of record 2 at seq 15000 is read (ALTERED: written as seq 2); the head's claim is TRUNCATED.
        expect(problemKeys(report)).toEqual(['ALTERED@2', 'TRUNCATED@4']);
        expect(report!.problems[1]!.toSeq).toBe(20_000);
        // Window by window that is 2,000 reads (at a head of 10^12, 10^11).
        expect(reads.mock.calls.length).toBeLessThan(10);
      } finally {
        reads.mockRestore();
      }
    });

    it('a record text with a duplicated key (which filters read first and the hash last) is reported ALTERED', async () => {
      const { store, report } = await editedAt2('dup-key.db', 'chain-dup', `'{"sub":"mallory",' || substr(record, 2)`);
      expect(await store.countAccessLogs({ sub: 'mallory' })).toBe(1);
      expect(problemKeys(report)).toEqual(['ALTERED@2']);
      expect(report!.problems[0]!.detail).toMatch(/not the text the gateway writes/);
    });

    it('a ledger entry whose ending is not JSON, or holds a number past a double, is ALTERED in the ledger, instead of failing the whole verification', async () => {
      const { store, raw } = await chainIn('ledger-ending.db', 'chain-led');
      const signer = await testSigningKey();
      const open = await sealLedgerEntry(signer, nextLedgerBody(null, { kind: 'OPEN', chainId: 'chain-led', instanceId: 'gw-test', time: '2025-01-01T00:00:00.000Z', hashAlg: 'hmac-sha256', ending: null }));
      const ending = { how: 'SHUTDOWN' as const, lastSeq: 3, lastHash: GENESIS_HASH, lastCheckpointSeq: 0, lastCheckpointN: 0, unsignedRecords: 3 };
      await store.appendLedgerEntry(open);
      await store.appendLedgerEntry(await sealLedgerEntry(signer, nextLedgerBody(open, { kind: 'CLOSE', chainId: 'chain-led', instanceId: 'gw-test', time: '2025-01-01T00:01:00.000Z', hashAlg: null, ending })));
      try {
        // Text that is not JSON, then JSON whose number JavaScript reads as Infinity (which no canonical JSON holds).
        for (const ending of ['{', '{"how":"SHUTDOWN","lastSeq":1e999}']) {
          expect(raw.run('UPDATE chain_ledger SET ending = ? WHERE seq = 2', ending)).toBe(1);
          const whole = await verifyAccessLog(store, signer.publicJwks, { chainKey: key });
          expect({ ending, ok: whole.ok, ledger: whole.ledger.problems.map((p) => `${p.kind}@${p.seq}`) }).toEqual({ ending, ok: false, ledger: ['ALTERED@2'] });
        }
      } finally {
        raw.close();
      }
    });

    it('a field the gateway never writes, added to an intact record, is ALTERED (it is hashed by no one)', async () => {
      const { report } = await editedAt2('extra-field.db', 'chain-extra', `'{"extra":1,' || substr(record, 2)`);
      expect(problemKeys(report)).toEqual(['ALTERED@2']);
      expect(report!.problems[0]!.detail).toMatch(/not the text the gateway writes/);
    });

    it('a text that hashes as the record yet reads otherwise in SQL (a list as false or "", a null field left out, keys reordered, a key hidden in a reason) is ALTERED, and verification does not fail on it', async () => {
      const deepKey = `${'{"k":'.repeat(1001)}0${'}'.repeat(1001)}`;
      const withReason = { reasons: [{ code: 'CLIENT_NOT_AUTHORISED', coordinate: 'Query.client' }], org: null, errorCodes: [] };
      const cases: Array<[string, string, unknown[]]> = [
        ['roles-false', `replace(record, '"roles":[]', '"roles":false')`, []],
        // Its filter copies cannot even be computed from false (new Set(false) throws): reported, not thrown.
        ['errorCodes-false', `replace(record, '"errorCodes":[]', '"errorCodes":false')`, []],
        ['roles-empty-string', `replace(record, '"roles":[]', '"roles":""')`, []],
        ['org-left-out', `replace(record, '"org":null,', '')`, []],
        ['keys-reordered', `'{"seq":2,' || replace(substr(record, 2), ',"seq":2', '')`, []],
        ['reason-hidden-key', `replace(record, '"coordinate":', '"x":' || ? || ',"coordinate":')`, [deepKey]],
      ];
      for (const [label, set, params] of cases) {
        const { store, report } = await editedAt2(`stored-form-${label}.db`, `chain-${label}`, set, params, withReason);
        // The hashed record is unchanged (reasons[0].x and an absent null are not hashed): only the stored text shows the edit.
        const [edited] = await store.readChain(`chain-${label}`, 2, 2);
        expect({ label, hashes: computeRecordHash(edited!, key) === edited!.hash }).toEqual({ label, hashes: true });
        expect({ label, problems: problemKeys(report) }).toEqual({ label, problems: ['ALTERED@2'] });
        expect({ label, detail: report!.problems[0]!.detail }).toEqual({ label, detail: expect.stringMatching(/not the text the gateway writes/) });
      }
    });

    it('an error-code row whose record_rowid is stored as a REAL (2.0, which joins record 2 for every filter) is judged with that record', async () => {
      const { store, raw } = await chainIn('real-rowid.db', 'chain-real');
      raw.close();
      const file = join(dir, 'real-rowid.db');
      await store.close();
      // Each step on a connection of its own: a schema edited through writable_schema is read again only by a new one.
      const step = (fn: (db: Database.Database) => void) => {
        const db = new Database(file);
        try {
          db.unsafeMode(true);
          fn(db);
        } finally {
          db.close();
        }
      };
      const setCodesSql = (db: Database.Database, sql: string) => {
        db.pragma('writable_schema = ON');
        db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'access_record_codes'").run(sql);
      };
      let real = '';
      step((db) => {
        real = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'access_record_codes'").pluck().get() as string;
        setCodesSql(db, real.replace('record_rowid INTEGER NOT NULL', 'record_rowid NOT NULL'));
      });
      step((db) => {
        db.prepare("INSERT INTO access_record_codes (record_rowid, code) SELECT CAST(id AS REAL), 'FORGED_CODE' FROM access_records WHERE chain_id = 'chain-real' AND seq = 2").run();
        setCodesSql(db, real); // the schema reads as the migrations made it again
      });
      const reopened = await open(file);
      try {
        expect(await reopened.countAccessLogs({ errorCode: 'FORGED_CODE' })).toBe(1);
        const report = await verify(reopened, 'chain-real');
        expect(problemKeys(report)).toEqual(['ALTERED@2']);
        expect(report!.problems[0]!.detail).toMatch(/errorCodes differs/);
      } finally {
        await reopened.close();
      }
    });

    it('names what the storage check found when the log cannot be read at all (a staged row that cannot be folded), instead of failing with the read\'s error alone', async () => {
      const { store, raw } = await chainIn('unfoldable.db', 'chain-unfold');
      try {
        raw.run("CREATE TRIGGER no_fold BEFORE INSERT ON access_records WHEN NEW.chain_id = '~' BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END");
        raw.run("INSERT INTO access_staged (chain_id, seq, record_id, time_ms, decision, record) VALUES ('~', 1, 'x', 0, 'ALLOWED', '{}')");
      } finally {
        raw.close();
      }
      await expect(store.countAccessLogs({})).rejects.toThrow(/disk I\/O error/);
      const whole = await verifyAccessLog(store, { keys: [] }, { chainKey: key });
      expect(whole.ok).toBe(false);
      expect(whole.storageProblems).toEqual([expect.stringMatching(/^schema: trigger no_fold on access_records is not one/), expect.stringMatching(/^the access log could not be read, so no chain was verified: .*disk I\/O error/)]);
    });

    it('a hashed field nested deeper than SQLite reads or JSON.stringify writes is ALTERED, and no filter query fails for it', async () => {
      const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
      const { store, report } = await editedAt2('deep.db', 'chain-deep', `replace(record, '"roles":[]', '"roles":' || ?)`, [deep]);
      // SQLite's JSON functions fail on it; the filters that use them still answer for the rest.
      expect(await store.countAccessLogs({ sub: records[0]!.sub! })).toBe(2);
      expect(await store.countAccessLogs({ role: 'none' })).toBe(0);
      expect(problemKeys(report)).toEqual(['ALTERED@2']);
    });

    it('a number spelled with more digits than a double holds (read as 200 by the hash, below 200 by the httpStatus filter) is reported ALTERED', async () => {
      const { store, raw } = await chainIn('number-spelling.db', 'chain-num', { httpStatus: 200 });
      try {
        expect(raw.run(`UPDATE access_records SET record = replace(record, '"httpStatus":200', '"httpStatus":199.99999999999998579') WHERE chain_id = 'chain-num' AND seq = 2`)).toBe(1);
      } finally {
        raw.close();
      }
      // The hashed record is unchanged; the filter misses it.
      expect((await store.readChain('chain-num', 2, 2))[0]!.httpStatus).toBe(200);
      expect(await store.countAccessLogs({ httpStatus: 200 })).toBe(2);
      const report = await verify(store, 'chain-num');
      expect(problemKeys(report)).toEqual(['ALTERED@2']);
      expect(report!.problems[0]!.detail).toMatch(/filters read it otherwise than the hash/);
    });

    it('a row whose record text is not JSON, not an object, or has no whole-number seq of its own is reported ALTERED at the row, and the report can be carried by the audit API', async () => {
      const cases: Array<[string, RegExp]> = [
        ['garbage', /is not JSON/],
        ['[1]', /not a JSON object/],
        ['null', /not a JSON object/],
        ['{}', /own seq is absent/],
        ['{"seq":"x"}', /own seq is "x"/],
        ['{"seq":1e300}', /own seq is 1e\+300/],
      ];
      for (const [i, [text, detail]] of cases.entries()) {
        const chainId = `chain-text-${i}`;
        const { store, raw } = await chainIn(`${chainId}.db`, chainId);
        try {
          expect(raw.run(`UPDATE access_records SET record = ? WHERE chain_id = ? AND seq = 2`, text, chainId)).toBe(1);
        } finally {
          raw.close();
        }
        const report = await verify(store, chainId);
        expect({ text, problems: problemKeys(report) }).toEqual({ text, problems: ['ALTERED@2'] });
        expect(report!.problems[0]!.detail).toMatch(detail);
        expect(report!.problems.every((p) => Number.isSafeInteger(p.seq) && Number.isSafeInteger(p.toSeq))).toBe(true);
      }
    });

    it('an index made to disagree with its table (writable_schema) is found by the storage check that verifyAccessLog runs', async () => {
      const { store, raw } = await chainIn('index-skew.db', 'chain-ix');
      raw.close();
      expect(await store.storageProblems()).toEqual([]);
      await store.close();
      const file = join(dir, 'index-skew.db');
      const step = (sql: string, ...params: unknown[]) => {
        const db = new Database(file);
        try {
          db.unsafeMode(true);
          db.pragma('writable_schema = ON');
          db.prepare(sql).run(...params);
        } finally {
          db.close();
        }
      };
      const reader = new Database(file, { readonly: true });
      const real = reader.prepare("SELECT sql FROM sqlite_schema WHERE name = 'access_records_by_decision'").pluck().get() as string;
      reader.close();
      step("UPDATE sqlite_schema SET sql = 'CREATE INDEX access_records_by_decision ON access_records (record_id, time_ms)' WHERE name = 'access_records_by_decision'");
      step("UPDATE access_records SET decision = 'FORGED_DECISION' WHERE chain_id = 'chain-ix' AND seq = 2");
      step("UPDATE sqlite_schema SET sql = ? WHERE name = 'access_records_by_decision'", real);
      const reopened = await open(file);
      expect(await reopened.storageProblems()).toEqual(expect.arrayContaining([expect.stringMatching(/^integrity_check: .*access_records_by_decision/)]));
      const whole = await verifyAccessLog(reopened, { keys: [] }, { chainKey: key });
      expect(whole.ok).toBe(false);
      expect(whole.storageProblems.length).toBeGreaterThan(0);
    });

    it('lists a chain id stored as a blob by a label of its own, never merged with the real chain of the same bytes', async () => {
      const { store, raw, copy } = await chainIn('blob-chain.db', 'chain-b');
      try {
        copy('2', 'CAST(chain_id AS BLOB)');
      } finally {
        raw.close();
      }
      const ids = await store.chainIdsWithData();
      expect(ids.every((id) => typeof id === 'string')).toBe(true);
      expect(ids).toEqual(expect.arrayContaining(['chain-b', `[blob ${Buffer.from('chain-b').toString('hex')}]`]));
    });
  });

  it('uses 8 KiB pages in a new file', async () => {
    const file = join(dir, 'pages.db');
    await open(file);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('page_size', { simple: true })).toBe(8192);
    raw.close();
  });
});
