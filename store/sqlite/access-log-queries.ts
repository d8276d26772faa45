/**
 * The auditors' filtered reads of the SQLite access log: a page of records, a count, a summary.
 * A filter on a value that lives only in the record text (sub, jti, clientIp, httpStatus, role,
 * coordinate) scans within the other criteria, so one of these can read the whole log; for a file
 * they run on the read thread (read-thread/client.ts), never on the event loop.
 */
import type Database from 'better-sqlite3';
import { CodedError } from '../../core/errors.js';
import { storedChainIdLabel, type AccessLogFilter, type AccessLogPage, type AccessSummary, type ChainedAccessRecord, type CountBy, type UnreadableRow, unreadableRow } from '../../audit/record.js';
import { decodeCursor, encodeCursor } from './cursor.js';

/** byProduct key for records without a product (unauthenticated, malformed, staff requests). */
export const NO_PRODUCT_KEY = '(none)';

/** A stored record text parsed, or null when it is not a JSON object (`null`, a list, not JSON: only a hand-made row). */
export function parsedRecord(text: unknown): ChainedAccessRecord | null {
  try {
    const parsed: unknown = JSON.parse(text as string);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ChainedAccessRecord) : null;
  } catch {
    return null;
  }
}

function timeMs(iso: string, what: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new CodedError('BAD_USER_INPUT', `${what} is not an ISO date-time.`);
  return ms;
}

/** The record text for SQL's JSON functions, or an empty object when SQLite cannot read it as JSON (they would fail the whole statement). */
const READABLE_RECORD = "CASE WHEN json_valid(r.record) THEN r.record ELSE '{}' END";

/**
 * SQL function `dsp_in_time(row)`: 1 while the read is not overdue (past its deadline, or stopped
 * by the store), else it raises QUERY_TIME, which ends the statement (SQLite calls it for each row
 * the read visits, as the first criterion). A worker thread's terminate() cannot stop a statement
 * inside SQLite; this can.
 */
export const IN_TIME_FUNCTION = 'dsp_in_time';

/** WHERE clause and parameters for a filter; every given criterion is ANDed. Time range is [from, to). */
function whereOf(filter: AccessLogFilter, inTime: boolean): { sql: string; params: Record<string, string | number> } {
  const clauses: string[] = inTime ? [`${IN_TIME_FUNCTION}(r.id)`] : [];
  const params: Record<string, string | number> = {};
  if (filter.from != null) {
    clauses.push('r.time_ms >= @from');
    params.from = timeMs(filter.from, 'from');
  }
  if (filter.to != null) {
    clauses.push('r.time_ms < @to');
    params.to = timeMs(filter.to, 'to');
  }
  const equals: Array<[keyof AccessLogFilter, string]> = [
    ['productId', 'product_id'],
    ['developerId', 'developer_id'],
    ['org', 'org'],
    ['decision', 'decision'],
    ['operationName', 'operation_name'],
  ];
  for (const [key, column] of equals) {
    const value = filter[key];
    if (value != null) {
      clauses.push(`r.${column} = @${key}`);
      params[key] = value;
    }
  }
  if (filter.errorCode != null) {
    clauses.push('r.id IN (SELECT record_rowid FROM access_record_codes WHERE code = @errorCode)');
    params.errorCode = filter.errorCode;
  }
  if (filter.clientDigest != null) {
    clauses.push('r.id IN (SELECT record_rowid FROM access_record_clients WHERE digest = @clientDigest)');
    params.clientDigest = filter.clientDigest;
  }
  // Read from the record itself (the hashed source of truth), not a derived column: these are
  // rarer audit questions, answered by a scan within the other criteria. A record text SQLite
  // cannot read as JSON (only a hand-made one, such as one nested past SQLite's depth limit; the
  // verifier reports it) matches none of them, rather than failing the query for the whole log.
  const fromRecord: Array<[keyof AccessLogFilter, string]> = [
    ['sub', `json_extract(${READABLE_RECORD}, '$.sub')`],
    ['issuer', `json_extract(${READABLE_RECORD}, '$.issuer')`],
    ['jti', `json_extract(${READABLE_RECORD}, '$.jti')`],
    ['clientIp', `json_extract(${READABLE_RECORD}, '$.clientIp')`],
    ['httpStatus', `json_extract(${READABLE_RECORD}, '$.httpStatus')`],
  ];
  for (const [key, expression] of fromRecord) {
    const value = filter[key];
    if (value != null) {
      clauses.push(`${expression} = @${key}`);
      params[key] = value as string | number;
    }
  }
  if (filter.role != null) {
    clauses.push(`EXISTS (SELECT 1 FROM json_each(${READABLE_RECORD}, '$.roles') WHERE value = @role)`);
    params.role = filter.role;
  }
  if (filter.coordinate != null) {
    clauses.push(`EXISTS (SELECT 1 FROM json_each(${READABLE_RECORD}, '$.coordinates') WHERE value = @coordinate)`);
    params.coordinate = filter.coordinate;
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** The refusal of a read past its time limit (the limit in ms when known). */
export function queryTimeRefusal(limitMs: number | null): CodedError {
  return new CodedError('OPERATION_LIMIT_EXCEEDED', `The access-log read took longer than ${limitMs === null ? 'its limit' : `${limitMs} ms`} and was stopped. Narrow it: a time range (from, to), or a product, developer, org, decision, operation name, error code or client.`, { details: { limit: 'QUERY_TIME' } });
}

export class SqliteAccessLogQueries {
  private readonly summaryTx;
  /** Statements for filter shapes, prepared on first use and kept (at most 2^10 shapes). */
  private readonly byShape = new Map<string, Database.Statement>();

  /**
   * `overdue`: when given, every read asks it row by row (dsp_in_time) and one it answers true for
   * fails with OPERATION_LIMIT_EXCEEDED (limit QUERY_TIME). It speaks of the current read (its own
   * deadline, or a stop), so one connection serves reads with their own limits.
   */
  constructor(
    private readonly db: Database.Database,
    private readonly overdue?: () => boolean,
  ) {
    if (overdue) {
      db.function(IN_TIME_FUNCTION, { deterministic: false, varargs: true }, () => {
        if (overdue()) throw queryTimeRefusal(null);
        return 1;
      });
    }
    this.summaryTx = db.transaction((filter: AccessLogFilter) => this.summaryInTransaction(filter));
  }

  queryAccessLogs(filter: AccessLogFilter, page: { first: number; after?: string | null }): AccessLogPage {
    const first = Math.max(0, Math.floor(page.first));
    if (first === 0) return { records: [], nextCursor: null };
    const where = this.where(filter);
    const params: Record<string, string | number | bigint> = { ...where.params, limit: first + 1 };
    let sql = where.sql;
    if (page.after) {
      const key = decodeCursor(page.after);
      // Keyset on (time_ms, id) descending: strictly older than the last row of the previous page.
      sql += `${sql ? ' AND' : 'WHERE'} (r.time_ms < @afterTime OR (r.time_ms = @afterTime AND r.id < @afterId))`;
      params.afterTime = key.timeMs;
      params.afterId = key.rowId;
    }
    const rows = this.statement(`SELECT CAST(r.id AS TEXT) AS id, r.time_ms, r.record, r.chain_id, r.seq FROM access_records r ${sql} ORDER BY r.time_ms DESC, r.id DESC LIMIT @limit`).all(params) as Array<{
      id: string;
      time_ms: number;
      record: string;
      chain_id: unknown;
      seq: unknown;
    }>;
    const pageRows = rows.slice(0, first);
    const last = pageRows[pageRows.length - 1];
    const records: ChainedAccessRecord[] = [];
    const unreadable: UnreadableRow[] = [];
    for (const r of pageRows) {
      const record = parsedRecord(r.record);
      if (record) records.push(record);
      else unreadable.push(unreadableRow(r.chain_id, r.seq, 'the stored record text is not a JSON object'));
    }
    return {
      records,
      ...(unreadable.length ? { unreadable } : {}),
      nextCursor: rows.length > first && last ? encodeCursor({ timeMs: last.time_ms, rowId: BigInt(last.id) }) : null,
    };
  }

  countAccessLogs(filter: AccessLogFilter): number {
    const where = this.where(filter);
    return this.statement(`SELECT COUNT(*) FROM access_records r ${where.sql}`).pluck().get(where.params) as number;
  }

  summarizeAccessLogs(filter: AccessLogFilter): AccessSummary {
    return this.summaryTx(filter);
  }

  private summaryInTransaction(filter: AccessLogFilter): AccessSummary {
    const where = this.where(filter);
    const filtered = `SELECT r.id, r.product_id, r.decision FROM access_records r ${where.sql}`;
    const total = this.statement(`SELECT COUNT(*) FROM (${filtered})`).pluck().get(where.params) as number;
    // A key that is not text (only a hand-made row's) as a label, as the API's String would fail on it.
    const countBy = (sql: string): CountBy[] => (this.statement(sql).all(where.params) as Array<{ key: unknown; count: number }>).map((r) => ({ key: storedChainIdLabel(r.key), count: r.count }));
    return {
      total,
      byProduct: countBy(`SELECT COALESCE(f.product_id, '${NO_PRODUCT_KEY}') AS key, COUNT(*) AS count FROM (${filtered}) f GROUP BY key ORDER BY count DESC, key`),
      byDecision: countBy(`SELECT f.decision AS key, COUNT(*) AS count FROM (${filtered}) f GROUP BY key ORDER BY count DESC, key`),
      byCode: countBy(`SELECT c.code AS key, COUNT(*) AS count FROM (${filtered}) f JOIN access_record_codes c ON c.record_rowid = f.id GROUP BY key ORDER BY count DESC, key`),
    };
  }

  /** whereOf, checking row by row whether the read is overdue when this connection can tell. */
  private where(filter: AccessLogFilter): ReturnType<typeof whereOf> {
    return whereOf(filter, this.overdue !== undefined);
  }

  private statement(sql: string): Database.Statement {
    let statement = this.byShape.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.byShape.set(sql, statement);
    }
    return statement;
  }
}
