/**
 * The audit API carries seqs and counts as its `SafeInt` scalar (whole numbers up to 2^53-1, as
 * JSON numbers; schema/audit.graphql), which every real chain and count fits. A value past it (a
 * chain head or checkpoint row a forger wrote at seq 2^63-1) would fail the whole answer and hide
 * every finding with it. So a verification result is given to the API with such numbers held at
 * the largest SafeInt, and each problem whose seq was held says the real one in its detail. The
 * CLI prints the exact figures.
 */
import { printable } from './sanitize.js';

export const API_INT_MAX = Number.MAX_SAFE_INTEGER;
const API_INT_MIN = Number.MIN_SAFE_INTEGER;

const fits = (n: number) => n <= API_INT_MAX && n >= API_INT_MIN;
const held = (n: number) => (n > API_INT_MAX ? API_INT_MAX : n < API_INT_MIN ? API_INT_MIN : n);

/**
 * The fields of verification results and chain heads the API carries as SafeInt. A value stored by
 * hand can be anything (a head's seq of 3.5 or 'abc', a checkpoint at 2.5): each is given as a
 * whole number, the problem's detail saying what was stored.
 */
const INT_FIELDS = new Set(['seq', 'toSeq', 'fromSeq', 'lastSeq', 'checked', 'omitted', 'checkpointsChecked', 'latestCheckpointSeq', 'unsignedTail', 'entries', 'headSeq', 'n']);

/** A stored value for a SafeInt field: a whole number within SafeInt as it is, a number held and rounded down, anything else 0. */
function asInt(v: unknown): unknown {
  if (v === null || v === undefined) return v;
  if (typeof v !== 'number' || Number.isNaN(v)) return 0;
  return held(Number.isFinite(v) ? Math.floor(v) : v > 0 ? API_INT_MAX : API_INT_MIN);
}

const isApiInt = (v: unknown) => v === null || v === undefined || (typeof v === 'number' && Number.isInteger(v) && fits(v));

/** A copy of `value` whose SafeInt fields all fit SafeInt (see the file comment). */
export function withinApiInt<T>(value: T): T {
  if (typeof value === 'number') return (Number.isFinite(value) && !fits(value) ? held(value) : value) as T;
  if (Array.isArray(value)) return value.map((v) => withinApiInt(v)) as T;
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = INT_FIELDS.has(key) ? asInt(v) : withinApiInt(v);
  const problem = value as { seq?: unknown; toSeq?: unknown; detail?: unknown };
  if (typeof problem.detail === 'string') {
    const odd = [problem.seq, problem.toSeq].filter((n) => !isApiInt(n));
    if (odd.length) {
      const shown = [...new Set(odd.map((n) => (typeof n === 'number' ? String(n) : printable(String(JSON.stringify(n) ?? n).slice(0, 80)))))];
      const beyond = odd.every((n) => typeof n === 'number' && Number.isInteger(n));
      out.detail = `${problem.detail} (seq ${shown.join('–')}, ${beyond ? "past the API's SafeInt range" : 'not a whole number'})`;
    }
  }
  return out as T;
}
