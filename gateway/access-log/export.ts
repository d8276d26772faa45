/**
 * `GET /audit/export?format=ndjson|csv&<AccessLogFilterInput criteria>`, or the same parameters
 * as a `POST` body (application/x-www-form-urlencoded): the access records a filter selects,
 * newest first, streamed as NDJSON (one record per line, exactly as stored) or CSV (RFC 4180), for
 * auditors (ato:auditor with MFA). It is the paged `accessLogs` query's result set in one
 * download: the same filter parser (audit/filter.ts), the same store read and order. A client id
 * is taken from a POST body only: a URL is kept by browsers and logged by the proxies on its way,
 * and a client id may be a tax file number, which the gateway itself never stores.
 *
 * Its own stages, in the pipeline's shape (pipeline.ts): method → authenticate → auditor role →
 * staff rate limit → audit capacity → filter. Every export, allowed or refused, leaves one access
 * record (operation `AccessLogExport`, coordinate `Query.accessLogs`, the digest of a filtered
 * client id), committed before the first byte of data leaves. The stream respects backpressure
 * and stops reading when the client goes away.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { jsonPrintable } from '../../audit/sanitize.js';
import { unreadableRow, type AccessLogFilter, type ChainedAccessRecord, type UnreadableRow } from '../../audit/record.js';
import { FILTER_FIELDS, toStoreFilter, type AccessLogFilterInput } from '../../audit/filter.js';
import type { Config } from '../../core/config.js';
import { CodedError, type Denial } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { readTextBody, searchOf, setEveryAnswerHeaders } from '../../core/http.js';
import { AUDITOR, roleDenial } from '../../core/roles.js';
import type { RateLimits } from '../../limits/rate-limit.js';
import type { AccessLogStore } from '../../store/port.js';
import type { OperationFacts } from '../apollo/context.js';
import type { Authenticator } from '../auth/authenticator.js';
import { arrivalOf, refusalAnswer, runStages, type Answer, type RequestFacts, type Stage } from '../pipeline.js';
import { appendAccessRecord, staffStages } from '../http/staff-read.js';
import type { AccessLogWriter } from './writer.js';

export const EXPORT_PATH = '/audit/export';
/** Records read from the store per page while streaming. */
export const EXPORT_PAGE = 500;
/** The most a POST export's body may hold: every criterion at its longest, several times over. */
export const EXPORT_BODY_MAX_BYTES = 16 * 1024;
/** Criteria that name a taxpayer's client: refused in a URL (see above). */
const BODY_ONLY = new Set(['clientId']);

type Format = 'ndjson' | 'csv';

export interface AuditExportDeps {
  authenticator: Authenticator;
  rateLimits: RateLimits;
  writer: AccessLogWriter;
  store: Pick<AccessLogStore, 'queryAccessLogs'>;
  config: Readonly<Config>;
  hmacKey: Buffer;
  now: () => number;
  logger: Logger;
  newRequestId: () => string;
  clientIpOf: (req: IncomingMessage) => string | null;
}

/** The columns of the CSV, in the record's field order. */
export const CSV_COLUMNS = [
  'id', 'time', 'requestId', 'instanceId', 'productId', 'productVersion', 'developerId', 'sub', 'org', 'jti', 'roles',
  'operationName', 'operationType', 'documentHash', 'coordinates', 'services', 'clientDigests', 'decision', 'reasons',
  'errorCodes', 'httpStatus', 'subgraphs', 'latencyMs', 'clientIp', 'userAgent', 'traceId', 'dpopJkt', 'issuer', 'changes', 'manifest', 'chainId', 'seq', 'prevHash', 'hash',
] as const;
/** Columns whose value is a nested object or list of objects: written as JSON text in the cell (a register change's reason is free text, so no separator would be unambiguous). */
const JSON_COLUMNS = new Set<string>(['changes', 'manifest']);

/**
 * One CSV cell: RFC 4180 quoting, and a cell a spreadsheet would run as a formula (starting with
 * = + - @, a tab or a carriage return) made inert with a leading apostrophe. The fields that can
 * start so are attacker-supplied text (operation name, user agent). The same goes for text just
 * after a `;`: it joins list items here, and a spreadsheet whose list separator is `;` (a
 * comma-decimal locale) splits a row there whatever the quoting, so `ua;=cmd…;` would otherwise
 * open as a formula cell of its own.
 */
export function csvCell(value: unknown): string {
  let text = value == null ? '' : typeof value === 'string' ? value : String(value);
  text = text.replace(/(^|;)(?=[=+\-@\t\r])/g, "$1'");
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A record as one CSV row. Any stored value gives a row (a record edited by hand in the store, say, with reasons that are not a list): a download is never cut off by one. */
export function csvRow(record: ChainedAccessRecord): string {
  const r = record as unknown as Record<string, unknown>;
  const reason = (x: unknown) => {
    const { code, coordinate } = (typeof x === 'object' && x !== null ? x : { code: x }) as { code?: unknown; coordinate?: unknown };
    return coordinate ? `${String(code)}@${String(coordinate)}` : String(code);
  };
  return `${CSV_COLUMNS.map((column) => {
    const value = r[column];
    if (column === 'reasons') return csvCell(Array.isArray(value) ? value.map(reason).join(';') : value);
    if (JSON_COLUMNS.has(column)) return csvCell(value == null ? null : JSON.stringify(value));
    return csvCell(Array.isArray(value) ? value.join(';') : value);
  }).join(',')}\r\n`;
}

/** A record as one line of the export; one that cannot be written out (a value nested too deeply: only a hand-made record) is exported as unreadable, so the download goes on. */
export function exportLine(record: ChainedAccessRecord, format: Format): string {
  try {
    if (record === null || typeof record !== 'object') throw new TypeError('not a record');
    return format === 'csv' ? csvRow(record) : `${jsonPrintable(JSON.stringify(record))}\n`;
  } catch {
    const { chainId, seq } = (record ?? {}) as { chainId?: unknown; seq?: unknown };
    return unreadableLine(unreadableRow(chainId, seq, 'the stored record cannot be written out (a value nested too deeply)'), format);
  }
}

/**
 * A stored row that is not a record at all (its text is not JSON: only one edited by hand): it is
 * exported too, so the download holds every row the filter selects. NDJSON: a line of its own
 * kind; CSV: decision UNREADABLE, where it is stored, and why in the reasons column.
 */
export function unreadableLine(row: UnreadableRow, format: Format): string {
  if (format === 'ndjson') return `${jsonPrintable(JSON.stringify({ unreadable: row }))}\n`;
  const cells: Record<string, unknown> = { chainId: row.chainId, seq: row.seq, decision: 'UNREADABLE', reasons: row.reason };
  return `${CSV_COLUMNS.map((column) => csvCell(cells[column])).join(',')}\r\n`;
}

type ExportRequest = { format: Format; input: AccessLogFilterInput };

/** A GET's query string as filter input and format; anything unknown or repeated, or a client id, is refused. */
export function exportRequestOf(url: string | undefined): ExportRequest | Denial {
  if (!wellEncoded(searchOf(url))) return MALFORMED_ENCODING;
  return exportParamsOf(new URL(url ?? '/', 'http://x').searchParams, 'url');
}

const MALFORMED_ENCODING: Denial = { code: 'BAD_REQUEST', message: 'The criteria hold a malformed percent-escape or one that is not well-formed UTF-8.' };

/**
 * Whether every name and value of a query string (or form body) decodes strictly: URLSearchParams
 * keeps a malformed escape (`%zz`, a lone `%`) as it stands and decodes bytes that are not UTF-8
 * (`%FF`, an encoded surrogate) to U+FFFD, so a criterion would silently be another one.
 */
function wellEncoded(text: string): boolean {
  for (const part of text.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * A POST's criteria: the same parameters, in an application/x-www-form-urlencoded body (well-formed
 * UTF-8, at most EXPORT_BODY_MAX_BYTES), and none in its URL.
 */
export async function exportBodyRequestOf(req: IncomingMessage): Promise<ExportRequest | Denial> {
  if (searchOf(req.url) !== '') return { code: 'BAD_USER_INPUT', message: 'A POST export takes its criteria in its body only, not in its URL.', details: { field: null } };
  const type = String(req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return { code: 'BAD_REQUEST', message: 'A POST export takes its criteria as application/x-www-form-urlencoded.' };
  const read = await readTextBody(req, EXPORT_BODY_MAX_BYTES, `The export's criteria take at most ${EXPORT_BODY_MAX_BYTES} bytes.`);
  if ('refusal' in read) return read.refusal;
  if (!wellEncoded(read.text)) return MALFORMED_ENCODING;
  return exportParamsOf(new URLSearchParams(read.text), 'body');
}

function exportParamsOf(params: URLSearchParams, from: 'url' | 'body'): ExportRequest | Denial {
  const input: Record<string, unknown> = {};
  let format: Format = 'ndjson';
  const bad = (field: string, message: string): Denial => ({ code: 'BAD_USER_INPUT', message, details: { field } });
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) return bad(name, `${name} is given more than once.`);
    seen.add(name);
    if (name === 'format') {
      if (value !== 'ndjson' && value !== 'csv') return bad('format', 'format must be ndjson or csv.');
      format = value;
    } else if (name === 'httpStatus') {
      if (!/^\d{3}$/.test(value)) return bad('httpStatus', 'httpStatus must be an HTTP status code.');
      input.httpStatus = Number(value);
    } else if (BODY_ONLY.has(name) && from === 'url') {
      return bad(name, `${name} is not taken in a URL, which browsers keep and proxies log: send the criteria as a POST body (application/x-www-form-urlencoded).`);
    } else if ((FILTER_FIELDS as readonly string[]).includes(name)) input[name] = value;
    else return bad(name, `${name} is not a filter of the access log (${FILTER_FIELDS.join(', ')}, format).`);
  }
  return { format, input: input as AccessLogFilterInput };
}

/** What an export attempted, for its access record. */
function exportFacts(clientId: string | null): OperationFacts {
  return { operationName: 'AccessLogExport', operationType: 'export', documentHash: null, coordinates: ['Query.accessLogs'], services: [], clientIds: clientId ? [clientId] : [], reasons: [], errorCodes: null, subgraphs: [] };
}

export function createAuditExport(deps: AuditExportDeps): { handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> } {
  const { logger } = deps;
  /** Where the request's filter is parsed to (not a RequestFacts field: only this endpoint has one). */
  const parsed = new WeakMap<IncomingMessage, { format: Format; filter: AccessLogFilter; clientId: string | null }>();

  const stages: readonly Stage[] = [
    { name: 'method', run: (_req, facts) => (facts.arrival.method === 'GET' || facts.arrival.method === 'POST' ? {} : { refusal: { code: 'METHOD_NOT_ALLOWED', message: 'The export answers GET and POST only.' } }) },
    ...staffStages(deps, (token) => roleDenial(token, [AUDITOR], 'The access-log export')),
    {
      name: 'filter',
      async run(req, facts) {
        // A POST's body is read only here, once the caller is known to be an auditor within quota.
        const request = facts.arrival.method === 'POST' ? await exportBodyRequestOf(req) : exportRequestOf(req.url);
        if ('code' in request) return { refusal: request };
        try {
          parsed.set(req, { format: request.format, filter: toStoreFilter(request.input, deps.hmacKey), clientId: request.input.clientId ?? null });
          return {};
        } catch (err) {
          if (err instanceof CodedError) return { refusal: { code: 'BAD_USER_INPUT', message: err.message, details: { field: (err.extensions as { field?: string }).field ?? null } } };
          throw err;
        }
      },
    },
    // Every check passed: the streamed answer starts from here (runStages ends at an answer).
    { name: 'ready', run: () => ({ answer: { status: 200, body: '', headers: new Map(), errorCodes: [], refusal: null } }) },
  ];

  /** Appends the export's access record; false when it could not be written (nothing may be released then). */
  const record = (facts: RequestFacts, answer: Answer, clientId: string | null): Promise<boolean> => appendAccessRecord(deps, facts, answer, exportFacts(clientId));

  function send(res: ServerResponse, answer: Answer, requestId: string): void {
    if (answer.refusal === 'METHOD_NOT_ALLOWED') answer.headers.set('allow', 'GET, POST');
    answer.headers.set('x-request-id', requestId);
    res.statusCode = answer.status;
    for (const [k, v] of answer.headers) res.setHeader(k, v);
    setEveryAnswerHeaders(res);
    res.end(answer.body);
  }

  return {
    async handle(req, res) {
      if ((req.url ?? '/').split('?', 1)[0] !== EXPORT_PATH) return false;
      const arrival = arrivalOf(req, deps.newRequestId(), deps.now(), deps.clientIpOf(req));
      let run: { facts: RequestFacts; answer: Answer };
      try {
        run = await runStages(stages, req, arrival);
      } catch (err) {
        logger.error({ err, requestId: arrival.requestId }, 'export failed');
        run = { facts: { arrival }, answer: refusalAnswer({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }) };
      }
      // Drained here, in one place: a GET's body (none worth reading), or a POST's refused before it was read, so the connection can be reused.
      if (!req.readableEnded) req.resume();
      const request = parsed.get(req);
      const clientId = request?.clientId ?? null;
      if (run.answer.refusal || !request) {
        await record(run.facts, run.answer, clientId);
        send(res, run.answer, arrival.requestId);
        return true;
      }

      // The first page is read before anything is recorded or sent: a store that cannot answer is a refusal.
      let page;
      try {
        page = await deps.store.queryAccessLogs(request.filter, { first: EXPORT_PAGE });
      } catch (err) {
        // A read past its time limit (OPERATION_LIMIT_EXCEEDED, QUERY_TIME) is the caller's to narrow; anything else is the store's.
        const limited = err instanceof CodedError && err.extensions['code'] === 'OPERATION_LIMIT_EXCEEDED';
        if (!limited) logger.error({ err, requestId: arrival.requestId }, 'export: access log unreadable');
        const answer = refusalAnswer(limited ? { code: 'OPERATION_LIMIT_EXCEEDED', message: err.message, details: { limit: err.extensions['limit'] } } : { code: 'AUDIT_UNAVAILABLE', message: 'The access log cannot be read; try again.' }, run.facts.quotaHeaders);
        await record(run.facts, answer, clientId);
        send(res, answer, arrival.requestId);
        return true;
      }
      // Durable before release: no data leaves without its access record.
      if (!(await record(run.facts, run.answer, clientId))) {
        send(res, refusalAnswer({ code: 'AUDIT_UNAVAILABLE', message: 'The access log cannot be written; requests are refused until it can.' }), arrival.requestId);
        return true;
      }

      const stamp = new Date(arrival.arrivedAt).toISOString().replace(/[:.]/g, '-');
      res.statusCode = 200;
      res.setHeader('content-type', request.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="access-log-${stamp}.${request.format}"`);
      setEveryAnswerHeaders(res);
      res.setHeader('x-request-id', arrival.requestId);
      for (const [k, v] of Object.entries(run.facts.quotaHeaders ?? {})) res.setHeader(k, v);
      let gone = false;
      res.once('close', () => (gone = true));
      const write = async (text: string) => {
        if (!res.write(text) && !gone) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      };
      try {
        if (request.format === 'csv') await write(`${CSV_COLUMNS.join(',')}\r\n`);
        for (;;) {
          for (const r of page.records) {
            if (gone) return true;
            await write(exportLine(r, request.format));
          }
          for (const row of page.unreadable ?? []) {
            if (gone) return true;
            await write(unreadableLine(row, request.format));
          }
          if (!page.nextCursor || gone) break;
          page = await deps.store.queryAccessLogs(request.filter, { first: EXPORT_PAGE, after: page.nextCursor });
        }
        res.end();
      } catch (err) {
        // Headers are out: the only honest signal left is a cut connection (the download is incomplete).
        logger.error({ err, requestId: arrival.requestId }, 'export interrupted');
        res.destroy(err as Error);
      }
      return true;
    },
  };
}
