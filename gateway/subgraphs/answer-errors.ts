/**
 * A subgraph's errors as the gateway takes them (session 32's review, F2–F9). @apollo/gateway
 * hands a subgraph's errors on whole: its code, message, path and every extension. Our
 * formatError, the response status and the access record all read them, so a subgraph (a
 * compromised one, or one that is not ours) could make the gateway answer the caller 401
 * without `WWW-Authenticate` or 429 without `Retry-After`, record a request as refused at the
 * product check (`PRODUCT_REVOKED`) until monitoring suspends the product, hide a request from
 * the product's detectors (`UNAUTHENTICATED`), label another subgraph's field refused, turn the
 * whole answer into a 500 with a value nested 10,000 deep, or write 10,000 log lines.
 *
 * So each error is admitted on these terms:
 * - its code is one a subgraph raises (SUBGRAPH_CODES, plus the codes of the subgraph's own
 *   dependencies in OWN_CODES); any other code, or none, makes it SUBGRAPH_UNAVAILABLE with a
 *   message of ours (the subgraph's own words may name a host or a query), and the data source
 *   logs what it said, once per answer;
 * - its path is an array of field names and indices that follows the fields its fetch selected
 *   (for an entity fetch, a field of an entity among the representations sent); a path that
 *   strays is cut back to where it still holds, and one that is not a path is left out;
 * - its message is a string of at most MAX_MESSAGE characters, and its extensions keep, beside
 *   the code, the detail keys of ERROR_DETAIL_KEYS whose values are plain JSON of at most
 *   MAX_DETAIL_DEPTH nested lists or objects and MAX_DETAIL_CHARS characters;
 * - one answer gives at most MAX_ERRORS errors and MAX_ANSWER_CHARS of the subgraph's text; past
 *   that, an error keeps its code and path with our message and no details.
 */
import { ERROR_DETAIL_KEYS, type ErrorCode } from '../../core/errors.js';
import type { AnswerNode, AnswerShape } from './answer-shape.js';

/** The codes any subgraph may answer with: the field-level refusals and the resolver's own (domain) outcomes. */
export const SUBGRAPH_CODES: readonly ErrorCode[] = [
  'SERVICE_NOT_WHITELISTED', 'SCOPE_NOT_GRANTED', 'CLIENT_NOT_AUTHORISED', 'RESTRICTED_DATA', 'DATA_HOSTING_NOT_ONSHORE',
  'ROLE_REQUIRED', 'MFA_REQUIRED', 'FORBIDDEN', 'BAD_USER_INPUT', 'NOT_FOUND', 'SUBGRAPH_UNAVAILABLE',
];

/**
 * The codes one subgraph adds: the register's lifecycle and its store (registry); the access
 * log's store, and its reads stopped at their time limit (audit: OPERATION_LIMIT_EXCEEDED with
 * `limit: QUERY_TIME`, store/sqlite/access-log-queries.ts).
 */
export const OWN_CODES: Readonly<Record<string, readonly ErrorCode[]>> = {
  registry: ['ILLEGAL_TRANSITION', 'REVISION_CONFLICT', 'ELIGIBILITY_FAILED', 'REGISTRY_UNAVAILABLE'],
  audit: ['AUDIT_UNAVAILABLE', 'OPERATION_LIMIT_EXCEEDED'],
};

export function subgraphCodes(name: string): ReadonlySet<string> {
  return new Set([...SUBGRAPH_CODES, ...(Object.hasOwn(OWN_CODES, name) ? OWN_CODES[name]! : [])]);
}

export const MAX_ERRORS = 200;
export const MAX_MESSAGE = 1_000;
export const MAX_DETAIL_DEPTH = 6;
export const MAX_DETAIL_CHARS = 8_192;
export const MAX_ANSWER_CHARS = 64 * 1024;
/** Longer than any path the operation limits let a document select (depth, lists): a longer one is no path of this fetch. */
const MAX_PATH = 64;

export const UNAVAILABLE_MESSAGE = 'A service could not answer part of this request.';
const DETAIL_KEYS: ReadonlySet<string> = new Set(ERROR_DETAIL_KEYS);

/** SUBGRAPH_UNAVAILABLE with our message, at `path` (in the fetch's terms) or at none. */
export function unavailableAt(path: Array<string | number> | undefined): AdmittedError {
  return { message: UNAVAILABLE_MESSAGE, ...(path ? { path } : {}), extensions: { code: 'SUBGRAPH_UNAVAILABLE' } };
}

/** An error as the gateway passes it on. */
export interface AdmittedError {
  message: string;
  path?: Array<string | number>;
  extensions: Record<string, unknown> & { code: string };
}

/** What was changed, for the one log line per answer: never the values, which may be anyone's data. */
export interface AdmissionNotes {
  received: number;
  /** Errors beyond MAX_ERRORS, left out. */
  dropped: number;
  /** Up to five of the errors made SUBGRAPH_UNAVAILABLE: the code they had (cut) and their message (cut). */
  recoded: Array<{ code: string | null; message: string }>;
  recodedCount: number;
  /** Paths cut back or left out. */
  paths: number;
  /** Names of extension keys left out (at most 20, each cut to 64 characters). */
  keys: string[];
  /** Detail values left out: too deep, too long, or past the answer's budget. */
  values: number;
}

/** Characters `value` takes as JSON, or null when it is not plain JSON within `depth` levels and `budget` characters. */
function jsonChars(value: unknown, depth: number, budget: number): number | null {
  if (value === null || typeof value === 'boolean') return 5;
  if (typeof value === 'number') return Number.isFinite(value) ? 24 : null;
  if (typeof value === 'string') return value.length + 2 <= budget ? value.length + 2 : null;
  if (typeof value !== 'object' || depth === 0) return null;
  let used = 2;
  const entries = Array.isArray(value) ? value.map((v) => ['', v] as const) : Object.entries(value);
  for (const [key, v] of entries) {
    const size = jsonChars(v, depth - 1, budget - used - key.length - 4);
    if (size === null) return null;
    used += size + key.length + 4;
    if (used > budget) return null;
  }
  return used;
}

const isIndex = (s: unknown): s is number => typeof s === 'number' && Number.isSafeInteger(s) && s >= 0;

/**
 * The longest start of `path` that follows `shape`: field names the fetch selected, indices
 * after a field (list items). An entity fetch's path starts `_entities, i` with `i` below the
 * number of representations sent. Null when nothing of it holds, or it is not a path at all.
 */
export function pathWithin(path: unknown, shape: AnswerShape | null, representations: number | null): Array<string | number> | null {
  if (!Array.isArray(path) || path.length === 0 || path.length > MAX_PATH) return null;
  if (!path.every((s) => (typeof s === 'string' && s.length <= 256) || isIndex(s))) return null;
  const kept: Array<string | number> = [];
  let level: AnswerNode | null = shape;
  for (const [i, segment] of (path as Array<string | number>).entries()) {
    if (typeof segment === 'number') {
      if (i === 0) break;
      if (representations !== null && i === 1 && segment >= representations) break;
    } else {
      if (!(level instanceof Map)) break; // past a leaf, or no shape known
      const next = level.get(segment);
      if (next === undefined) break;
      level = next.node;
    }
    kept.push(segment);
  }
  // An entity error must name a field this fetch asked of the entity: `_entities, i` alone would
  // put the error on the entity itself, a field another subgraph served (session 33's review, S33-F).
  if (representations !== null && kept.length < 3) return null;
  return kept.length ? kept : null;
}

/**
 * The errors of one subgraph answer as the gateway passes them on, and what was changed.
 * `representations`: how many entities an entity fetch sent (null for a root fetch).
 */
export function admitErrors(errors: readonly unknown[], codes: ReadonlySet<string>, shape: AnswerShape | null, representations: number | null): { errors: AdmittedError[]; notes: AdmissionNotes } {
  const notes: AdmissionNotes = { received: errors.length, dropped: Math.max(0, errors.length - MAX_ERRORS), recoded: [], recodedCount: 0, paths: 0, keys: [], values: 0 };
  let budget = MAX_ANSWER_CHARS;
  const admitted: AdmittedError[] = [];
  for (const raw of errors.slice(0, MAX_ERRORS)) {
    const error = (typeof raw === 'object' && raw !== null ? raw : {}) as { message?: unknown; path?: unknown; extensions?: unknown };
    const extensions = typeof error.extensions === 'object' && error.extensions !== null && !Array.isArray(error.extensions) ? (error.extensions as Record<string, unknown>) : {};
    const code = extensions.code;
    const message = typeof error.message === 'string' && error.message.length > 0 ? error.message.slice(0, MAX_MESSAGE) : null;
    const path = pathWithin(error.path, shape, representations);
    if (error.path !== undefined && (path === null || path.length !== (error.path as unknown[]).length)) notes.paths++;
    const out = unavailableAt(path ?? undefined);
    admitted.push(out);
    if (typeof code !== 'string' || !codes.has(code) || message === null) {
      notes.recodedCount++;
      if (notes.recoded.length < 5) notes.recoded.push({ code: typeof code === 'string' ? code.slice(0, 64) : null, message: (message ?? '').slice(0, 200) });
      continue;
    }
    out.extensions.code = code;
    if (message.length > budget) continue; // past the answer's budget: our message, no details
    out.message = message;
    budget -= message.length;
    for (const [key, value] of Object.entries(extensions)) {
      if (key === 'code') continue;
      if (!DETAIL_KEYS.has(key)) {
        if (notes.keys.length < 20 && !notes.keys.includes(key.slice(0, 64))) notes.keys.push(key.slice(0, 64));
        continue;
      }
      const size = jsonChars(value, MAX_DETAIL_DEPTH, Math.min(MAX_DETAIL_CHARS, budget));
      if (size === null) {
        notes.values++;
        continue;
      }
      out.extensions[key] = value;
      budget -= size;
    }
  }
  return { errors: admitted, notes };
}

/** Whether anything was changed that the operators should hear of. */
export function worthLogging(notes: AdmissionNotes): boolean {
  return notes.dropped > 0 || notes.recodedCount > 0 || notes.paths > 0 || notes.keys.length > 0 || notes.values > 0;
}
