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

/** Base64url characters (A–Z, a–z, 0–9, '-', '_'), by char code. */
const BASE64URL = new Uint8Array(128);
for (let c = 0; c < 128; c++) BASE64URL[c] = /[A-Za-z0-9_-]/.test(String.fromCharCode(c)) ? 1 : 0;

/** Whether `header` starts with `scheme` (lower-case ASCII) in any case, then a space. */
function schemeAt(header: string, scheme: string): boolean {
  if (header.length <= scheme.length || header.charCodeAt(scheme.length) !== 0x20) return false;
  // ASCII letters only: `c | 0x20` equals a lower-case letter's code only for that letter and its capital.
  for (let i = 0; i < scheme.length; i++) if ((header.charCodeAt(i) | 0x20) !== scheme.charCodeAt(i)) return false;
  return true;
}

/**
 * The common case in one pass, without a regular expression: `Bearer <jws>` (or `DPoP <jws>`)
 * with nothing around it, the token three non-empty base64url segments within the size bound,
 * each canonical. Returns what `checkedCredentials` returns for such a header, or null for
 * anything else, which `checkedCredentials` then judges (and explains).
 */
function wellFormedCredentials(header: string, maxTokenBytes: number, acceptDpop: boolean): { token: string; scheme: Scheme } | null {
  if (header.length > maxTokenBytes + 64) return null;
  let i: number;
  let scheme: Scheme;
  if (schemeAt(header, 'bearer')) [i, scheme] = [7, 'Bearer'];
  else if (acceptDpop && schemeAt(header, 'dpop')) [i, scheme] = [5, 'DPoP'];
  else return null;
  while (header.charCodeAt(i) === 0x20) i++;
  const start = i;
  // Base64url is ASCII: the string length is the byte length.
  if (header.length - start > maxTokenBytes) return null;
  let dots = 0;
  let segmentStart = start;
  for (; i < header.length; i++) {
    const c = header.charCodeAt(i);
    if (c === 0x2e) {
      if (i === segmentStart || ++dots > 2 || !canonicalSegment(header, segmentStart, i)) return null;
      segmentStart = i + 1;
    } else if (c >= 128 || BASE64URL[c] === 0) return null;
  }
  if (dots !== 2 || i === segmentStart || !canonicalSegment(header, segmentStart, i)) return null;
  return { token: header.slice(start), scheme };
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
