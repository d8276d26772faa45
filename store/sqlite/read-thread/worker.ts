/**
 * The SQLite read thread: runs the auditors' filtered reads of the access log (a page, a count, a
 * summary) on a read-only connection of its own, one at a time. Loaded by bootstrap.mjs; see
 * client.ts. The connection opens on first use and again after a failure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GraphQLError } from 'graphql';
import { queryTimeRefusal, SqliteAccessLogQueries } from '../access-log-queries.js';
import { serializedError } from '../errors.js';
import type { ReadError, ReadReply, ReadRequest, ReadThreadData } from './protocol.js';

const data = workerData as ReadThreadData;
const port = parentPort!;
const stop = new Int32Array(data.stop);
let open: { db: Database.Database; queries: SqliteAccessLogQueries } | null = null;
/** The read being answered: its id and deadline (ms since the epoch). */
let current = { id: 0, deadline: 0 };

/** Whether the read being answered has reached its deadline (a limit of 0 ms: at once), or the store gave up on it. */
const overdue = (): boolean => Date.now() >= current.deadline || Atomics.load(stop, 0) === current.id;

function queries(): SqliteAccessLogQueries {
  if (open?.db.open) return open.queries;
  // No busy wait inside SQLite (timeout 0): the thread waits for a lock here, in JavaScript
  // (answered), where a stop reaches it at once.
  const db = new Database(data.path, { readonly: true, fileMustExist: true, timeout: 0 });
  try {
    open = { db, queries: new SqliteAccessLogQueries(db, overdue) };
  } catch (err) {
    db.close();
    throw err;
  }
  return open.queries;
}

const isBusy = (err: unknown): boolean => typeof (err as { code?: unknown } | null)?.code === 'string' && (err as { code: string }).code.startsWith('SQLITE_BUSY');
/** Between two tries at a lock another connection holds, ms. */
const BUSY_RETRY_MS = 10;

function answer(request: ReadRequest): unknown {
  const q = queries();
  switch (request.op) {
    case 'query':
      return q.queryAccessLogs(request.filter, request.page);
    case 'count':
      return q.countAccessLogs(request.filter);
    case 'summary':
      return q.summarizeAccessLogs(request.filter);
  }
}

function serialized(err: unknown): ReadError {
  if (err instanceof GraphQLError) {
    const { code, http: _http, ...details } = err.extensions as Record<string, unknown>;
    // A CodedError's extensions beside code and http are its details (ErrorDetails).
    return { name: 'CodedError', message: err.message, coded: { code: String(code), details } };
  }
  return serializedError(err);
}

/**
 * The read's answer; while another connection holds the lock it needs, tried again every
 * BUSY_RETRY_MS up to the busy timeout (as SQLite's own busy handler would), the thread idle in
 * between, until the read is overdue.
 */
async function answered(request: ReadRequest): Promise<unknown> {
  current = { id: request.id, deadline: request.deadline };
  const giveUpAt = Date.now() + data.busyTimeoutMs;
  for (;;) {
    try {
      return answer(request);
    } catch (err) {
      if (!isBusy(err) || Date.now() >= giveUpAt) throw err;
    }
    if (overdue()) throw queryTimeRefusal(null);
    await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS));
  }
}

// One read at a time, in the order asked (the store asks one at a time anyway).
let turn: Promise<void> = Promise.resolve();
port.on('message', (request: ReadRequest) => {
  turn = turn.then(() => replyTo(request));
});

async function replyTo(request: ReadRequest): Promise<void> {
  let reply: ReadReply;
  try {
    reply = { id: request.id, value: await answered(request) };
  } catch (err) {
    // A connection that failed (a busy or damaged file) is opened again for the next read.
    if (open && !(err instanceof GraphQLError)) {
      try {
        open.db.close();
      } catch {
        /* already unusable */
      }
      open = null;
    }
    reply = { id: request.id, error: serialized(err) };
  }
  port.postMessage(reply);
}
