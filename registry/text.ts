/**
 * Free text as the register accepts it: what characters each kind of field may hold and how long
 * it may be. The one place these rules live; every registry and incident mutation applies them
 * (subgraphs/registry/input-guard.ts to every string argument, the domain commands to what they
 * store). Pure.
 *
 * Why: register text is read back by admins' consoles, auditors' CSV exports, terminals and log
 * pipelines. A NUL truncates it in C-based tools, ESC sequences recolour or rewrite a terminal, a
 * CR or a forged line break fakes log lines, and bidi overrides make text display differently
 * from what it is (Trojan Source, CVE-2021-42574). So such text is refused (BAD_USER_INPUT), never
 * silently cleaned: the caller learns what was wrong and the register holds what was sent.
 *
 * The rules:
 * - every field: no C0 control (U+0000–U+001F) other than those its shape allows, no DEL
 *   (U+007F), no C1 control (U+0080–U+009F), no line or paragraph separator (U+2028, U+2029:
 *   line breaks to many readers), no bidi embedding, override or isolate (U+202A–U+202E,
 *   U+2066–U+2069), no byte-order mark (U+FEFF: invisible), no lone surrogate (not text at all);
 * - a `line` (names, ids, tickets, versions, contacts) allows no control character at all;
 * - `prose` (reasons, evidence, descriptions, notes) may span lines and hold tabs: LF and TAB
 *   are allowed, CRLF is accepted and stored as LF (Windows clients send it), and a CR on its
 *   own is refused (it is the character that overwrites a line on a terminal);
 * - the bidi marks LRM, RLM and ALM (U+200E, U+200F, U+061C) are allowed: mixed-direction text
 *   (a Hebrew or Arabic name followed by "Pty Ltd") needs them to display correctly, and unlike
 *   the embeddings, overrides and isolates they cannot reorder the text around them;
 * - leading and trailing white space is trimmed; the length bound counts Unicode code points of
 *   the trimmed text (so an emoji counts once).
 */
import { denial, type Denial } from '../core/errors.js';

/** `line`: one line, no control characters. `prose`: may span lines (LF, tab; CRLF stored as LF). */
export type TextShape = 'line' | 'prose';

export interface TextRule {
  shape: TextShape;
  /** Most Unicode code points the trimmed text may have. */
  max: number;
}

/**
 * Every kind of text the registry subgraph takes, with its bound. The SDL descriptions state the
 * bounds (test/unit/subgraphs/registry/input-guard.test.ts keeps them in step).
 */
export const TEXT_RULES = {
  /** Legal names, contact names, product names. */
  name: { shape: 'line', max: 200 },
  /** RFC 5321's limit on an address. */
  email: { shape: 'line', max: 254 },
  phone: { shape: 'line', max: 40 },
  /** A ticket or case reference. */
  ticket: { shape: 'line', max: 100 },
  /**
   * A history filter's actor: a `sub`, or a whole recorded actor, which with several issuers is the
   * sub, the role and the issuer (up to 256 characters, core/config.ts) together.
   */
  actor: { shape: 'line', max: 1000 },
  /** Who the ATO should contact about an incident (name, address, number). */
  incidentContact: { shape: 'line', max: 500 },
  /** Register and incident ids given as arguments (their format is checked where they are looked up). */
  identifier: { shape: 'line', max: 64 },
  /** ABNs, client ids, country codes, service names, semantic versions: each has its own format check; this bounds them first. */
  code: { shape: 'line', max: 64 },
  /** Why a register change was made. */
  reason: { shape: 'prose', max: 2000 },
  /** A triage note on an incident. */
  note: { shape: 'prose', max: 2000 },
  /** Evidence for one self-certification requirement. */
  evidence: { shape: 'prose', max: 10_000 },
  /** The compensating control described for one requirement. */
  compensatingControl: { shape: 'prose', max: 10_000 },
  /** What happened, in a DSP's incident notification. */
  incidentReport: { shape: 'prose', max: 5000 },
  /** One GraphQL document of an operation manifest (registry/operation-manifest.ts keeps it exactly as sent: no trimming, LF only). */
  document: { shape: 'prose', max: 32_768 },
} as const satisfies Record<string, TextRule>;

export type TextProblem = 'CONTROL_CHARACTER' | 'LINE_SEPARATOR' | 'BIDI_CONTROL' | 'BYTE_ORDER_MARK' | 'LONE_SURROGATE' | 'TOO_LONG';

export interface UnsafeCharacter {
  problem: Exclude<TextProblem, 'TOO_LONG'>;
  /** The character as U+XXXX (the character itself is never echoed back). */
  codePoint: string;
  /** Its position in code points, from 0. */
  position: number;
}

// Characters no field may hold, then what each shape refuses on top. A surrogate is "lone" when
// a high one is not followed by a low one, or a low one is not preceded by a high one.
const ALWAYS = '\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069\\ufeff';
const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';
const UNSAFE: Record<TextShape, RegExp> = {
  line: new RegExp(`[\\u0000-\\u001f${ALWAYS}]|${LONE_SURROGATE}`),
  // TAB (U+0009) and LF (U+000A) allowed; CR (U+000D) only as the first half of CRLF.
  prose: new RegExp(`[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f${ALWAYS}]|\\r(?!\\n)|${LONE_SURROGATE}`),
};

function problemOf(unit: number): UnsafeCharacter['problem'] {
  if (unit >= 0xd800 && unit <= 0xdfff) return 'LONE_SURROGATE';
  if (unit === 0x2028 || unit === 0x2029) return 'LINE_SEPARATOR';
  if ((unit >= 0x202a && unit <= 0x202e) || (unit >= 0x2066 && unit <= 0x2069)) return 'BIDI_CONTROL';
  if (unit === 0xfeff) return 'BYTE_ORDER_MARK';
  return 'CONTROL_CHARACTER';
}

function codePointCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The first character `shape` does not allow in `text`, or null when there is none. */
export function findUnsafeCharacter(text: string, shape: TextShape): UnsafeCharacter | null {
  const match = UNSAFE[shape].exec(text);
  if (!match) return null;
  const unit = text.charCodeAt(match.index);
  return { problem: problemOf(unit), codePoint: `U+${unit.toString(16).toUpperCase().padStart(4, '0')}`, position: codePointCount(text.slice(0, match.index)) };
}

const DESCRIBE: Record<UnsafeCharacter['problem'], string> = {
  CONTROL_CHARACTER: 'a control character',
  LINE_SEPARATOR: 'a Unicode line or paragraph separator',
  BIDI_CONTROL: 'a bidirectional embedding, override or isolate',
  BYTE_ORDER_MARK: 'a byte-order mark',
  LONE_SURROGATE: 'a lone surrogate (not valid Unicode text)',
};

/**
 * The text as stored (CRLF → LF for prose, trimmed), or BAD_USER_INPUT naming `field`, the
 * problem and, for a refused character, its code point and position. Non-strings are refused
 * too; whether an empty result is acceptable is the caller's decision.
 */
export function cleanText(value: unknown, rule: TextRule, field: string): string | Denial {
  if (typeof value !== 'string') return denial('BAD_USER_INPUT', `${field} must be text.`, { field });
  const unsafe = findUnsafeCharacter(value, rule.shape);
  if (unsafe) {
    const allowed = rule.shape === 'line' ? 'it must be one line without control characters' : 'line breaks (LF) and tabs are the only control characters allowed';
    return denial('BAD_USER_INPUT', `${field} contains ${DESCRIBE[unsafe.problem]} (${unsafe.codePoint} at position ${unsafe.position}); ${allowed}.`, { field, ...unsafe });
  }
  const text = (rule.shape === 'prose' ? value.replace(/\r\n/g, '\n') : value).trim();
  if (codePointCount(text) > rule.max) return denial('BAD_USER_INPUT', `${field} is longer than ${rule.max} characters.`, { field, problem: 'TOO_LONG', maxLength: rule.max });
  return text;
}

/** cleanText for an optional field: null, undefined and blank text all become null. */
export function cleanOptionalText(value: unknown, rule: TextRule, field: string): string | null | Denial {
  if (value == null) return null;
  const text = cleanText(value, rule, field);
  return text === '' ? null : text;
}
