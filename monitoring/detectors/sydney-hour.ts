/**
 * The hour of the day (0–23) in Australia/Sydney, from Intl (no time zone library). Sydney's
 * offset from UTC is a whole number of hours (+10, or +11 in daylight saving), so its hours
 * start exactly on UTC hour boundaries and one lookup per UTC hour is enough.
 */
const format = new Intl.DateTimeFormat('en-AU', { timeZone: 'Australia/Sydney', hour: 'numeric', hourCycle: 'h23' });
const HOUR_MS = 3_600_000;

let cachedUtcHour = Number.NaN;
let cachedHour = 0;

export function sydneyHour(ms: number): number {
  const utcHour = Math.floor(ms / HOUR_MS);
  if (utcHour !== cachedUtcHour) {
    const part = format.formatToParts(new Date(ms)).find((p) => p.type === 'hour');
    cachedHour = Number(part?.value ?? 0) % 24;
    cachedUtcHour = utcHour;
  }
  return cachedHour;
}
