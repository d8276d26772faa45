import { activityStatementDueDate, parseActivityStatementPeriod, quarterBefore, quarterOf } from '../../../../subgraphs/lodgments/period.js';

describe('activity statement periods', () => {
  it('parses a calendar quarter', () => {
    expect(parseActivityStatementPeriod('2026-Q1')).toEqual({ label: '2026-Q1', kind: 'QUARTER', start: '2026-01-01', end: '2026-03-31' });
  });

  it('parses a month, leap years included', () => {
    expect(parseActivityStatementPeriod('2028-02')).toEqual({ label: '2028-02', kind: 'MONTH', start: '2028-02-01', end: '2028-02-29' });
  });

  it.each(['2026-Q0', '2026-Q5', '2026-00', '2026-13', '26-Q1', '1999-Q1', '2101-01', '2026-Q1 ', '2026/07', ''])('rejects %p', (s) => {
    expect(parseActivityStatementPeriod(s)).toBeNull();
  });

  it.each([
    ['2026-Q1', '2026-04-28'],
    ['2026-Q3', '2026-10-28'],
    ['2026-Q4', '2027-02-28'],
    ['2026-07', '2026-08-21'],
    ['2026-12', '2027-01-21'],
  ])('%s is due on %s', (label, due) => {
    expect(activityStatementDueDate(parseActivityStatementPeriod(label)!)).toBe(due);
  });

  it('finds and steps quarters', () => {
    expect(quarterOf('2026-11-22')).toBe('2026-Q4');
    expect(quarterBefore('2026-Q1', 1)).toBe('2025-Q4');
    expect(quarterBefore('2026-Q4', 4)).toBe('2025-Q4');
  });
});
