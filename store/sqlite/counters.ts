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
 */
function withStatementCache(db: Database.Database): Database.Database {
  const statements = new Map<string, Database.Statement>();
  return new Proxy(db, {
    get(target, property) {
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
