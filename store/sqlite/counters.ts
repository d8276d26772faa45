/**
 * Rate-limit counters in SQLite: rate-limiter-flexible's RateLimiterSQLite on a given connection,
 * the same way wherever it runs (the write thread, or the store's own connection for ':memory:').
 * Imports nothing of the gateway, so the write thread loads it cheaply.
 */
import type Database from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import type { RateLimiterSpec } from '../port.js';
import { RATE_LIMIT_TABLE } from './migrations.js';

/**
 * The table exists (migration 4), hence `tableCreated: true`: the limiter would otherwise create
 * it asynchronously and refuse consumes until then.
 */
export function createSqliteRateLimiter(db: Database.Database, spec: RateLimiterSpec): RateLimiterSQLite {
  return new RateLimiterSQLite({
    storeClient: withStatementCache(db),
    storeType: 'better-sqlite3',
    tableName: RATE_LIMIT_TABLE,
    tableCreated: true,
    keyPrefix: spec.keyPrefix,
    points: spec.points,
    duration: spec.duration,
  });
}

/**
 * rate-limiter-flexible prepares its SQL again on every consume; a prepared statement is reusable
 * in better-sqlite3, so the limiter gets a view of the connection whose `prepare` is cached.
 *
 * It also wraps its one write, a single upsert statement, in `db.transaction(fn)()`, building a
 * new transaction function each time (better-sqlite3 makes five wrappers and their properties per
 * call: a quarter of the write thread's time on counters). A single statement is atomic by itself,
 * in a transaction of its own when none is open, and undone alone when it fails inside one (the
 * write thread runs a message's limiter calls in one transaction, write-thread/serve-batch.ts); so the view's
 * `transaction(fn)` runs `fn` as it is. Only a function of one statement may be given to it.
 */
function withStatementCache(db: Database.Database): Database.Database {
  const statements = new Map<string, Database.Statement>();
  return new Proxy(db, {
    get(target, property) {
      if (property === 'transaction') return oneStatement;
      if (property === 'prepare') {
        return (sql: string) => {
          let statement = statements.get(sql);
          if (!statement) statements.set(sql, (statement = target.prepare(sql)));
          return statement;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** The view's `transaction`: `fn`, whose one statement needs no transaction of its own (above). */
function oneStatement<F extends (...args: never[]) => unknown>(fn: F): F {
  return fn;
}
