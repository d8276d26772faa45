import { formatActor, isDenial, MAX_REASON_LENGTH, noteFor } from '../../../registry/change-note.js';
import { isDeveloperId, isProductId, newDeveloperId, newProductId } from '../../../registry/ids.js';
import { NOW } from './fixtures.js';

describe('noteFor', () => {
  test('trims the reason and ticket and defaults effectiveAt to now', () => {
    expect(noteFor('suspendProduct', formatActor('ann', 'ato:admin'), { reason: '  Fraud  ', ticket: ' INC-1 ' }, NOW)).toEqual({
      action: 'suspendProduct', actor: 'ann (ato:admin)', reason: 'Fraud', ticket: 'INC-1', effectiveAt: '2025-03-01T00:00:00.000Z',
    });
  });

  test('keeps a multi-line reason with tabs, storing CRLF as LF', () => {
    const note = noteFor('x', 'a', { reason: 'Line one\r\n\tLine two\n' }, NOW);
    expect(isDenial(note) ? note : note.reason).toBe('Line one\n\tLine two');
  });

  test.each([
    ['a blank reason', { reason: ' ' }, 'reason'],
    ['an over-long reason', { reason: 'x'.repeat(MAX_REASON_LENGTH + 1) }, 'reason'],
    ['an effectiveAt that is not RFC 3339', { reason: 'r', effectiveAt: 'March 7' }, 'effectiveAt'],
    ['an impossible effectiveAt (30 February)', { reason: 'r', effectiveAt: '2025-02-30T00:00:00Z' }, 'effectiveAt'],
    ['a reason with an ANSI escape', { reason: 'ok\u001b[2K' }, 'reason'],
    ['a reason with a bidi override', { reason: 'ok \u202Eevil' }, 'reason'],
    ['a ticket with a line break', { reason: 'r', ticket: 'INC-1\nforged' }, 'ticket'],
    ['a ticket with a NUL', { reason: 'r', ticket: 'INC-1\u0000' }, 'ticket'],
    ['an effectiveAt in the future', { reason: 'r', effectiveAt: '2025-03-02T00:00:00Z' }, 'effectiveAt'],
  ])('refuses %s', (_name, request: { reason: string; ticket?: string; effectiveAt?: string }, field) => {
    const note = noteFor('x', 'a', request, NOW);
    expect(isDenial(note) && note.code).toBe('BAD_USER_INPUT');
    expect(isDenial(note) && note.details).toMatchObject({ field });
  });
});

describe('formatActor', () => {
  test('names the issuer only when given one (several issuers trusted): the same sub at two issuers is two actors', () => {
    expect(formatActor('ann', 'ato:admin')).toBe('ann (ato:admin)');
    const [a, b] = [formatActor('ann', 'ato:admin', 'https://staff.example'), formatActor('ann', 'ato:admin', 'https://other.example')];
    expect(a).toBe('ann (ato:admin, issuer https://staff.example)');
    expect(a).not.toBe(b);
  });

  test('with an issuer, quotes a sub that could read as another actor, so no actor begins with another\'s', () => {
    const staffAdmin = formatActor('ann', 'ato:admin', 'https://staff.example');
    const mimic = formatActor(staffAdmin, 'dsp:developer', 'https://products.example');
    expect(mimic).toBe('"ann (ato:admin, issuer https://staff.example)" (dsp:developer, issuer https://products.example)');
    expect(mimic.startsWith(`${staffAdmin} (`)).toBe(false);
    expect(formatActor('say "hi"', 'ato:admin', 'https://staff.example')).toBe('"say \\"hi\\"" (ato:admin, issuer https://staff.example)');
    // With one issuer, as always.
    expect(formatActor('ann (x)', 'ato:admin')).toBe('ann (x) (ato:admin)');
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
