/**
 * Checks on the Authorization header that cost no crypto, so a malformed or oversized token
 * is refused before jose (and before any JWKS fetch) sees it.
 */
import { denial, type Denial } from '../../core/errors.js';

// RFC 6750 (Bearer) and RFC 9449 §7.1 (DPoP): the scheme name is case-insensitive; one or more spaces before the credentials.
const CREDENTIALS = /^(Bearer|DPoP) +(\S+)$/i;
// Compact JWS: three non-empty base64url segments. An empty signature (alg "none") never passes.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The Authorization header as received: a string, or every value when the request repeats it
 * (`headerValues`, core/http.ts, as `IncomingMessage.headersDistinct` has it). Node's `req.headers` keeps only the first of repeated
 * Authorization headers, so a valid-then-forged pair would be judged on the first alone.
 */
export type AuthorizationHeader = string | readonly string[] | undefined;

export type Scheme = 'Bearer' | 'DPoP';

/**
 * Extracts the compact token and its scheme from `Bearer <token>` or (when `acceptDpop`)
 * `DPoP <token>`, or returns an UNAUTHENTICATED denial.
 */
export function credentialsFrom(received: AuthorizationHeader, maxTokenBytes: number, acceptDpop = false): { token: string; scheme: Scheme } | { denial: Denial } {
  const header = typeof received === 'string' ? received : Array.isArray(received) && received.length === 1 ? (received[0] as string) : undefined;
  if (header !== undefined) {
    const fast = wellFormedCredentials(header, maxTokenBytes, acceptDpop);
    if (fast) return fast;
  }
  return checkedCredentials(received, maxTokenBytes, acceptDpop);
}

/**
 * The common header whole: either scheme in any case (ASCII letters spelled out, no /i), spaces,
 * and three non-empty base64url segments to the end. One pass of the regular-expression engine,
 * whose compiled code reads a character in a few instructions (a loop over charCodeAt took several
 * times as many, counted under callgrind).
 */
const WELL_FORMED = /^(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Dd][Pp][Oo][Pp]) +[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The common case in one pass: `Bearer <jws>` (or `DPoP <jws>` when accepted) with nothing around
 * it, the token within the size bound and each segment canonical. Returns what
 * `checkedCredentials` returns for such a header, or null for anything else, which
 * `checkedCredentials` then judges (and explains).
 */
function wellFormedCredentials(header: string, maxTokenBytes: number, acceptDpop: boolean): { token: string; scheme: Scheme } | null {
  if (header.length > maxTokenBytes + 64 || !WELL_FORMED.test(header)) return null;
  const dpop = (header.charCodeAt(0) | 0x20) === 0x64; // 'd'
  if (dpop && !acceptDpop) return null;
  let start = dpop ? 5 : 7;
  while (header.charCodeAt(start) === 0x20) start++;
  // Base64url is ASCII: the string length is the byte length.
  if (header.length - start > maxTokenBytes) return null;
  const first = header.indexOf('.', start);
  const second = header.indexOf('.', first + 1);
  if (!canonicalSegment(header, start, first) || !canonicalSegment(header, first + 1, second) || !canonicalSegment(header, second + 1, header.length)) return null;
  return { token: header.slice(start), scheme: dpop ? 'DPoP' : 'Bearer' };
}

/** The checks one by one, each refusal with its reason: the judge of every header the fast path does not take (exported for the test that holds the two together). */
export function checkedCredentials(received: AuthorizationHeader, maxTokenBytes: number, acceptDpop: boolean): { token: string; scheme: Scheme } | { denial: Denial } {
  // Two credentials are refused outright: which one a proxy, a log or this gateway believes must never differ.
  if (Array.isArray(received) && received.length > 1) return { denial: denial('UNAUTHENTICATED', 'Send exactly one Authorization header.', { reason: 'ambiguous' }) };
  const header = Array.isArray(received) ? received[0] : (received as string | undefined);
  if (header === undefined || header === '') return { denial: denial('UNAUTHENTICATED', 'An Authorization: Bearer token is required.', { reason: 'missing' }) };
  // Bound the work before running a regular expression over attacker-sized input.
  if (header.length > maxTokenBytes + 64) return { denial: denial('UNAUTHENTICATED', 'The token is too large.', { reason: 'oversized' }) };
  const match = CREDENTIALS.exec(header.trim());
  const scheme: Scheme | null = match ? (match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer') : null;
  if (!match || (scheme === 'DPoP' && !acceptDpop)) return { denial: denial('UNAUTHENTICATED', 'The Authorization header must use the Bearer scheme.', { reason: 'not_bearer' }) };
  const token = match[2]!;
  // Base64url is ASCII, so the string length is its byte length once the shape check passes;
  // Buffer.byteLength keeps the bound honest for non-ASCII input that fails the shape anyway.
  if (Buffer.byteLength(token, 'utf8') > maxTokenBytes) return { denial: denial('UNAUTHENTICATED', 'The token is too large.', { reason: 'oversized' }) };
  if (!COMPACT_JWS.test(token) || !token.split('.').every(canonicalBase64url)) return { denial: denial('UNAUTHENTICATED', 'The token is not a signed JWT.', { reason: 'malformed' }) };
  return { token, scheme: scheme! };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether a base64url segment is the one text its bytes encode to: no length that cannot end a
 * block, and no bits set past the last byte. Decoders ignore those bits, so without this one token
 * would be accepted as up to 16 texts: 16 cache entries and 16 DPoP `ath` values (review s18c F4).
 */
function canonicalBase64url(segment: string): boolean {
  return canonicalSegment(segment, 0, segment.length);
}

/** canonicalBase64url of `text.slice(start, end)`, without slicing it. */
function canonicalSegment(text: string, start: number, end: number): boolean {
  const rest = (end - start) % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = ALPHABET.indexOf(text[end - 1]!);
  // Two characters carry one byte (4 spare bits), three carry two (2 spare bits).
  return last % (rest === 2 ? 16 : 4) === 0;
}

/** Extracts the compact token from `Bearer <token>`, or returns an UNAUTHENTICATED denial. */
export function bearerTokenFrom(received: AuthorizationHeader, maxTokenBytes: number): { token: string } | { denial: Denial } {
  return credentialsFrom(received, maxTokenBytes, false);
}
