/**
 * Untrusted strings (user agent, operation name, header-derived ids) reach the access log, the
 * auditors' screens and log pipelines. They are stripped of control characters (log/terminal
 * injection, forged line breaks) and of Unicode bidirectional overrides (text that displays
 * differently from what it is), then capped in length so one request cannot bloat the log.
 */

/** Length caps, in UTF-16 code units. */
export const SANITIZE_LIMITS = {
  userAgent: 256,
  operationName: 128,
  requestId: 128,
  clientIp: 64,
  /** Token claims: sub, jti, org, software_id, software_version, developer_id, roles. */
  claim: 256,
  /** Error codes, coordinates, service and subgraph names. */
  identifier: 256,
  /** Entries in any one list field (roles, coordinates, codes…). */
  listItems: 200,
} as const;

// C0, DEL, C1 controls; line/paragraph separators; bidi embeddings, overrides and isolates;
// zero-width and BOM characters that can hide content.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/g;

/**
 * What printable escapes: every control (Cc) and format (Cf) character, which covers UNSAFE and
 * also U+061C, U+FFF9–FFFB, soft hyphens and tag characters; line and paragraph separators; and
 * lone surrogates (Cs: a pair is one character and stays). The stripping above keeps its
 * narrower list, because it changes what is stored and hashed.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * Text from the store shown to auditors and written to a terminal (a forger's seq, a chain id,
 * a finding's detail, a storage problem): characters that display as nothing, move the cursor or
 * reorder text are kept visible as \u escapes rather than stripped, so such text can neither
 * erase nor fake a line of a report, nor hide what it holds. A backslash is left as it is: text
 * already made printable is shown again by the CLI, and would otherwise be escaped twice.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.codePointAt(0)!;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** UNPRINTABLE but for tab, line feed and carriage return: JSON.stringify escapes them in strings, so in JSON text they are only layout. */
const JSON_UNPRINTABLE = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu;

/**
 * JSON text for a terminal or a file an auditor opens (`audit:verify --json`, the NDJSON export):
 * every character printable() escapes is written as a JSON \u escape (both halves of a pair for
 * one past U+FFFF). Such characters occur in JSON text only inside strings, where the escape
 * means the same: the JSON value is unchanged. JSON.stringify escapes C0 controls, not C1
 * controls (U+009B starts a terminal command) or bidi overrides.
 */
export function jsonPrintable(json: string): string {
  return json.replace(JSON_UNPRINTABLE, (c) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''));
}

/**
 * Strips unsafe characters and caps the length (never splitting a surrogate pair). Non-strings,
 * and strings that are empty once cleaned, become null.
 */
export function sanitizeString(value: unknown, maxLength: number): string | null {
  if (typeof value !== 'string') return null;
  let clean = value.replace(UNSAFE, '');
  if (clean.length > maxLength) {
    let end = maxLength;
    const last = clean.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1; // a high surrogate whose pair would be cut off
    clean = clean.slice(0, end);
  }
  clean = clean.trim();
  return clean.length ? clean : null;
}

/**
 * A run of digits (any script's, after NFKC folds fullwidth and other compatibility forms, and
 * with invisible format characters such as a soft hyphen or a word joiner removed) joined by up to
 * three characters at a time that are neither letters nor digits, holding 8 digits or more in
 * all: `123 456 782`, `123-456-782`, `123.456.782`, `123, 456, 782`, `(123) 456 782`,
 * `123 | 456 | 782`. A date written `2026-12-05`, or `1234567, 3` is masked too: a reason is free
 * text, and a TFN must not reach the log however it is spelled (review s17c F3).
 */
const NUMBER_RUN = /\p{Nd}(?:[^\p{L}\p{Nd}]{0,3}\p{Nd})+/gu;
const DIGIT = /\p{Nd}/gu;
const FORMAT_CHARACTERS = /\p{Cf}/gu;
export const maskNumbers = (text: string): string =>
  text
    .normalize('NFKC')
    .replace(FORMAT_CHARACTERS, '')
    .replace(NUMBER_RUN, (run) => ((run.match(DIGIT)?.length ?? 0) >= 8 ? '[number]' : run));

/**
 * Free text the caller chooses (an operation name, a user agent, a change's reason and ticket): cleaned, a TFN-like
 * run of digits masked (maskNumbers), then capped. Masked before the cap: a cap cutting a TFN
 * would leave a run of its first digits too short to be masked.
 */
export function sanitizeMaskedText(value: unknown, maxLength: number): string | null {
  const clean = sanitizeString(value, Number.MAX_SAFE_INTEGER);
  return clean === null ? null : sanitizeString(maskNumbers(clean), maxLength);
}

/** How many cleaned texts memoisedText remembers, and the longest text it remembers (characters). */
export const MEMO_MAX_ENTRIES = 256;
export const MEMO_MAX_TEXT = 512;
/** A string of its own with the same code units (a lone surrogate included), holding nothing it was cut from. */
const ownCopy = (text: string): string => Buffer.from(text, 'utf16le').toString('utf16le');

/**
 * `clean` remembered for the texts it was last given, for the access record's free texts that
 * repeat on almost every request (a product's user agent, its operation names): each costs a
 * normalisation and four Unicode-class regular expressions. A pure function of its text, so
 * nothing can go stale. Bounded: texts up to MEMO_MAX_TEXT characters are remembered, at most
 * MEMO_MAX_ENTRIES of them, so with the result (no longer than the text) at most
 * MEMO_MAX_ENTRIES × 2 × MEMO_MAX_TEXT UTF-16 code units, 512 KiB; the table starts again when
 * full (a flood of distinct texts costs what it did without it).
 */
export function memoisedText(clean: (value: unknown) => string | null): (value: unknown) => string | null {
  let memo = new Map<string, string | null>();
  return (value) => {
    if (typeof value !== 'string' || value.length > MEMO_MAX_TEXT) return clean(value);
    let result = memo.get(value);
    if (result === undefined) {
      result = clean(value);
      if (memo.size >= MEMO_MAX_ENTRIES) memo = new Map();
      // Copies, not the strings given: an operation name graphql cut out of a query is a slice
      // that keeps the whole query alive (review s30: 255 of them held 8 MB of documents, any
      // TFN written in them included), and the cleaned text is that same slice when nothing
      // needed cleaning.
      const key = ownCopy(value);
      result = result === null ? null : ownCopy(result);
      memo.set(key, result);
    }
    return result;
  };
}

/** An operation name as the access record holds it (the auditors' filter on it is turned into the same, audit/filter.ts). */
export const recordedOperationName: (value: unknown) => string | null = memoisedText((value) => sanitizeMaskedText(value, SANITIZE_LIMITS.operationName));
/** A user agent as the access record holds it. */
export const recordedUserAgent: (value: unknown) => string | null = memoisedText((value) => sanitizeMaskedText(value, SANITIZE_LIMITS.userAgent));

export const sanitizeRequestId = (value: unknown): string | null => sanitizeString(value, SANITIZE_LIMITS.requestId);
export const sanitizeClientIp = (value: unknown): string | null => sanitizeString(value, SANITIZE_LIMITS.clientIp);
export const sanitizeClaim = (value: unknown): string | null => sanitizeString(value, SANITIZE_LIMITS.claim);

/** Sanitises each entry (dropping those that end up empty) and caps the number of entries. */
export function sanitizeList(values: unknown, maxLength: number = SANITIZE_LIMITS.identifier, maxItems: number = SANITIZE_LIMITS.listItems): string[] {
  if (!Array.isArray(values)) return [];
  const out: string[] = [];
  for (const v of values) {
    if (out.length >= maxItems) break;
    const clean = sanitizeString(v, maxLength);
    if (clean !== null) out.push(clean);
  }
  return out;
}
