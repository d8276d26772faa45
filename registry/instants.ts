/**
 * Instants as the register keeps them: RFC 3339 date-times, parsed strictly, stored as UTC ISO
 * strings. The one parser for every date the registry and incident subgraphs accept. Pure.
 */
import { z } from 'zod';

// Date.parse accepts far more than RFC 3339, and leniently: "March 7" parses, a string without a
// zone is read in the server's local time, and 2026-02-30 silently becomes 2 March. A lenient
// parse of an admin's date is how a certification ends up valid for the wrong day. zod's RFC 3339
// profile checks the calendar (days per month, leap years), refuses hour 24, minute or second 60
// (no leap seconds) and requires seconds and an explicit offset (`Z` or ±HH:MM, hours ≤ 23).
// `T` and `Z` must be upper case (RFC 3339 §5.6 lets a profile require that); any number of
// fractional digits is accepted and kept to the millisecond.
const RFC3339_DATE_TIME = z.iso.datetime({ offset: true });

/** Longer than any RFC 3339 date-time worth reading (nine fractional digits and an offset are 35). */
const MAX_INSTANT_LENGTH = 64;

// An offset can push a valid local time past year 9999 (or before 0000) in UTC, where
// toISOString() writes six-digit years this parser would then refuse to read back.
const FIRST_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/** A human-readable example of what the parser accepts, for error messages. */
export const INSTANT_EXAMPLE = '2026-03-01T09:00:00+10:00';

/**
 * Milliseconds since the epoch for an RFC 3339 date-time with an explicit offset, or null when
 * the value is anything else: not a string, a date without a time, a local time without an
 * offset, an impossible date (30 February, month 13, hour 24), or outside years 0000–9999 in UTC.
 */
export function parseInstant(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > MAX_INSTANT_LENGTH || !RFC3339_DATE_TIME.safeParse(value).success) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= FIRST_INSTANT && ms <= LAST_INSTANT ? ms : null;
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
