/** Instants as the register keeps them: ISO 8601 strings in UTC, parsed strictly. Pure. */

// Date.parse accepts far more than ISO 8601 (e.g. "March 7") and rolls impossible dates over
// (2026-02-30 becomes 2 March): a lenient parse of an admin's date is how a certification ends up
// valid for the wrong day or year. Only RFC 3339 full dates (UTC midnight) or date-times with an
// explicit offset are accepted, and every component must exist on the calendar.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|([+-])(\d{2}):(\d{2})))?$/;

/** Milliseconds since the epoch for a strict RFC 3339 string, or null when it is not one. */
export function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  // The day must exist in that month (no 30 February, no 31 April).
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  if (m[9] !== undefined && (Number(m[10]) > 23 || Number(m[11]) > 59)) return null;
  const ms = Date.parse(m[4] === undefined ? `${m[1]}-${m[2]}-${m[3]}T00:00:00Z` : value);
  return Number.isFinite(ms) ? ms : null;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The same calendar instant `years` later (29 February rolls to 1 March, as Date does). */
export function addYears(ms: number, years: number): number {
  const d = new Date(ms);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.getTime();
}
