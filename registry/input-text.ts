/**
 * What text the register accepts. Everything an admin or a DSP types is stored and handed to
 * every reader (the console, the dashboard, exports, log lines, terminals): control characters
 * (NUL, ESC sequences that recolour or rewrite a terminal, CR/LF that forge log lines) and Unicode
 * bidirectional controls (which make text display in another order than it is stored, as in
 * "Trojan Source") are refused, never cleaned silently, so what is on the register is exactly what
 * was sent and what a reader sees. Pure.
 *
 * - Short text (names, ids, tickets, versions, emails): no control character at all.
 * - Long free text (reasons, notes, evidence, descriptions): newline (LF) and tab allowed; CR is
 *   refused (send LF line ends), as is every other control character.
 * - Both: no C0 (U+0000–U+001F beyond the allowed), DEL (U+007F), C1 (U+0080–U+009F), line or
 *   paragraph separators (U+2028, U+2029), bidi embeddings, overrides and isolates
 *   (U+202A–U+202E, U+2066–U+2069), invisible direction marks (U+200E, U+200F, U+061C), the BOM
 *   (U+FEFF), or lone surrogates (not well-formed UTF-16).
 * - Lengths are counted in Unicode code points; each field's bound is in the SDL description.
 * - Dates: strict RFC 3339 (registry/instants.ts parseInstant), an impossible date is refused.
 */
import { denial, type Denial } from '../core/errors.js';
import { parseInstant } from './instants.js';

export type TextKind = 'short' | 'long';

export interface TextRule {
  kind: TextKind;
  /** Longest value, in code points. */
  max: number;
}

// Always refused: C0 except tab and LF (checked by kind below), DEL, C1, separators, bidi, BOM.
const ALWAYS_REFUSED = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\uFEFF]/u;
const LINE_OR_TAB = /[\t\n]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Null when `value` is acceptable text for the rule; otherwise what is wrong with it. */
export function textProblem(value: string, rule: TextRule): string | null {
  if (LONE_SURROGATE.test(value)) return 'contains an unpaired surrogate (not well-formed Unicode)';
  const bad = ALWAYS_REFUSED.exec(value);
  if (bad) return `contains the control or bidirectional character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  if (rule.kind === 'short' && LINE_OR_TAB.test(value)) return 'must be a single line without tabs';
  let length = 0;
  for (const _ of value) if (++length > rule.max) return `is longer than ${rule.max} characters`;
  return null;
}

/** Long free text, by argument or input field name. */
const LONG: Record<string, number> = {
  reason: 2000,
  note: 2000,
  evidence: 10_000,
  compensatingControl: 10_000,
  whatHappened: 10_000,
};

/** Short text with its own bound, by name; any other string is short text of at most DEFAULT_SHORT. */
const SHORT: Record<string, number> = {
  legalName: 200,
  name: 200,
  email: 254,
  phone: 50,
  ticket: 100,
  contact: 500,
  minimumVersion: 64,
};
export const DEFAULT_SHORT = 200;

/** Arguments and input fields that are instants (strict RFC 3339). */
const INSTANTS = new Set(['effectiveAt', 'until', 'expiresAt', 'validFrom', 'validUntil', 'reviewDueAt', 'occurredAt']);

export function ruleFor(name: string): TextRule {
  const long = LONG[name];
  return long ? { kind: 'long', max: long } : { kind: 'short', max: SHORT[name] ?? DEFAULT_SHORT };
}

/**
 * Checks every string in a mutation's arguments (nested inputs and lists included) against the
 * rule for its name, and every instant for a real calendar date. The first problem found, as a
 * BAD_USER_INPUT denial naming the field path, or null.
 */
export function inputProblem(args: unknown, path: string[] = []): Denial | null {
  if (typeof args === 'string') {
    const name = [...path].reverse().find((p) => !/^\d+$/.test(p)) ?? '';
    const field = path.join('.');
    if (INSTANTS.has(name) && parseInstant(args) === null) {
      return denial('BAD_USER_INPUT', `${field} must be an RFC 3339 date-time with a real calendar date (e.g. 2026-02-28T00:00:00Z).`, { field });
    }
    const problem = textProblem(args, ruleFor(name));
    return problem ? denial('BAD_USER_INPUT', `${field} ${problem}.`, { field }) : null;
  }
  if (Array.isArray(args)) {
    for (let i = 0; i < args.length; i++) {
      const found = inputProblem(args[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (typeof args === 'object' && args !== null) {
    for (const [key, value] of Object.entries(args)) {
      const found = inputProblem(value, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}
