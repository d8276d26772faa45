/**
 * The MongoDB adapter of the store port (mongoose), for deployments where several gateway
 * instances share one replica set. `createMongoStore(url)` builds the store without connecting;
 * `init()` connects, checks the server (replica set, 6.0+), creates the collections (access
 * records as a time-series collection) and the schema indexes. store/index.ts calls init().
 *
 * Collections: developers, products, client_authorisations, registry_history, counters (the
 * registry revision), access_records (time-series), access_checkpoints, chain_heads, alerts,
 * incidents, rate_limits (RateLimiterMongo's). How each guarantee of the port is kept without the
 * SQLite adapter's single-file transactions is explained where it is implemented:
 * registry-store.ts (revisions, majority reads for polling), access-log-store.ts (idempotent
 * append), connection.ts (the time bound on every operation, majority writes).
 */
import type mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import { RateLimiterMongo, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../../core/logger.js';
import { guardedPort } from '../guard.js';
import { ACCESS_LOG_METHODS, MONITORING_METHODS, REGISTRY_METHODS, StoreUnavailableError, type AccessLogStore, type MonitoringStore, type RateLimiterSpec, type RegistryStore, type Store } from '../port.js';
import { MongoAccessLog } from './access-log-store.js';
import { ensureCollections, RATE_LIMIT_COLLECTION } from './collections.js';
import { hostsOf, MongoStartupError, newConnection, openConnection, operationBounds, scrub, type MongoConnectionOptions } from './connection.js';
import { guarded, translateMongoError } from './errors.js';
import { MongoMonitoring } from './monitoring-store.js';
import { registerModels, type Models } from './models/index.js';
import { MongoRegistry } from './registry-store.js';

export { hostsOf, MongoStartupError };
export { redactUri } from './connection.js';
export { NO_PRODUCT_KEY } from './access-log-store.js';
export { RATE_LIMIT_COLLECTION } from './collections.js';

/** Default access-record retention: 400 days, so at least 12 months are always kept. */
export const DEFAULT_RETENTION_DAYS = 400;

export interface MongoStoreOptions extends MongoConnectionOptions {
  /** Access records older than this are removed by MongoDB (time-series `expireAfterSeconds`). Default 400. */
  retentionDays?: number;
  /** Receives connection and collection notices. Default: none. */
  logger?: Logger;
  /** Monotonic clock (ms) for the registry transaction deadline. Default: performance.now. */
  now?: () => number;
}

/**
 * Rate-limit counters are written with `w: 1`, not the client's majority: a count is disposable
 * (lost counts after a failover make one window slightly lenient, and the insurance limiter
 * covers outages), and it sits on the request path, where waiting for a majority would add a
 * replication round trip to every request. Write concern set on a Db is inherited by its
 * collections (driver `resolveOptions`), so RateLimiterMongo, given this Db as its store client,
 * writes every count with it.
 */
export const COUNTER_WRITE_CONCERN = { w: 1 } as const;

/** The database handle the rate limiters count through: this database, `w: 1`. */
export function counterDb(client: mongoose.mongo.MongoClient, dbName: string): mongoose.mongo.Db {
  return client.db(dbName, { writeConcern: COUNTER_WRITE_CONCERN });
}

/**
 * Where a limiter counts: counterDb (`w: 1`), or for a durable spec (the DPoP replay cache) the
 * same database with the client's majority write concern and its wtimeoutMS, so that a use it
 * acknowledged survives a failover. That costs a replication round trip per proof.
 */
export function countingDb(client: mongoose.mongo.MongoClient, dbName: string, spec: RateLimiterSpec): mongoose.mongo.Db {
  return spec.durable ? client.db(dbName) : counterDb(client, dbName);
}

/**
 * A RateLimiterMongo counting in `db` (rate-limiter-flexible 11: a store client without a `db()`
 * method is used as the database itself, `client.collection(tableName)`). Its indexes (unique key,
 * TTL on expire) were created by init(); several limiters share the collection because keys carry
 * `keyPrefix`.
 */
export function rateLimiterOn(db: mongoose.mongo.Db, spec: RateLimiterSpec): RateLimiterMongo {
  return new RateLimiterMongo({
    storeClient: db,
    tableName: RATE_LIMIT_COLLECTION,
    disableIndexesCreation: true,
    keyPrefix: spec.keyPrefix,
    points: spec.points,
    duration: spec.duration,
  });
}

interface Parts {
  connection: Connection;
  registry: MongoRegistry;
  accessLog: MongoAccessLog;
  monitoring: MongoMonitoring;
}

/** The port methods, assigned by the guard in the constructor (store/guard.ts). */
export interface MongoStore extends RegistryStore, AccessLogStore, MonitoringStore {}

export class MongoStore implements Store {
  private parts: Parts | null = null;
  private opening: Promise<void> | null = null;
  private readonly retentionSeconds: number;

  constructor(
    private readonly url: string,
    private readonly options: MongoStoreOptions = {},
  ) {
    const days = options.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isFinite(days) || days <= 0) throw new RangeError(`retentionDays must be a positive number of days (got ${String(days)})`);
    operationBounds(options); // throws RangeError now, not at init(), for a bad operationTimeoutMS
    this.retentionSeconds = Math.round(days * 86_400);
    Object.assign(
      this,
      guardedPort(REGISTRY_METHODS, () => this.p.registry, translateMongoError),
      guardedPort(ACCESS_LOG_METHODS, () => this.p.accessLog, translateMongoError),
      guardedPort(MONITORING_METHODS, () => this.p.monitoring, translateMongoError),
    );
  }

  /**
   * Connects and prepares the database (the connection is made here, not by createMongoStore).
   * Idempotent; throws MongoStartupError with a clear reason (host named, password never).
   */
  init(): Promise<void> {
    if (this.parts) return Promise.resolve();
    this.opening ??= this.open().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async open(): Promise<void> {
    const connection = newConnection(this.options);
    const models: Models = registerModels(connection);
    await openConnection(connection, this.url, this.options);
    try {
      await ensureCollections(connection, models, { retentionSeconds: this.retentionSeconds, ...(this.options.logger ? { logger: this.options.logger } : {}) });
    } catch (err) {
      await connection.destroy(true).catch(() => undefined);
      if (err instanceof MongoStartupError) throw err;
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new MongoStartupError(`MongoDB at ${hostsOf(this.url)}: creating collections and indexes failed: ${scrub(reason, this.url)}`, 'SETUP');
    }
    this.parts = {
      connection,
      registry: new MongoRegistry(connection, models, this.options),
      accessLog: new MongoAccessLog(models, connection, this.options),
      monitoring: new MongoMonitoring(models),
    };
    this.options.logger?.info({ hosts: hostsOf(this.url), db: connection.name, retentionDays: this.retentionSeconds / 86_400 }, 'MongoDB store ready');
  }

  /** Closes the connection pool; the store can be opened again with init(). */
  async close(): Promise<void> {
    if (this.opening) await this.opening.catch(() => undefined);
    const parts = this.parts;
    this.parts = null;
    // destroy(): also drops the connection from mongoose's global list, so stores opened and
    // closed repeatedly (tests, restarts in-process) leave nothing behind.
    if (parts) await parts.connection.destroy();
  }

  /** Readiness: the server answers a ping through this store's own connection pool. */
  ping(): Promise<void> {
    return guarded(async () => {
      const db = this.p.connection.db;
      if (!db) throw new StoreUnavailableError('MongoDB store is not connected');
      await db.admin().ping();
    });
  }

  // ── rate limiting ───────────────────────────────────────────────────────────────────────

  /**
   * A RateLimiterMongo on this store's own connection pool: every gateway instance counts in the
   * same `rate_limits` collection, so a product's quota is one quota across instances. It counts
   * through countingDb: `w: 1` (COUNTER_WRITE_CONCERN), or majority for a durable spec.
   * Callers wanting an in-memory insurance limiter set `limiter.insuranceLimiter`.
   */
  createRateLimiter(spec: RateLimiterSpec): RateLimiterAbstract {
    const { connection } = this.p;
    return rateLimiterOn(countingDb(connection.getClient(), connection.name, spec), spec) as unknown as RateLimiterAbstract;
  }

  /** The open connection's parts; a closed or never-opened store is unavailable (callers fail closed). */
  private get p(): Parts {
    if (!this.parts) throw new StoreUnavailableError('MongoDB store is not open');
    return this.parts;
  }
}

/**
 * Creates (but does not connect) a MongoDB store; `init()` connects. Options: `retentionDays`
 * (default 400), `logger` (default none), `serverSelectionTimeoutMS` (default 5000),
 * `connectTimeoutMS` (default 5000), `operationTimeoutMS` (default 10 000), `now` (default
 * performance.now).
 */
export async function createMongoStore(url: string, options: MongoStoreOptions = {}): Promise<Store> {
  return new MongoStore(url, options);
}
