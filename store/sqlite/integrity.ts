/**
 * The whole-log verification's check of the SQLite file itself, beside the records' hashes.
 * Someone with write access to the file can change what auditors' queries see without touching
 * a hashed record, so two things are checked:
 *
 * - **The schema is the one this build's migrations create, and nothing else.** A trigger can
 *   rewrite a record's filter copies whenever the gateway writes (every read of the log folds
 *   staged records first, so a trigger on the staging table runs before each read, and can show
 *   the verifier one thing and an auditor's query another); a view in place of a table escapes a
 *   check by table name; a column given `COLLATE NOCASE` makes a filter match what it should not.
 *   So every object in `sqlite_schema`, by type and name (a trigger may share an index's name),
 *   is compared with what MIGRATIONS make in a fresh in-memory database: an object that is
 *   extra, missing, repeated or of other SQL is a problem. Only the planner's statistics tables,
 *   exactly as ANALYZE makes them, are exempt.
 * - **The file's text encoding is UTF-8** (headerProblems).
 * - **SQLite's own consistency check** (`PRAGMA integrity_check`, over the whole file): every
 *   index agrees with its table and every b-tree is well formed. Through `writable_schema` an
 *   index can be made to disagree with its table: the verifier, which reads the tables, would see
 *   intact records while filtered queries, which use the indexes, list or miss the wrong ones.
 *
 * For a file the consistency check runs on its own read-only connection in a short-lived child
 * process, so a large log's check (it reads every page) never holds up the event loop. One check
 * runs at a time (callers meanwhile share it), it is stopped when the store closes, and one that
 * runs past its time limit is stopped and reported. An in-memory database (tests) has only its
 * one connection and is checked on it.
 */
import Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { spawn, type ChildProcess } from 'node:child_process';
import { printable } from '../../audit/sanitize.js';
import { onExitAfterMessages } from '../../core/child-exit.js';
import { StoreUnavailableError, type StorageCheckOptions } from '../port.js';
import { MEMORY_PATH } from './connection.js';
import { translateSqliteError } from './errors.js';
import { runMigrations } from './migrations.js';

/** At most this many messages are kept from SQLite's check (its own default is 100). */
export const MAX_INTEGRITY_PROBLEMS = 50;
/** How long the consistency check may run before it is stopped and reported (10 minutes: about 4 GB of log on this machine's disk). */
export const DEFAULT_INTEGRITY_TIMEOUT_MS = 10 * 60_000;
/** SQL text shown in a problem is cut to this many characters. */
const SHOWN_SQL = 200;

interface SchemaObject {
  type: string;
  name: string;
  table: string;
  sql: string | null;
}

/**
 * The planner's statistics tables, exactly as ANALYZE (and PRAGMA optimize) creates them: they
 * change no answer. Only these are exempt: a trigger or table merely named `sqlite_stat…` (which
 * `writable_schema` lets someone create) is compared like any other object.
 */
const PLANNER_TABLES = new Map([
  ['sqlite_stat1', 'CREATE TABLE sqlite_stat1(tbl,idx,stat)'],
  ['sqlite_stat4', 'CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)'],
]);

/** Every schema object but the planner's tables, keyed by type and name: a trigger may share an index's name (triggers have a namespace of their own). */
function readSchema(db: Database.Database): { objects: Map<string, SchemaObject>; repeated: SchemaObject[] } {
  const objects = new Map<string, SchemaObject>();
  const repeated: SchemaObject[] = [];
  for (const o of db.prepare('SELECT type, name, tbl_name AS "table", sql FROM sqlite_schema ORDER BY rowid').all() as SchemaObject[]) {
    if (o.type === 'table' && PLANNER_TABLES.get(o.name) === o.sql) continue;
    const key = `${o.type} ${o.name}`;
    if (objects.has(key)) repeated.push(o);
    else objects.set(key, o);
  }
  return { objects, repeated };
}

let expected: Map<string, SchemaObject> | null = null;

/** The schema a file this build migrated holds: what the migrations create in a fresh database (built once). */
function expectedSchema(): Map<string, SchemaObject> {
  if (expected) return expected;
  const fresh = new Database(MEMORY_PATH);
  try {
    runMigrations(fresh);
    expected = readSchema(fresh).objects;
  } finally {
    fresh.close();
  }
  return expected;
}

const oneLine = (sql: string) => sql.replace(/\s+/g, ' ');
const cut = (text: string, from: number, length: number) => `${from > 0 ? '…' : ''}${text.slice(from, from + length)}${from + length < text.length ? '…' : ''}`;
const shownSql = (sql: string | null) => (sql === null ? '(none)' : printable(cut(oneLine(sql), 0, SHOWN_SQL)));

/** Where two SQL texts first differ, shown in each (a table's whole SQL is too long to read for one changed word). */
function sqlDifference(have: string | null, want: string | null): string {
  if (have === null || want === null) return `${shownSql(have)} (the migrations: ${shownSql(want)})`;
  const [a, b] = [oneLine(have), oneLine(want)];
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = Math.max(0, i - 40);
  return `"${printable(cut(a, from, 100))}" (the migrations: "${printable(cut(b, from, 100))}")`;
}

/** How the file's schema differs from the one the migrations create (empty when it does not). */
export function schemaProblems(db: Database.Database): string[] {
  const want = expectedSchema();
  const { objects: have, repeated } = readSchema(db);
  const problems: string[] = [];
  const what = (o: SchemaObject) => `${o.type} ${printable(o.name)}${o.table !== o.name ? ` on ${printable(o.table)}` : ''}`;
  for (const [key, object] of have) {
    const wanted = want.get(key);
    if (!wanted) problems.push(`schema: ${what(object)} is not one the gateway's migrations create (it can change what is written or what a query reads): ${shownSql(object.sql)}`);
    else if (wanted.table !== object.table || wanted.sql !== object.sql) problems.push(`schema: ${what(object)} differs from what the migrations create: ${wanted.table !== object.table ? `it is on ${printable(object.table)}, not ${wanted.table}` : sqlDifference(object.sql, wanted.sql)}`);
  }
  for (const object of repeated) problems.push(`schema: ${what(object)} is in the schema more than once: ${shownSql(object.sql)}`);
  for (const [key, wanted] of want) if (!have.has(key)) problems.push(`schema: ${wanted.type} ${wanted.name} is missing`);
  return problems.slice(0, MAX_INTEGRITY_PROBLEMS);
}

/**
 * What the file's header says that changes answers. Its text encoding: a new file is UTF-8 and
 * stays so; in a UTF-16 file (made by hand), the UTF-8 checks of stored bytes mean nothing and
 * text SQLite converts for the verifier (an odd trailing byte dropped, a broken surrogate pair
 * replaced) differs from the bytes a filter compares.
 */
export function headerProblems(db: Database.Database): string[] {
  const encoding = String(db.pragma('encoding', { simple: true }));
  return encoding === 'UTF-8' ? [] : [`header: the file's text encoding is ${printable(encoding)}, not the UTF-8 the gateway creates: text a filter compares can differ from what the verifier reads`];
}

/**
 * The consistency check runs in a child process, not a worker thread: a statement inside SQLite
 * cannot be stopped from JavaScript, and Node joins a worker thread's native call at exit (a
 * terminated worker went on checking, and `process.exit` waited for it, up to the whole check); a
 * worker terminated while SQLite waits for a lock aborts the whole process when the wait ends
 * (better-sqlite3 then throws into a terminated isolate). A child process is killed at once.
 */
const CHECKER = `
const input = JSON.parse(process.argv[1]);
const Database = require(input.driver);
let db = null;
let reply;
try {
  db = new Database(input.path, { readonly: true, fileMustExist: true, timeout: input.busyTimeoutMs });
  reply = { problems: db.pragma('integrity_check(' + input.max + ')').map((row) => String(row.integrity_check)).filter((m) => m !== 'ok') };
} catch (err) {
  reply = { error: String((err && err.message) || err), code: err && typeof err.code === 'string' ? err.code : null };
} finally {
  if (db) db.close();
}
process.send(reply, () => process.disconnect());
`;

function consistencyOn(db: Database.Database): string[] {
  return (db.pragma(`integrity_check(${MAX_INTEGRITY_PROBLEMS})`) as Array<{ integrity_check: unknown }>).map((row) => String(row.integrity_check)).filter((m) => m !== 'ok');
}

/** Raised inside: the worker could not run the check (the SQLite code, when it had one, is kept). */
class CheckFailure extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface IntegrityCheckOptions {
  path: string;
  busyTimeoutMs: number;
  /** Default DEFAULT_INTEGRITY_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** The storage check of one store (see the file comment). */
export class IntegrityCheck {
  private running: Promise<string[]> | null = null;
  private stop: ((err: Error) => void) | null = null;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly options: IntegrityCheckOptions,
  ) {}

  /**
   * What is wrong with the file, as lines for auditors (empty when nothing). A check that could
   * not run is itself a line, so the verification is not ok; only a store that cannot be read
   * now (busy past its timeout, closed, damaged) rejects, with StoreUnavailableError.
   */
  problems(options: StorageCheckOptions = {}): Promise<string[]> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('SQLite store is closed'));
    // Without the whole-file check: the header and the schema, read on this connection at once.
    if (options.consistency === false) {
      try {
        return Promise.resolve(this.fileProblems());
      } catch (err) {
        return Promise.reject(translateSqliteError(err));
      }
    }
    // Shared while one runs: each check reads the whole file and holds a read snapshot for as long.
    this.running ??= this.check().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops a running check (its callers get StoreUnavailableError) and refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    // Kills the checking process (SIGKILL: at once, wherever SQLite is).
    this.stop?.(new StoreUnavailableError('SQLite store is closed'));
  }

  /** The header's and the schema's problems (throws what SQLite throws). */
  private fileProblems(): string[] {
    return [...headerProblems(this.db), ...schemaProblems(this.db)];
  }

  private async check(): Promise<string[]> {
    let schema: string[];
    try {
      schema = this.fileProblems();
    } catch (err) {
      throw translateSqliteError(err);
    }
    try {
      const consistency = this.options.path === MEMORY_PATH ? consistencyOn(this.db) : await this.inWorker();
      return [...schema, ...consistency.map((m) => `integrity_check: ${printable(m)}`)];
    } catch (err) {
      const translated = translateSqliteError(err);
      if (translated instanceof StoreUnavailableError) throw translated;
      return [...schema, `the storage consistency check could not run, so the file is unchecked: ${printable(String((err as Error)?.message ?? err))}`];
    }
  }

  private inWorker(): Promise<string[]> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_INTEGRITY_TIMEOUT_MS;
    return new Promise<string[]>((resolve, reject) => {
      const driver = createRequire(import.meta.url).resolve('better-sqlite3');
      const input = JSON.stringify({ driver, path: this.options.path, busyTimeoutMs: this.options.busyTimeoutMs, max: MAX_INTEGRITY_PROBLEMS });
      const child: ChildProcess = spawn(process.execPath, ['-e', CHECKER, input], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.stop = null;
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        outcome();
      };
      const timer = setTimeout(() => settle(() => reject(new CheckFailure(`it ran past its limit of ${timeoutMs} ms and was stopped`))), timeoutMs);
      this.stop = (err) => settle(() => reject(err));
      child.once('message', (reply: { problems?: string[]; error?: string; code?: string | null }) => {
        settle(() => (reply.error !== undefined ? reject(new CheckFailure(reply.error, reply.code ?? undefined)) : resolve(reply.problems ?? [])));
      });
      child.once('error', (err) => settle(() => reject(err)));
      // After its answer, should the exit be seen first (core/child-exit.ts).
      onExitAfterMessages(child, (code, signal) => settle(() => reject(new CheckFailure(`the checking process exited (${signal ?? code}) without an answer`))));
    });
  }
}
