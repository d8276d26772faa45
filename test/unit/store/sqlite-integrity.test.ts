/**
 * The whole-log verification's storage check of a SQLite file (store/sqlite/integrity.ts): the
 * schema is exactly what the migrations create, SQLite's consistency check passes, and a check
 * that cannot run or finish is itself reported. Files are edited by hand, as someone with write
 * access to them could.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../../store/index.js';
import { StoreUnavailableError } from '../../../store/port.js';
import { IntegrityCheck } from '../../../store/sqlite/integrity.js';
import { runMigrations } from '../../../store/sqlite/migrations.js';
import { createSqliteStore, type SqliteStore } from '../../../store/sqlite/index.js';
import { childrenOfThisProcess, waitForExitedChild } from '../../helpers/child-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'dsp-sqlite-integrity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A migrated file, closed, and its path. */
async function freshFile(): Promise<string> {
  const file = join(dir, `integrity-${++n}.db`);
  const store = (await createStore(`sqlite:${file}`, {})) as SqliteStore;
  await store.close();
  return file;
}

function edit(file: string, change: (db: Database.Database) => void): void {
  const db = new Database(file);
  try {
    change(db);
  } finally {
    db.close();
  }
}

async function problemsOf(file: string, options: { integrityTimeoutMs?: number; consistency?: boolean } = {}): Promise<string[]> {
  const { consistency, ...storeOptions } = options;
  const store = createSqliteStore({ path: file, ...storeOptions });
  await store.init();
  try {
    return await store.storageProblems(consistency === undefined ? undefined : { consistency });
  } finally {
    await store.close();
  }
}

describe('the storage check of a SQLite file', () => {
  it('finds nothing wrong with a file the migrations made, planner statistics (ANALYZE) included', async () => {
    const file = await freshFile();
    expect(await problemsOf(file)).toEqual([]);
    edit(file, (db) => db.exec('ANALYZE'));
    expect(await problemsOf(file)).toEqual([]);
  });

  it('reports a trigger the migrations do not create (one on the staging table would run before every read)', async () => {
    const file = await freshFile();
    edit(file, (db) => db.exec("CREATE TRIGGER keep_staged BEFORE DELETE ON access_staged BEGIN UPDATE access_records SET decision = 'ALLOWED'; END"));
    const problems = await problemsOf(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^schema: trigger keep_staged on access_staged is not one the gateway's migrations create.*BEFORE DELETE ON access_staged/);
  });

  it('reports a view put in place of a checked table, and the table renamed away from the check', async () => {
    const file = await freshFile();
    edit(file, (db) => {
      db.exec('ALTER TABLE access_record_codes RENAME TO codes_t');
      db.exec('CREATE VIEW access_record_codes AS SELECT record_rowid, code FROM codes_t');
      // So the gateway still writes through it.
      db.exec('CREATE TRIGGER codes_write INSTEAD OF INSERT ON access_record_codes BEGIN INSERT OR IGNORE INTO codes_t VALUES (NEW.record_rowid, NEW.code); END');
    });
    const problems = await problemsOf(file);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^schema: view access_record_codes is not one the gateway's migrations create/),
        'schema: table access_record_codes is missing',
        expect.stringMatching(/^schema: table codes_t is not one the gateway's migrations create/),
        expect.stringMatching(/^schema: trigger codes_write on access_record_codes is not one/),
        expect.stringMatching(/^schema: index access_record_codes_by_code on codes_t differs from what the migrations create: it is on codes_t, not access_record_codes/),
      ]),
    );
  });

  it('reports a trigger that shares an index\'s name (triggers have a namespace of their own), whichever row comes first', async () => {
    const file = await freshFile();
    edit(file, (db) => {
      db.exec("CREATE TRIGGER access_records_by_time BEFORE DELETE ON access_staged BEGIN SELECT RAISE(IGNORE); END");
      // Re-created after the trigger, so its row follows the trigger's.
      const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE type = 'index' AND name = 'access_records_by_time'").pluck().get() as string;
      db.exec('DROP INDEX access_records_by_time');
      db.exec(sql);
    });
    expect(await problemsOf(file)).toEqual([expect.stringMatching(/^schema: trigger access_records_by_time on access_staged is not one the gateway's migrations create/)]);
  });

  it('exempts only the planner\'s own statistics tables, not objects merely named like them', async () => {
    const file = await freshFile();
    edit(file, (db) => {
      db.unsafeMode(true);
      db.pragma('writable_schema = ON');
      db.exec('CREATE TABLE sqlite_stat_clock (t REAL)');
      db.exec('CREATE TRIGGER sqlite_stat_keep BEFORE DELETE ON access_staged BEGIN SELECT RAISE(IGNORE); END');
    });
    const problems = await problemsOf(file);
    expect(problems).toEqual([expect.stringMatching(/^schema: table sqlite_stat_clock is not one/), expect.stringMatching(/^schema: trigger sqlite_stat_keep on access_staged is not one/)]);
  });

  it('shows where a table definition was changed (a collation that makes a filter match more), and reports a dropped index', async () => {
    const file = await freshFile();
    edit(file, (db) => {
      const sql = db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'access_records'").pluck().get() as string;
      db.unsafeMode(true);
      db.pragma('writable_schema = ON');
      db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'access_records'").run(sql.replace('product_id TEXT', 'product_id TEXT COLLATE NOCASE'));
    });
    edit(file, (db) => db.exec('DROP INDEX access_records_by_org'));
    const problems = await problemsOf(file);
    expect(problems).toEqual([
      expect.stringMatching(/^schema: table access_records differs from what the migrations create: ".*product_id TEXT COLLATE NOCASE.*" \(the migrations: ".*product_id TEXT, developer_id.*"\)$/),
      'schema: index access_records_by_org is missing',
    ]);
  });

  it('reports a file whose text encoding is UTF-16 (filters compare its bytes, the verifier reads them converted)', async () => {
    const file = join(dir, `integrity-utf16-${++n}.db`);
    edit(file, (db) => {
      db.pragma("encoding = 'UTF-16le'");
      db.exec('CREATE TABLE fix_the_encoding (a); DROP TABLE fix_the_encoding');
    });
    const store = (await createStore(`sqlite:${file}`, {})) as SqliteStore;
    await store.close();
    expect(await problemsOf(file)).toEqual([expect.stringMatching(/^header: the file's text encoding is UTF-16le, not the UTF-8 the gateway creates/)]);
  });

  it('reports a consistency check that cannot run (an index over a function only the gateway registers) as a problem, not a failed verification', async () => {
    const file = await freshFile();
    edit(file, (db) => {
      db.function('dsp_utf8', { deterministic: true }, (_text: unknown) => 1);
      db.exec('CREATE INDEX chain_ledger_x ON chain_ledger (dsp_utf8(hash))');
    });
    const problems = await problemsOf(file);
    expect(problems).toEqual([expect.stringMatching(/^schema: index chain_ledger_x on chain_ledger is not one/), expect.stringMatching(/^the storage consistency check could not run, so the file is unchecked: .*dsp_utf8/)]);
  });

  it('without the whole-file check (a one-chain verification), reports the header and the schema only', async () => {
    const file = await freshFile();
    // A check that would run past its limit is not started.
    expect(await problemsOf(file, { integrityTimeoutMs: 0, consistency: false })).toEqual([]);
    edit(file, (db) => {
      db.function('dsp_utf8', { deterministic: true }, (_text: unknown) => 1);
      db.exec('CREATE INDEX chain_ledger_x ON chain_ledger (dsp_utf8(hash))');
    });
    expect(await problemsOf(file, { consistency: false })).toEqual([expect.stringMatching(/^schema: index chain_ledger_x on chain_ledger is not one/)]);
  });

  it('reports a check that runs past its time limit, stopped', async () => {
    const file = await freshFile();
    const store = createSqliteStore({ path: file, integrityTimeoutMs: 50 });
    await store.init();
    let started: number[] = [];
    try {
      const before = childrenOfThisProcess();
      const problems = store.storageProblems();
      // The checker is frozen as soon as it starts, so it cannot answer: the limit decides, not
      // the event loop's timing (with a limit of 0 ms and the loop slowed, an answer came first).
      started = [...childrenOfThisProcess().keys()].filter((pid) => !before.has(pid));
      expect(started).toHaveLength(1);
      process.kill(started[0]!, 'SIGSTOP');
      expect(await problems).toEqual([expect.stringMatching(/could not run, so the file is unchecked: it ran past its limit of 50 ms and was stopped$/)]);
      // Stopped: killed (a stopped process dies of SIGKILL), not left frozen.
      waitForExitedChild(before);
    } finally {
      // Should the check have left it frozen. One already reaped is gone (ESRCH).
      for (const pid of started) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await store.close();
    }
  });

  it('runs one check at a time for its callers, and stops a running one when closed', async () => {
    const file = await freshFile();
    const db = new Database(file, { readonly: true });
    try {
      const check = new IntegrityCheck(db, { path: file, busyTimeoutMs: 1000 });
      const first = check.problems();
      expect(check.problems()).toBe(first);
      expect(await first).toEqual([]);
      const second = check.problems();
      expect(second).not.toBe(first);
      await check.close();
      await expect(second).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(check.problems()).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      db.close();
    }
  });

  it("keeps the checking process's answer when its exit is seen first (the event loop was busy while it answered and exited)", async () => {
    const file = await freshFile();
    const db = new Database(file, { readonly: true });
    try {
      for (let i = 0; i < 5; i++) {
        const check = new IntegrityCheck(db, { path: file, busyTimeoutMs: 1000 });
        const children = childrenOfThisProcess();
        const answer = check.problems();
        // Without letting the event loop run: wait until the checker has answered and exited, so
        // that its exit and its answer are both waiting when the loop next looks (about 7 times in
        // 10 the exit was handled first, and the answer lost).
        waitForExitedChild(children);
        expect(await answer).toEqual([]);
      }
    } finally {
      db.close();
    }
  });

  it('checks an in-memory database on its own connection, schema included', async () => {
    const db = new Database(':memory:');
    try {
      runMigrations(db);
      const check = new IntegrityCheck(db, { path: ':memory:', busyTimeoutMs: 1000 });
      expect(await check.problems()).toEqual([]);
      db.exec('CREATE TRIGGER t AFTER INSERT ON access_records BEGIN SELECT 1; END');
      expect(await check.problems()).toEqual([expect.stringMatching(/^schema: trigger t on access_records is not one/)]);
    } finally {
      db.close();
    }
  });
});
