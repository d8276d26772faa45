/**
 * Turns the auditor's filter input (the accessLogs query's, and the export endpoint's query
 * string) into the store's filter: validates times, lengths and shapes, and replaces a client id by
 * its keyed digest (the log holds digests only, so that is also the only way to match).
 */
import { clientDigest } from './digest.js';
import { DECISIONS, type AccessLogFilter, type Decision } from './record.js';
import { CodedError } from '../core/errors.js';
import { recordedOperationName } from './sanitize.js';

export interface AccessLogFilterInput {
  from?: string | null;
  to?: string | null;
  productId?: string | null;
  developerId?: string | null;
  org?: string | null;
  clientId?: string | null;
  decision?: string | null;
  errorCode?: string | null;
  operationName?: string | null;
  sub?: string | null;
  issuer?: string | null;
  role?: string | null;
  jti?: string | null;
  clientIp?: string | null;
  httpStatus?: number | null;
  coordinate?: string | null;
}

/** Every criterion's name, in the order the schema lists them (the export endpoint accepts exactly these). */
export const FILTER_FIELDS = ['from', 'to', 'productId', 'developerId', 'org', 'clientId', 'decision', 'errorCode', 'operationName', 'sub', 'issuer', 'role', 'jti', 'clientIp', 'httpStatus', 'coordinate'] as const;

/** Longest value accepted for any text criterion (stored values are shorter still). */
export const MAX_FILTER_VALUE = 256;

function text(value: string | null | undefined, name: string): string | null {
  if (value == null) return null;
  if (value.length > MAX_FILTER_VALUE) throw new CodedError('BAD_USER_INPUT', `filter.${name} is too long.`, { details: { field: name } });
  return value;
}

/** The operation name criterion as a record would hold it; one that cleans to nothing is matched as given (no record holds it). */
function filterOperationName(value: string | null): string | null {
  return value === null ? null : (recordedOperationName(value) ?? value);
}

/** A full ISO 8601 date, or date-time with a zone: Date.parse alone would accept locale formats like "1/2/2025". */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2})))?$/;

/** Whether the matched date and time exist: Date.parse rolls 30 February over to 2 March, and T24:00 to the next day. */
function exists(m: RegExpExecArray): boolean {
  const [year, month, day, hour, minute, second, offsetHours, offsetMinutes] = m.slice(1).map((v) => (v === undefined ? 0 : Number(v)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return month! >= 1 && month! <= 12 && day! >= 1 && day! <= daysInMonth && hour! <= 23 && minute! <= 59 && second! <= 59 && offsetHours! <= 23 && offsetMinutes! <= 59;
}

function time(value: string | null | undefined, name: string): string | null {
  if (value == null) return null;
  const m = ISO_DATE_TIME.exec(value);
  const ms = m && exists(m) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) throw new CodedError('BAD_USER_INPUT', `filter.${name} is not an ISO 8601 date-time.`, { details: { field: name } });
  return new Date(ms).toISOString();
}

function status(value: number | null | undefined): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 100 || value > 599) throw new CodedError('BAD_USER_INPUT', 'filter.httpStatus must be an HTTP status code (100–599).', { details: { field: 'httpStatus' } });
  return value;
}

/** A schema coordinate `Type.field` (GraphQL names). */
const COORDINATE = /^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/;

export function toStoreFilter(input: AccessLogFilterInput | null | undefined, hmacKey: Buffer): AccessLogFilter {
  const f = input ?? {};
  const coordinate = text(f.coordinate, 'coordinate');
  if (coordinate !== null && !COORDINATE.test(coordinate)) throw new CodedError('BAD_USER_INPUT', 'filter.coordinate must be a schema coordinate such as Query.client.', { details: { field: 'coordinate' } });
  const clientId = text(f.clientId, 'clientId');
  const decision = f.decision ?? null;
  if (decision !== null && !(DECISIONS as readonly string[]).includes(decision)) {
    throw new CodedError('BAD_USER_INPUT', 'filter.decision is not a decision.', { details: { field: 'decision' } });
  }
  return {
    from: time(f.from, 'from'),
    to: time(f.to, 'to'),
    productId: text(f.productId, 'productId'),
    developerId: text(f.developerId, 'developerId'),
    org: text(f.org, 'org'),
    clientDigest: clientId === null ? null : clientDigest(hmacKey, clientId),
    decision: decision as Decision | null,
    errorCode: text(f.errorCode, 'errorCode'),
    // Cleaned and masked as the record's is (gateway/access-log/access-record.ts): the stores match it exactly.
    operationName: filterOperationName(text(f.operationName, 'operationName')),
    sub: text(f.sub, 'sub'),
    issuer: text(f.issuer, 'issuer'),
    role: text(f.role, 'role'),
    jti: text(f.jti, 'jti'),
    clientIp: text(f.clientIp, 'clientIp'),
    httpStatus: status(f.httpStatus),
    coordinate,
  };
}
