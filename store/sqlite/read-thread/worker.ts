/**
 * The SQLite read thread: runs the auditors' filtered reads of the access log (a page, a count, a
 * summary) on a read-only connection of its own, one at a time. Loaded by bootstrap.mjs; see
 * client.ts. The connection opens on first use and again after a failure.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { GraphQLError } from 'graphql';
import { SqliteAccessLogQueries } from '../access-log-queries.js';
import { serializedError } from '../errors.js';
import type { ReadError, ReadReply, ReadRequest, ReadThreadData } from './protocol.js';

const data = workerData as ReadThreadData;
const port = parentPort!;
let open: { db: Database.Database; queries: SqliteAccessLogQueries } | null = null;
/** The deadline of the read being answered (ms since the epoch). */
let deadline = 0;

function queries(): SqliteAccessLogQueries {
  if (open?.db.open) return open.queries;
  const db = new Database(data.path, { readonly: true, fileMustExist: true, timeout: data.busyTimeoutMs });
  open = { db, queries: new SqliteAccessLogQueries(db, () => deadline) };
  return open.queries;
}

function answer(request: ReadRequest): unknown {
  deadline = request.deadline;
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
    return { name: 'CodedError', message: err.message, coded: { code: String(code), details } };
  }
  return serializedError(err);
}

port.on('message', (request: ReadRequest) => {
  let reply: ReadReply;
  try {
    reply = { id: request.id, value: answer(request) };
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
});
