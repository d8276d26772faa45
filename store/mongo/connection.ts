/**
 * Opening the MongoDB connection: driver options, startup checks and startup errors that name
 * the server without ever echoing a password.
 */
import mongoose from 'mongoose';
import type { ConnectOptions, Connection } from 'mongoose';

export interface MongoConnectionOptions {
  /** How long the driver looks for a suitable server before an operation (or startup) fails. Default 5000 ms. */
  serverSelectionTimeoutMS?: number;
  /** TCP connect timeout. Default 5000 ms. */
  connectTimeoutMS?: number;
  /** Database used when the URL names none. Default 'dsp'. */
  defaultDbName?: string;
}

const SCHEME = /^(mongodb(?:\+srv)?:\/\/)/i;

/** The URL without `user:password@`. */
export function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/?#]*@/i, '$1');
}

/** The host list of a MongoDB URL (`mongo1:27017,mongo2:27017`), for messages. */
export function hostsOf(uri: string): string {
  const rest = redactUri(uri).replace(SCHEME, '');
  const hosts = rest.split(/[/?#]/, 1)[0] ?? '';
  return hosts || '(no host)';
}

/** The database named by the URL path, or null (`mongodb://h/` or `mongodb://h?x=y`). */
export function dbNameOf(uri: string): string | null {
  const rest = redactUri(uri).replace(SCHEME, '');
  const match = /^[^/?#]*\/([^?#]*)/.exec(rest);
  const name = match?.[1] ? decodeURIComponent(match[1]) : '';
  return name || null;
}

/** The password in the URL, decoded as the driver reads it (to scrub it from driver messages). */
function passwordOf(uri: string): string | null {
  const match = /^mongodb(?:\+srv)?:\/\/[^:@/?#]*:([^@/?#]*)@/i.exec(uri);
  if (!match?.[1]) return null;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

/** Removes the URL's credentials from any text (a driver message may quote the URL). */
export function scrub(text: string, uri: string): string {
  let out = text.split(uri).join(redactUri(uri));
  const password = passwordOf(uri);
  if (password) {
    out = out.split(password).join('***');
    const raw = /^mongodb(?:\+srv)?:\/\/[^:@/?#]*:([^@/?#]*)@/i.exec(uri)?.[1];
    if (raw) out = out.split(raw).join('***');
  }
  return out;
}

/**
 * Driver and mongoose options. Why each:
 * - `serverSelectionTimeoutMS` / `connectTimeoutMS` 5 s: an unreachable server fails startup and
 *   operations within seconds (callers fail closed) instead of the driver's 30 s default.
 * - `retryWrites` / `retryReads`: a primary step-down or a dropped socket is retried once by the
 *   driver; retryable writes are applied at most once by the server (statement ids per session).
 * - `w: 'majority'`: an acknowledged write survives the loss of the primary (no rollback), which is
 *   what "durable before the response is released" means on a replica set.
 * - `ignoreUndefined`: undefined members are dropped as JSON.stringify would, never stored as null.
 * - `autoIndex` / `autoCreate` false and `bufferCommands` false: init() creates collections and
 *   indexes itself and awaits them; after that an operation on a lost connection fails fast
 *   through server selection instead of queueing silently in mongoose's buffer.
 */
export function connectOptions(uri: string, options: MongoConnectionOptions = {}): ConnectOptions {
  return {
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 5000,
    connectTimeoutMS: options.connectTimeoutMS ?? 5000,
    retryWrites: true,
    retryReads: true,
    w: 'majority',
    ignoreUndefined: true,
    appName: 'dsp-gateway',
    autoIndex: false,
    autoCreate: false,
    bufferCommands: false,
    ...(dbNameOf(uri) ? {} : { dbName: options.defaultDbName ?? 'dsp' }),
  };
}

/** A startup failure with a message fit for an operator: which server, what went wrong, no secrets. */
export class MongoStartupError extends Error {
  override readonly name = 'MongoStartupError';
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
    throw new MongoStartupError(`${what}: ${scrub(reasonOf(err), uri)}`);
  }
  const problem = await serverProblem(connection, hosts, uri);
  if (problem) {
    await connection.destroy(true).catch(() => undefined);
    throw new MongoStartupError(problem);
  }
}

/** Why the connected server cannot host the store, or null when it can. */
async function serverProblem(connection: Connection, hosts: string, uri: string): Promise<string | null> {
  const db = connection.db;
  if (!db) return `cannot connect to MongoDB at ${hosts}: no database handle after connecting`;
  let hello: { setName?: string; msg?: string };
  let version: string;
  try {
    hello = (await db.admin().command({ hello: 1 })) as { setName?: string; msg?: string };
    version = String(((await db.admin().buildInfo()) as { version?: unknown }).version ?? '0');
  } catch (err) {
    return `MongoDB at ${hosts} refused the startup checks: ${scrub(reasonOf(err), uri)}`;
  }
  if (!hello.setName && hello.msg !== 'isdbgrid') {
    return `MongoDB at ${hosts} is a standalone server: the store needs a replica set for transactions (start mongod with --replSet and run rs.initiate(), or point STORE_URL at a replica set)`;
  }
  if (!(Number.parseInt(version, 10) >= 6)) {
    return `MongoDB at ${hosts} is version ${version}: the store needs 6.0 or later (secondary indexes on time-series collections)`;
  }
  return null;
}

/** A fresh connection object (not yet open): models can be compiled on it before init(). */
export function newConnection(): Connection {
  return mongoose.createConnection();
}
