import { addYears, parseInstant, toIso } from '../../../registry/instants.js';
import { NOW } from './fixtures.js';

describe('parseInstant: strict RFC 3339 date-times with an explicit offset', () => {
  test.each([
    ['UTC', '2025-03-01T00:00:00Z', NOW],
    ['an offset', '2025-03-01T10:00:00+10:00', NOW],
    ['a negative offset', '2025-02-28T14:30:00-09:30', NOW],
    ['-00:00 (UTC, local offset unknown)', '2025-03-01T00:00:00-00:00', NOW],
    ['milliseconds', '2025-03-01T00:00:00.250Z', NOW + 250],
    ['nine fractional digits (kept to the millisecond)', '2025-03-01T00:00:00.123456789Z', NOW + 123],
    ['29 February in a leap year', '2024-02-29T12:00:00Z', Date.UTC(2024, 1, 29, 12)],
    ['29 February in a leap century', '2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    ['the last millisecond of year 9999', '9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
  ])('accepts %s', (_name, value, ms) => {
    expect(parseInstant(value)).toBe(ms);
  });

  test.each([
    ['30 February (Date.parse makes it 2 March)', '2026-02-30T00:00:00Z'],
    ['29 February in a common year', '2025-02-29T00:00:00Z'],
    ['29 February in a common century', '1900-02-29T00:00:00Z'],
    ['31 April', '2026-04-31T00:00:00Z'],
    ['day 0', '2026-04-00T00:00:00Z'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['month 0', '2026-00-10T00:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T10:60:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['an offset hour of 24', '2026-01-01T00:00:00+24:00'],
    ['an offset without a colon', '2026-01-01T00:00:00+1000'],
    ['no offset (read in the server’s zone by Date.parse)', '2026-01-01T00:00:00'],
    ['a date without a time', '2026-01-01'],
    ['a time without seconds', '2026-01-01T10:00Z'],
    ['a space instead of T', '2026-01-01 10:00:00Z'],
    ['lower-case t and z', '2026-01-01t10:00:00z'],
    ['an empty fraction', '2026-01-01T10:00:00.Z'],
    ['a two-digit year', '26-01-01T10:00:00Z'],
    ['an expanded year', '+012026-01-01T10:00:00Z'],
    ['prose Date.parse accepts', '1 March 2025'],
    ['leading white space', ' 2025-03-01T00:00:00Z'],
    ['a trailing line break', '2025-03-01T00:00:00Z\n'],
    ['an offset pushing it past year 9999 in UTC', '9999-12-31T23:59:59-01:00'],
    ['the empty string', ''],
  ])('refuses %s', (_name, value) => {
    expect(parseInstant(value)).toBeNull();
  });

  test('refuses what is not a string', () => {
    for (const value of [12345, null, undefined, new Date(NOW), { toString: () => '2025-03-01T00:00:00Z' }]) expect(parseInstant(value)).toBeNull();
  });

  test('what toIso writes, parseInstant reads back', () => {
    for (const ms of [0, NOW, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.parse('0000-01-01T00:00:00Z')]) expect(parseInstant(toIso(ms))).toBe(ms);
  });
});

describe('addYears', () => {
  test('adds calendar years', () => {
    expect(toIso(addYears(NOW, 1))).toBe('2026-03-01T00:00:00.000Z');
  });
});
