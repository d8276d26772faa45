/**
 * Opening the MongoDB connection: driver options (and the time bound on every operation), startup
 * checks, and startup errors that name the server without ever echoing a password.
 *
 * The connection string is read with `mongodb-connection-string-url`, the parser the driver itself
 * uses (mongodb 7.8 depends on it), so what we name in a message is what the driver connected to.
 */
import mongoose from 'mongoose';
import type { ConnectOptions, Connection } from 'mongoose';
import { ConnectionString, redactConnectionString } from 'mongodb-connection-string-url';

export interface MongoConnectionOptions {
  /** How long the driver looks for a suitable server before an operation (or startup) fails. Default 5000 ms. */
  serverSelectionTimeoutMS?: number;
  /** TCP connect (and handshake) timeout. Default 5000 ms. */
  connectTimeoutMS?: number;
  /**
   * The bound on one store operation once a server is selected: waiting for a pooled connection,
   * server-side execution of reads (`maxTimeMS`), waiting for a majority to acknowledge a write
   * (`wtimeoutMS`), a transaction's commit and its retries. A socket that stays silent this long
   * plus 5 s is closed. Default 10 000 ms.
   */
  operationTimeoutMS?: number;
  /** Database used when the URL names none. Default 'dsp'. */
  defaultDbName?: string;
}

export const DEFAULT_OPERATION_TIMEOUT_MS = 10_000;

/** How much longer than an operation's own bound a socket may stay silent before it is closed. */
const SOCKET_MARGIN_MS = 5_000;

/**
 * The URL parsed loosely: a malformed one still yields its parts for messages and redaction (the
 * driver validates it strictly when connecting, with the same library). Null when even that fails.
 */
function parsed(uri: string): ConnectionString | null {
  try {
    return new ConnectionString(uri, { looseValidation: true });
  } catch {
    return null;
  }
}

const decoded = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/**
 * The URL with its credentials replaced by `<credentials>` (and the other secrets a MongoDB URL
 * can carry: `tlsCertificateKeyFilePassword`, `proxyPassword`, an AWS session token). The
 * library's redaction also covers URLs it cannot parse.
 */
export function redactUri(uri: string): string {
  return redactConnectionString(uri);
}

/** The host list of a MongoDB URL (`mongo1:27017,mongo2:27017`), for messages. */
export function hostsOf(uri: string): string {
  // A password with an unencoded `@` would be read as part of a host and printed (review s18b 12).
  const authority = /^[a-z+]+:\/\/([^/?#]*)/i.exec(uri)?.[1] ?? '';
  if (authority.split('@').length > 2) return '(not shown: more than one @ before the hosts; percent-encode @ in the user or password as %40)';
  const hosts = parsed(uri)?.hosts.filter(Boolean) ?? [];
  return hosts.length ? hosts.join(',') : '(no host)';
}

/** The database named by the URL path, or null (`mongodb://h/` or `mongodb://h?x=y`). */
export function dbNameOf(uri: string): string | null {
  const path = parsed(uri)?.pathname ?? '';
  const name = decoded(path.replace(/^\//, ''));
  return name || null;
}

/** Every secret the URL carries, raw and decoded, to scrub them from driver messages. */
function secretsOf(uri: string): string[] {
  const url = parsed(uri);
  if (!url) return [];
  const raw = [url.password, url.searchParams.get('tlsCertificateKeyFilePassword') ?? '', url.searchParams.get('proxyPassword') ?? ''];
  return [...new Set(raw.flatMap((s) => [s, decoded(s)]).filter((s) => s.length > 0))];
}

/** Removes the URL's credentials from any text (a driver message may quote the URL or the password). */
export function scrub(text: string, uri: string): string {
  let out = text.split(uri).join(redactUri(uri));
  for (const secret of secretsOf(uri)) out = out.split(secret).join('***');
  return out;
}

/** Mechanisms whose users live in `$external`: their authSource must not be guessed from the path. */
const EXTERNAL_MECHANISMS = new Set(['MONGODB-X509', 'MONGODB-AWS', 'MONGODB-OIDC', 'GSSAPI', 'PLAIN']);

/**
 * The same deployment and credentials, another database. The MongoDB connection-string rules make
 * the path's database the default `authSource` (admin when there is none), so a user defined in
 * `admin` or in the original database keeps authenticating there: the original authSource is
 * written out unless the URL names one already or its mechanism authenticates against `$external`.
 * Throws MongoParseError for a URL the driver would refuse.
 */
export function uriForDatabase(uri: string, database: string): string {
  const url = new ConnectionString(uri);
  const mechanism = url.searchParams.get('authMechanism')?.toUpperCase() ?? '';
  if (url.username && !url.searchParams.has('authSource') && !EXTERNAL_MECHANISMS.has(mechanism)) {
    url.searchParams.set('authSource', dbNameOf(uri) ?? 'admin');
  }
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** The bounds derived from operationTimeoutMS (see MongoConnectionOptions). */
export function operationBounds(options: MongoConnectionOptions = {}): { operationTimeoutMS: number; socketTimeoutMS: number } {
  const operationTimeoutMS = options.operationTimeoutMS ?? DEFAULT_OPERATION_TIMEOUT_MS;
  if (!Number.isFinite(operationTimeoutMS) || operationTimeoutMS <= 0) {
    throw new RangeError(`operationTimeoutMS must be a positive number of milliseconds (got ${String(operationTimeoutMS)})`);
  }
  return { operationTimeoutMS, socketTimeoutMS: operationTimeoutMS + SOCKET_MARGIN_MS };
}

/** The write concern every majority write inherits from the client: majority, bounded in time. */
export function majorityWriteConcern(options: MongoConnectionOptions = {}): { w: 'majority'; wtimeoutMS: number } {
  return { w: 'majority', wtimeoutMS: operationBounds(options).operationTimeoutMS };
}

/**
 * The MongoClient's own options (what mongoose hands to `new MongoClient`). Why each:
 * - `serverSelectionTimeoutMS` / `connectTimeoutMS` 5 s: an unreachable server fails startup and
 *   operations within seconds (callers fail closed) instead of the driver's 30 s default.
 * - No `timeoutMS`. The driver's client-side operation timeout (CSOT) is a no-op from mongodb
 *   7.8.0 / 6.22.0 (`connection_string.ts`: "timeoutMS has no effect"; release notes of 7.8.0:
 *   earlier versions could desynchronise the connection pool after a timeout and expose another
 *   operation's data), so every stage is bounded with the per-stage options those notes name:
 *   `waitQueueTimeoutMS` (pool checkout), `maxTimeMS` (server-side execution of reads, set on the
 *   mongoose connection by newConnection), `wtimeoutMS` (waiting for a majority),
 *   `maxCommitTimeMS` (transactions, registry-store.ts) and `socketTimeoutMS` (a silent socket;
 *   longer than the others so the server's own limits answer first and the connection survives).
 * - `retryWrites` / `retryReads`: a primary step-down or a dropped socket is retried once by the
 *   driver; retryable writes are applied at most once by the server (statement ids per session).
 * - `writeConcern: { w: 'majority', wtimeoutMS }`: an acknowledged write survives the loss of the
 *   primary (no rollback), which is what "durable before the response is released" means on a
 *   replica set; a primary that cannot reach a majority answers with a write-concern error after
 *   wtimeoutMS instead of holding the write forever. Collections inherit it (driver
 *   `resolveOptions`: an operation's own writeConcern replaces the inherited one whole, so writes
 *   that must be majority pass none). Rate-limit counters opt out (index.ts).
 * - `ignoreUndefined`: undefined members are dropped as JSON.stringify would, never stored as null.
 */
export function driverOptions(options: MongoConnectionOptions = {}): mongoose.mongo.MongoClientOptions {
  const { operationTimeoutMS, socketTimeoutMS } = operationBounds(options);
  return {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    connectTimeoutMS: options.connectTimeoutMS ?? 5000,
    waitQueueTimeoutMS: operationTimeoutMS,
    socketTimeoutMS,
    retryWrites: true,
    retryReads: true,
    // Every read from the primary, whatever STORE_URL says: a secondary may lag, and the register
    // refresh after a register mutation (the change enforced before its answer leaves) and the
    // access log's retry check must see what was just written.
    readPreference: 'primary',
    writeConcern: majorityWriteConcern(options),
    ignoreUndefined: true,
    appName: 'dsp-gateway',
  };
}

/**
 * Driver options plus mongoose's own. `autoIndex` / `autoCreate` false and `bufferCommands` false:
 * init() creates collections and indexes itself and awaits them; after that an operation on a
 * lost connection fails fast through server selection instead of queueing silently in mongoose's
 * buffer.
 */
export function connectOptions(uri: string, options: MongoConnectionOptions = {}): ConnectOptions {
  return {
    ...driverOptions(options),
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
    ...(dbNameOf(uri) ? {} : { dbName: options.defaultDbName ?? 'dsp' }),
  };
}

/** Why startup failed, for callers and tests (the message says it to an operator). */
export type MongoStartupReason = 'BAD_URL' | 'UNREACHABLE' | 'CHECK_REFUSED' | 'STANDALONE' | 'TOO_OLD' | 'NOT_TIMESERIES' | 'RETENTION' | 'SETUP';

/** A startup failure with a message fit for an operator: which server, what went wrong, no secrets. */
export class MongoStartupError extends Error {
  override readonly name = 'MongoStartupError';
  constructor(
    message: string,
    readonly reason: MongoStartupReason,
  ) {
    super(message);
  }
}

function reasonOf(err: unknown): string {
  const e = err as { name?: string; message?: string; code?: unknown } | null;
  const name = e?.name ?? 'Error';
  const message = e?.message ?? String(err);
  return `${name}: ${message}`;
}

/**
 * Opens `connection` on `uri` and checks the server can do what the adapter needs: a replica set
 * (or sharded cluster) for transactions, and MongoDB 6.0+ for secondary indexes on time-series
 * measurement fields. Throws MongoStartupError naming the hosts, never the password.
 */
export async function openConnection(connection: Connection, uri: string, options: MongoConnectionOptions = {}): Promise<void> {
  const hosts = hostsOf(uri);
  try {
    await connection.openUri(uri, connectOptions(uri, options));
  } catch (err) {
    // Stop the driver's background monitoring of a server we are giving up on.
    await connection.destroy(true).catch(() => undefined);
    const parse = (err as { name?: string } | null)?.name === 'MongoParseError';
    const what = parse ? `STORE_URL is not a valid MongoDB connection string (hosts: ${hosts})` : `cannot connect to MongoDB at ${hosts}`;
    throw new MongoStartupError(`${what}: ${scrub(reasonOf(err), uri)}`, parse ? 'BAD_URL' : 'UNREACHABLE');
  }
  const problem = await serverProblemOf(connection, hosts, uri);
  if (problem) {
    await connection.destroy(true).catch(() => undefined);
    throw problem;
  }
}

/** What `hello` and `buildInfo` said about the server, as far as the checks need it. */
export interface ServerFacts {
  /** `hello.setName`: present on a replica-set member. */
  setName?: string | undefined;
  /** `hello.msg`: 'isdbgrid' on a mongos. */
  msg?: string | undefined;
  /** `buildInfo.version`. */
  version: string;
}

/** Why a server with these facts cannot host the store, or null when it can. */
export function serverProblem(facts: ServerFacts, hosts: string): MongoStartupError | null {
  if (!facts.setName && facts.msg !== 'isdbgrid') {
    return new MongoStartupError(
      `MongoDB at ${hosts} is a standalone server: the store needs a replica set for transactions (start mongod with --replSet and run rs.initiate(), or point STORE_URL at a replica set)`,
      'STANDALONE',
    );
  }
  if (!(Number.parseInt(facts.version, 10) >= 6)) {
    return new MongoStartupError(`MongoDB at ${hosts} is version ${facts.version}: the store needs 6.0 or later (secondary indexes on time-series collections)`, 'TOO_OLD');
  }
  return null;
}

async function serverProblemOf(connection: Connection, hosts: string, uri: string): Promise<MongoStartupError | null> {
  const db = connection.db;
  if (!db) return new MongoStartupError(`cannot connect to MongoDB at ${hosts}: no database handle after connecting`, 'UNREACHABLE');
  try {
    const hello = (await db.admin().command({ hello: 1 })) as { setName?: string; msg?: string };
    const version = String(((await db.admin().buildInfo()) as { version?: unknown }).version ?? '0');
    return serverProblem({ setName: hello.setName, msg: hello.msg, version }, hosts);
  } catch (err) {
    return new MongoStartupError(`MongoDB at ${hosts} refused the startup checks: ${scrub(reasonOf(err), uri)}`, 'CHECK_REFUSED');
  }
}

/**
 * A fresh connection object (not yet open): models can be compiled on it before init(). Its
 * `maxTimeMS` bounds the server-side execution of every mongoose query and aggregation on it
 * (mongoose's per-connection option, applied by `applyGlobalMaxTimeMS` to find, findOne,
 * countDocuments, distinct, findOneAndUpdate and aggregate); writes are bounded by wtimeoutMS.
 */
export function newConnection(options: MongoConnectionOptions = {}): Connection {
  const connection = mongoose.createConnection();
  connection.set('maxTimeMS', operationBounds(options).operationTimeoutMS);
  return connection;
}
