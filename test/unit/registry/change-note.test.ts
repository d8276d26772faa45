import { formatActor, isDenial, MAX_REASON_LENGTH, noteFor } from '../../../registry/change-note.js';
import { isDeveloperId, isProductId, newDeveloperId, newProductId } from '../../../registry/ids.js';
import { addYears, parseInstant } from '../../../registry/instants.js';
import { NOW } from './fixtures.js';

describe('noteFor', () => {
  test('trims the reason and ticket and defaults effectiveAt to now', () => {
    expect(noteFor('suspendProduct', formatActor('ann', 'ato:admin'), { reason: '  Fraud  ', ticket: ' INC-1 ' }, NOW)).toEqual({
      action: 'suspendProduct', actor: 'ann (ato:admin)', reason: 'Fraud', ticket: 'INC-1', effectiveAt: '2025-03-01T00:00:00.000Z',
    });
  });

  test.each([
    ['a blank reason', { reason: ' ' }, 'reason'],
    ['an over-long reason', { reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }, 'reason'],
    ['an effectiveAt that is not ISO 8601', { reason: 'r', effectiveAt: 'March 7' }, 'effectiveAt'],
    ['an effectiveAt in the future', { reason: 'r', effectiveAt: '2025-03-02T00:00:00Z' }, 'effectiveAt'],
  ])('refuses %s', (_name, request, field) => {
    const note = noteFor('x', 'a', request, NOW);
    expect(isDenial(note) && note.code).toBe('BAD_USER_INPUT');
    expect(isDenial(note) && note.details).toMatchObject({ field });
  });
});

describe('instants', () => {
  test('accepts ISO dates and zoned date-times only', () => {
    expect(parseInstant('2025-03-01')).toBe(NOW);
    expect(parseInstant('2025-03-01T10:00:00+10:00')).toBe(NOW);
    expect(parseInstant('2025-03-01T00:00:00')).toBeNull(); // no zone: ambiguous
    expect(parseInstant('1 March 2025')).toBeNull();
    expect(parseInstant(12345)).toBeNull();
  });

  test('adds calendar years', () => {
    expect(new Date(addYears(NOW, 1)).toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });
});

describe('ids', () => {
  test('new ids carry their prefix, are accepted and differ', () => {
    const [d1, d2, p1] = [newDeveloperId(), newDeveloperId(), newProductId()];
    expect([isDeveloperId(d1), isProductId(p1), isDeveloperId(p1)]).toEqual([true, true, false]);
    expect(d1).not.toBe(d2);
    expect(d1).toMatch(/^DEV-[0-9A-Z]{10}$/);
  });
});
