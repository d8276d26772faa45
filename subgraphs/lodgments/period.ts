/**
 * Activity statement periods: `YYYY-Qn` (calendar quarter, Q1 = January–March) or `YYYY-MM`
 * (a month), their first and last days and their due dates. Pure; dates are ISO `YYYY-MM-DD`.
 */

export interface ActivityStatementPeriod {
  /** The period as written, normalised (`2026-Q1`, `2026-07`). */
  label: string;
  kind: 'QUARTER' | 'MONTH';
  /** First day, ISO date. */
  start: string;
  /** Last day, ISO date. */
  end: string;
}

const FIRST_YEAR = 2000;
const LAST_YEAR = 2100;

function iso(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function lastDayOf(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The period, or null when `s` is neither `YYYY-Qn` nor `YYYY-MM` with a year in 2000–2100. */
export function parseActivityStatementPeriod(s: string): ActivityStatementPeriod | null {
  const match = /^(\d{4})-(?:Q([1-4])|(0[1-9]|1[0-2]))$/.exec(s);
  if (!match) return null;
  const year = Number(match[1]);
  if (year < FIRST_YEAR || year > LAST_YEAR) return null;
  if (match[2]) {
    const q = Number(match[2]);
    const firstMonth = (q - 1) * 3 + 1;
    return { label: s, kind: 'QUARTER', start: iso(year, firstMonth, 1), end: iso(year, firstMonth + 2, lastDayOf(year, firstMonth + 2)) };
  }
  const month = Number(match[3]);
  return { label: s, kind: 'MONTH', start: iso(year, month, 1), end: iso(year, month, lastDayOf(year, month)) };
}

/**
 * ATO due dates: a monthly statement is due on the 21st of the next month; a quarterly one on
 * the 28th of the month after the quarter, except October–December, due 28 February.
 */
export function activityStatementDueDate(period: ActivityStatementPeriod): string {
  const [year, endMonth] = period.end.split('-').map(Number) as [number, number];
  if (period.kind === 'MONTH') return endMonth === 12 ? iso(year + 1, 1, 21) : iso(year, endMonth + 1, 21);
  return endMonth === 12 ? iso(year + 1, 2, 28) : iso(year, endMonth + 1, 28);
}

/** The calendar quarter label containing an ISO date, e.g. `2026-Q4` for 2026-11-22. */
export function quarterOf(isoDate: string): string {
  const [year, month] = isoDate.split('-').map(Number) as [number, number];
  return `${year}-Q${Math.floor((month - 1) / 3) + 1}`;
}

/** The quarter `steps` quarters before `label` (`2026-Q1`, 1 → `2025-Q4`). */
export function quarterBefore(label: string, steps: number): string {
  const [yearText, qText] = label.split('-Q') as [string, string];
  const index = Number(yearText) * 4 + (Number(qText) - 1) - steps;
  return `${Math.floor(index / 4)}-Q${(index % 4) + 1}`;
}
