/**
 * Creates every collection and index explicitly at startup (mongoose's autoCreate/autoIndex are
 * off), so init() resolves only once the database is ready and fails loudly when it cannot be.
 */
import type mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import type { Logger } from '../../core/logger.js';
import { MongoStartupError } from './connection.js';
import { ACCESS_RECORDS_COLLECTION, ACCESS_RECORDS_TIMESERIES, REGISTRY_COUNTER_ID, type Models } from './models/index.js';

/** The collection rate limiters share (one document per limiter key; keys carry the limiter's prefix). */
export const RATE_LIMIT_COLLECTION = 'rate_limits';

/** MongoDB's NamespaceExists: the collection is already there (another instance created it). */
const NAMESPACE_EXISTS = 48;

/**
 * IndexBuildAlreadyInProgress (285) and IndexBuildAborted (276): another process started the same
 * index build a moment earlier (several instances initialising one new database at once). The
 * server's own concurrency tests accept exactly these two answers from a racing createIndex; the
 * build finishes on its own, and asking again afterwards finds the index and succeeds.
 */
const INDEX_BUILD_RACE = new Set([285, 276]);

const codeOf = (err: unknown): unknown => (err as { code?: unknown } | null)?.code;

/**
 * Runs `build` (a createIndex/createIndexes call) again while it loses a race with an identical
 * build in another process: up to `attempts` times, `pauseMs` apart (default 50 × 200 ms, about
 * ten seconds, the order of an index build on the small collections a new database starts with).
 */
export async function buildIndexes(build: () => Promise<unknown>, options: { attempts?: number; pauseMs?: number } = {}): Promise<void> {
  const attempts = options.attempts ?? 50;
  for (let attempt = 1; ; attempt++) {
    try {
      await build();
      return;
    } catch (err) {
      if (!INDEX_BUILD_RACE.has(codeOf(err) as number) || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 200));
    }
  }
}

async function createIfMissing(connection: Connection, name: string, options: mongoose.mongo.CreateCollectionOptions = {}): Promise<void> {
  try {
    await connection.createCollection(name, options);
  } catch (err) {
    if (codeOf(err) !== NAMESPACE_EXISTS) throw err;
  }
}

/**
 * The access-record collection must be a time-series collection, created before any insert: a
 * first insert into a missing collection would create an ordinary one, and a collection's type
 * can never be changed afterwards. Retention (`expireAfterSeconds`) can: when the configured
 * value differs from the collection's, collMod applies the new one.
 */
async function ensureAccessRecords(connection: Connection, retentionSeconds: number, logger?: Logger): Promise<void> {
  await createIfMissing(connection, ACCESS_RECORDS_COLLECTION, { timeseries: { ...ACCESS_RECORDS_TIMESERIES }, expireAfterSeconds: retentionSeconds });
  const db = connection.db;
  if (!db) throw new MongoStartupError('MongoDB connection has no database handle', 'UNREACHABLE');
  const [info] = (await db.listCollections({ name: ACCESS_RECORDS_COLLECTION }).toArray()) as Array<{
    type?: string;
    options?: { expireAfterSeconds?: unknown; timeseries?: { timeField?: unknown; metaField?: unknown } };
  }>;
  if (info?.type !== 'timeseries') {
    throw new MongoStartupError(
      `collection ${db.databaseName}.${ACCESS_RECORDS_COLLECTION} exists but is not a time-series collection; ` +
        'move its documents elsewhere and drop it, then restart (the store recreates it as time-series)',
      'NOT_TIMESERIES',
    );
  }
  // Every insert must carry the collection's timeField, and a collection's time-series fields can
  // never be changed: one made with other fields would take no record the store writes.
  const { timeField, metaField } = info.options?.timeseries ?? {};
  if (timeField !== ACCESS_RECORDS_TIMESERIES.timeField || metaField !== ACCESS_RECORDS_TIMESERIES.metaField) {
    throw new MongoStartupError(
      `collection ${db.databaseName}.${ACCESS_RECORDS_COLLECTION} is a time-series collection with timeField ${String(timeField)} and metaField ${String(metaField)}, ` +
        `not ${ACCESS_RECORDS_TIMESERIES.timeField} and ${ACCESS_RECORDS_TIMESERIES.metaField}; move its documents elsewhere and drop it, then restart (the store recreates it)`,
      'NOT_TIMESERIES',
    );
  }
  if (info.options?.expireAfterSeconds !== retentionSeconds) {
    // Refusing to start is deliberate: running on with the old retention could delete records
    // the operator has just asked to keep.
    await db.command({ collMod: ACCESS_RECORDS_COLLECTION, expireAfterSeconds: retentionSeconds }).catch((err: unknown) => {
      throw new MongoStartupError(
        `cannot change the retention of ${db.databaseName}.${ACCESS_RECORDS_COLLECTION} to ${retentionSeconds} s ` +
          `(it is ${String(info.options?.expireAfterSeconds ?? 'unset')}): ${(err as Error)?.message ?? String(err)}. ` +
          'The database user needs the collMod privilege (e.g. the dbAdmin role), or set AUDIT_RETENTION_DAYS back.',
        'RETENTION',
      );
    });
    logger?.info({ collection: ACCESS_RECORDS_COLLECTION, expireAfterSeconds: retentionSeconds, was: info.options?.expireAfterSeconds ?? null }, 'access-record retention updated');
  }
}

export async function ensureCollections(connection: Connection, models: Models, options: { retentionSeconds: number; logger?: Logger }): Promise<void> {
  await ensureAccessRecords(connection, options.retentionSeconds, options.logger);
  for (const model of Object.values(models)) {
    const name = model.collection.collectionName;
    if (name !== ACCESS_RECORDS_COLLECTION) await createIfMissing(connection, name);
    // Builds the indexes declared on the schema (schema.index(...)); existing identical ones are kept.
    await buildIndexes(() => model.createIndexes());
  }
  // The counter exists before any change, so the $inc inside a registry transaction always
  // updates and never has to insert (two first-ever inserts racing in transactions would not be
  // retried by the server the way plain upserts are).
  await models.Counter.updateOne({ _id: REGISTRY_COUNTER_ID }, { $setOnInsert: { seq: 0 } }, { upsert: true });
  await ensureRateLimitCollection(connection);
}

/**
 * RateLimiterMongo's collection with exactly the indexes the limiter itself would create
 * (rate-limiter-flexible 11, RateLimiterMongo.createIndexes: TTL on `expire`, unique `key`),
 * created here and awaited, so limiters start with `disableIndexesCreation` instead of racing
 * their own unawaited index build against the first consume.
 */
async function ensureRateLimitCollection(connection: Connection): Promise<void> {
  await createIfMissing(connection, RATE_LIMIT_COLLECTION);
  const collection = connection.db!.collection(RATE_LIMIT_COLLECTION);
  await buildIndexes(() => collection.createIndex({ expire: -1 }, { expireAfterSeconds: 0 }));
  await buildIndexes(() => collection.createIndex({ key: 1 }, { unique: true }));
}
