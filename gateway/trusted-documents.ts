/**
 * The pipeline's trusted-documents stage: which document a request runs, and whether the
 * product's approved operation manifest (registry/operation-manifest.ts) holds it.
 *
 * A client may send the document, its hash, or both, in the conventions clients already speak:
 * Apollo's persisted queries (`extensions.persistedQuery.sha256Hash`) and GraphQL over HTTP's
 * `documentId` (`sha256:<hex>` or bare hex). A hash alone is looked up in the caller's approved
 * manifest, which also spares the bandwidth; a hash beside a document must be that document's.
 * Then the product's mode decides: OFF serves anything, LOG serves it and says so in the access
 * record, ENFORCE refuses a document outside the manifest with OPERATION_NOT_CERTIFIED.
 *
 * Cost on the request path: nothing for a product in OFF without a hash; otherwise one SHA-256 of
 * the document and one map lookup (the manifest's index is built once per register change).
 */
import type { Denial } from '../core/errors.js';
import { documentHash, manifestIndexOf, trustedDocumentsModeOf } from '../registry/operation-manifest.js';
import type { Product, TrustedDocumentsMode } from '../registry/model.js';

import type { ManifestUse } from '../audit/record.js';

/** One GraphQL request's document fields, from a POST body object or a GET query string. */
interface DocumentParams {
  query: unknown;
  /** The hash the client named, if any, lowercase hex; `false` when one was sent but is malformed. */
  hash: string | null | false;
}

export interface TrustedDocument {
  /** The refusal, when the request may not run (its record still says what the manifest said). */
  refusal?: Denial;
  /** What the access record says (null: nothing to say). */
  use: ManifestUse | null;
  /** The request as Apollo must see it when the document came from the manifest or a hash was sent; null to pass it on unchanged. */
  rewritten: { body: unknown; search: string } | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

function hashOf(value: unknown): string | null | false {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') return false;
  const hex = value.startsWith('sha256:') ? value.slice(7) : value;
  return HEX64.test(hex) ? hex : false;
}

function hashIn(extensions: unknown, documentId: unknown): string | null | false {
  const persisted = extensions && typeof extensions === 'object' ? (extensions as { persistedQuery?: unknown }).persistedQuery : undefined;
  const fromExtension = persisted === undefined || persisted === null ? null : typeof persisted === 'object' ? hashOf((persisted as { sha256Hash?: unknown }).sha256Hash ?? false) : false;
  const fromId = hashOf(documentId);
  if (fromExtension === false || fromId === false) return false;
  if (fromExtension && fromId && fromExtension !== fromId) return false;
  return fromExtension ?? fromId;
}

function paramsOfBody(body: Record<string, unknown>): DocumentParams {
  return { query: body.query, hash: hashIn(body.extensions, body.documentId) };
}

function paramsOfSearch(search: URLSearchParams): DocumentParams | false {
  let extensions: unknown = undefined;
  const raw = search.get('extensions');
  if (raw !== null) {
    try {
      extensions = JSON.parse(raw);
    } catch {
      return false;
    }
  }
  return { query: search.get('query') ?? undefined, hash: hashIn(extensions, search.get('documentId') ?? undefined) };
}

/** The extensions other than `persistedQuery` (which Apollo must not see), or null when none are left. Any JSON value may come in. */
function otherExtensions(extensions: unknown): Record<string, unknown> | null {
  if (!extensions || typeof extensions !== 'object' || Array.isArray(extensions)) return null;
  const { persistedQuery: _pq, ...others } = extensions as Record<string, unknown>;
  return Object.keys(others).length ? others : null;
}

/** The body with the manifest's document in place and the hash fields Apollo must not see removed. */
function rewrittenBody(body: Record<string, unknown>, query: string): Record<string, unknown> {
  const { documentId: _id, extensions, ...rest } = body;
  const others = otherExtensions(extensions);
  return others ? { ...rest, query, extensions: others } : { ...rest, query };
}

function rewrittenSearch(search: URLSearchParams, query: string): string {
  const next = new URLSearchParams(search);
  next.set('query', query);
  next.delete('documentId');
  const raw = next.get('extensions');
  if (raw !== null) {
    // Parsed before (paramsOfSearch), so it parses.
    const others = otherExtensions(JSON.parse(raw));
    if (others) next.set('extensions', JSON.stringify(others));
    else next.delete('extensions');
  }
  return next.toString();
}

const BAD_HASH: Denial = { code: 'BAD_REQUEST', message: 'The document hash must be a SHA-256 in lowercase hex (extensions.persistedQuery.sha256Hash, or documentId as sha256:<hex>), the same in both places, and match the document when one is sent.' };
const NOT_FOUND: Denial = { code: 'PERSISTED_QUERY_NOT_FOUND', message: 'No approved operation of this caller has this hash; send the document.' };
const NOT_CERTIFIED: Denial = { code: 'OPERATION_NOT_CERTIFIED', message: 'This operation is not in the product\u2019s certified operation manifest.' };

/**
 * Judges one request. `product` is the caller's register entry (null for staff); `body` the parsed
 * POST body object, or null for GET, whose parameters are in `search` (the URL's query string,
 * parsed only for GET: a POST's is passed on as it came).
 */
export function judgeDocument(product: Product | null, body: Record<string, unknown> | null, search: string): TrustedDocument {
  const params = body ? paramsOfBody(body) : paramsOfSearch(new URLSearchParams(search));
  if (params === false || params.hash === false) return refused(BAD_HASH);
  const mode = product ? trustedDocumentsModeOf(product) : 'OFF';
  const index = product ? manifestIndexOf(product) : null;
  const { query, hash } = params;
  if (mode === 'OFF' && hash === null) return { use: null, rewritten: null };

  if (typeof query === 'string') {
    const computed = documentHash(query);
    if (hash !== null && hash !== computed) return refused(BAD_HASH);
    const entry = index?.has(computed) ? computed : null;
    const judged = finish(mode, product, entry, query, body, search, hash !== null);
    return !entry && mode === 'ENFORCE' ? { ...judged, refusal: NOT_CERTIFIED, rewritten: null } : judged;
  }
  if (hash === null) return { use: null, rewritten: null }; // no document at all: Apollo answers that
  const op = index?.get(hash);
  if (!op) return mode === 'ENFORCE' ? { refusal: NOT_CERTIFIED, use: { mode, version: product?.manifest?.version ?? null, entry: null }, rewritten: null } : refused(NOT_FOUND);
  return finish(mode, product, hash, op.document, body, search, true);
}

function refused(refusal: Denial): TrustedDocument {
  return { refusal, use: null, rewritten: null };
}

function finish(mode: TrustedDocumentsMode, product: Product | null, entry: string | null, document: string, body: Record<string, unknown> | null, search: string, rewrite: boolean): TrustedDocument {
  const involved = mode !== 'OFF' || Boolean(product?.manifest);
  return {
    use: involved ? { mode, version: product?.manifest?.version ?? null, entry } : null,
    rewritten: rewrite ? (body ? { body: rewrittenBody(body, document), search } : { body: undefined, search: rewrittenSearch(new URLSearchParams(search), document) }) : null,
  };
}
