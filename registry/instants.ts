/** Instants as the register keeps them: ISO 8601 strings in UTC, parsed strictly. Pure. */

// Date.parse accepts far more than ISO 8601 (e.g. "March 7"), and a lenient parse of an admin's
// date is how a certification ends up valid for the wrong year. Only full ISO dates or date-times
// with an explicit zone are accepted.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Milliseconds since the epoch for a strict ISO 8601 string, or null when it is not one. */
export function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value)) return null;
  const ms = Date.parse(value);
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
