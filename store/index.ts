/**
 * `createStore(url)`: picks the adapter from STORE_URL and returns it opened (migrations run,
 * collections and indexes created).
 *
 * - `sqlite:<path>`: better-sqlite3 file (its parent directory is created), e.g. `sqlite:data/dsp.db`;
 * - `sqlite::memory:`: a private in-memory database, for tests;
 * - `mongodb://…` / `mongodb+srv://…`: MongoDB through mongoose. Loaded with a dynamic import so
 *   that SQLite deployments never load mongoose.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { Store } from './port.js';
import { createSqliteStore } from './sqlite/index.js';

export interface CreateStoreOptions {
  /** SQLite commit durability: 'full' (default) fsyncs every commit; 'normal' may lose the last commits on power loss. */
  sqliteSync?: 'full' | 'normal';
  /** MongoDB access-record retention in days (time-series `expireAfterSeconds`). Default: the Mongo adapter's (at least 365). Ignored by SQLite. */
  retentionDays?: number;
  /** Receives adapter notices (migrations, connection). Default: none. */
  logger?: Logger;
  /**
   * Clock, ms (tests move it instead of waiting). SQLite: the write thread's respawn pause and its
   * rate-limit counters' time. MongoDB's counters read the system clock. Default Date.now.
   */
  now?: () => number;
}

const SQLITE_PREFIX = 'sqlite:';

export async function createStore(url: string, options: CreateStoreOptions = {}): Promise<Store> {
  let store: Store;
  if (url.startsWith(SQLITE_PREFIX)) {
    const path = url.slice(SQLITE_PREFIX.length);
    if (!path) throw new Error(`STORE_URL "${url}" names no file: use sqlite:<path> or sqlite::memory:`);
    if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
    store = createSqliteStore({
      path,
      ...(options.sqliteSync ? { sqliteSync: options.sqliteSync } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  } else if (url.startsWith('mongodb://') || url.startsWith('mongodb+srv://')) {
    const { createMongoStore } = await import('./mongo/index.js');
    store = await createMongoStore(url, options);
  } else {
    // Never echo the URL whole: a MongoDB URL may carry a password.
    const scheme = /^[a-z][a-z0-9+.-]*:/i.exec(url)?.[0] ?? '(none)';
    throw new Error(`STORE_URL scheme ${scheme} is not supported: use sqlite:<path>, sqlite::memory:, mongodb:// or mongodb+srv://`);
  }
  await store.init();
  return store;
}
