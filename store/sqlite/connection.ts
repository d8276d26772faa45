/** Opens a better-sqlite3 connection with the pragmas every part of the adapter relies on. */
import Database from 'better-sqlite3';

export interface ConnectionOptions {
  /**
   * `full` (default): every commit is fsynced, so an access record acknowledged to the writer
   * survives power loss. `normal`: in WAL mode a commit may be lost on power loss (never on a
   * process crash) in exchange for much cheaper commits.
   */
  sqliteSync?: 'full' | 'normal' | 'off';
  /** How long (ms) a write waits for another process's write lock before failing. Default 5000. */
  busyTimeoutMs?: number;
}

export const MEMORY_PATH = ':memory:';
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** The page size of a new database file (see openDatabase). */
export const PAGE_SIZE_BYTES = 8192;
/** The WAL file's size once it starts over (PRAGMA journal_size_limit): 64 MiB. */
const JOURNAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Runs `op`, retrying with short sleeps while SQLite answers SQLITE_BUSY, for at most `timeoutMs`. Only for opening: it blocks. */
function retryWhileBusy<T>(op: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 5; ; pauseMs = Math.min(pauseMs * 2, 100)) {
    try {
      return op();
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
    }
  }
}

export function openDatabase(path: string, options: ConnectionOptions = {}): Database.Database {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    // busy_timeout first: switching to WAL needs a lock another starting process may hold.
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    // 8 KiB pages for a new file (before WAL, which fixes the page size; a file with content keeps
    // its own). A WAL commit writes every page it changed whole, and in a mature log the indexes
    // keyed at random (a client digest, an organisation) change a page per record: at 2,000,000
    // records the write path sustains 14,185 records/s on 8 KiB pages against 11,787 on 16 KiB
    // in commits of 500, and 7,719 against 5,876 in commits of 10 (a saturated gateway's usual
    // batch), and on a fresh file the two are alike (bench/micro/ingest-mature.ts,
    // docs/performance.md). The 4 KiB default splits a 1 KiB record's pages far more often and
    // is slower on a fresh file.
    db.pragma(`page_size = ${PAGE_SIZE_BYTES}`);
    // WAL lets readers (gateway snapshots, auditors) run while a writer commits, and lets several
    // processes on one machine share the file. An in-memory database answers 'memory' and stays so.
    // Several processes (and the write thread) opening a new file at once can get SQLITE_BUSY
    // here without the busy handler being consulted, so the switch is retried until the timeout.
    retryWhileBusy(() => db.pragma('journal_mode = WAL'), busyTimeoutMs);
    db.pragma(`synchronous = ${options.sqliteSync === 'normal' ? 'NORMAL' : options.sqliteSync === 'off' ? 'OFF' : 'FULL'}`);
    db.pragma('foreign_keys = ON');
    // When a WAL starts over, a file grown past this is cut back to it, so a burst does not leave
    // a huge WAL on disk for good.
    db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT_BYTES}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
