import { toStoreFilter } from '../../../audit/filter.js';
import { CodedError } from '../../../core/errors.js';

const key = Buffer.alloc(32, 1);
const from = (value: string) => toStoreFilter({ from: value }, key).from;

describe('the access-log filter\'s dates', () => {
  it('takes full ISO 8601 dates and date-times that exist, leap days and offsets included', () => {
    expect(from('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    expect(from('2000-02-29T23:59:59.999Z')).toBe('2000-02-29T23:59:59.999Z');
    expect(from('2026-12-31T23:59+10:00')).toBe('2026-12-31T13:59:00.000Z');
    expect(from('2026-01-01T00:00:00-09:30')).toBe('2026-01-01T09:30:00.000Z');
  });

  it('refuses a date or time that does not exist instead of rolling it over (BAD_USER_INPUT)', () => {
    for (const value of ['2026-02-29', '2100-02-29', '2026-02-30', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '2026-01-01T24:00Z', '2026-01-01T23:60Z', '2026-01-01T23:59:60Z', '2026-01-01T10:00+24:00', '2026-01-01T10:00+10:60', '1/2/2025']) {
      let thrown: unknown = null;
      try {
        from(value);
      } catch (err) {
        thrown = err;
      }
      expect([value, thrown instanceof CodedError && thrown.extensions.code]).toEqual([value, 'BAD_USER_INPUT']);
    }
  });
});
