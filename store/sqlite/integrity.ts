/**
 * SQLite's own consistency check of the access log's tables: every index agrees with its table
 * and every b-tree is well formed (`PRAGMA integrity_check(TABLE)`). Someone with write access to
 * the file can make an index disagree with its table (through `writable_schema`): the verifier,
 * which reads the tables, would see intact records while filtered queries, which use the indexes,
 * list or miss the wrong ones.
 *
 * For a file the check runs on its own read-only connection in a short-lived worker thread, so a
 * large log's check (it reads every page of these tables) never holds up the event loop; an
 * in-memory database (tests) has only its one connection and is checked on it.
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { MEMORY_PATH } from './connection.js';

/** The tables an auditor's query or the verifier reads. */
export const CHECKED_TABLES = ['access_records', 'access_record_codes', 'access_record_clients', 'access_staged', 'checkpoints', 'chain_heads', 'chain_ledger'] as const;

/** At most this many messages are kept (SQLite's own default limit is 100 per check). */
export const MAX_INTEGRITY_PROBLEMS = 50;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db = null;
try {
  db = new Database(workerData.path, { readonly: true, fileMustExist: true, timeout: workerData.busyTimeoutMs });
  const problems = [];
  for (const table of workerData.tables) {
    for (const row of db.pragma('integrity_check(' + table + ')')) {
      const message = String(row.integrity_check);
      if (message !== 'ok' && problems.length < workerData.max) problems.push(table + ': ' + message);
    }
  }
  parentPort.postMessage({ problems });
} catch (err) {
  parentPort.postMessage({ error: String((err && err.message) || err) });
} finally {
  if (db) db.close();
}
`;

function checkOn(db: Database.Database): string[] {
  const problems: string[] = [];
  for (const table of CHECKED_TABLES) {
    for (const row of db.pragma(`integrity_check(${table})`) as Array<{ integrity_check: unknown }>) {
      const message = String(row.integrity_check);
      if (message !== 'ok' && problems.length < MAX_INTEGRITY_PROBLEMS) problems.push(`${table}: ${message}`);
    }
  }
  return problems;
}

/** What SQLite's integrity check finds wrong with the access log's tables (empty when nothing). Rejects when the check cannot run. */
export function integrityProblems(db: Database.Database, path: string, busyTimeoutMs: number): Promise<string[]> {
  if (path === MEMORY_PATH) return Promise.resolve(checkOn(db));
  return new Promise((resolve, reject) => {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(WORKER, { eval: true, workerData: { driver, path, busyTimeoutMs, tables: CHECKED_TABLES, max: MAX_INTEGRITY_PROBLEMS } });
    let settled = false;
    worker.once('message', (reply: { problems?: string[]; error?: string }) => {
      settled = true;
      if (reply.error !== undefined) reject(new Error(`integrity check: ${reply.error}`));
      else resolve(reply.problems ?? []);
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`integrity check: the worker exited (${code}) without an answer`));
    });
  });
}
