import type { Denial } from '../../../core/errors.js';
import { cleanOptionalText, cleanText, findUnsafeCharacter, TEXT_RULES, type TextRule } from '../../../registry/text.js';

const LINE: TextRule = { shape: 'line', max: 20 };
const PROSE: TextRule = { shape: 'prose', max: 20 };

function refusal(value: unknown, rule: TextRule): Denial {
  const result = cleanText(value, rule, 'field');
  if (typeof result === 'string') throw new Error(`accepted ${JSON.stringify(result)}`);
  return result;
}

// Every character refused in both shapes, with the problem it is reported as.
const ALWAYS_REFUSED: Array<[string, string, string]> = [
  ['NUL', '\u0000', 'CONTROL_CHARACTER'],
  ['BEL', '\u0007', 'CONTROL_CHARACTER'],
  ['backspace', '\u0008', 'CONTROL_CHARACTER'],
  ['vertical tab', '\u000b', 'CONTROL_CHARACTER'],
  ['form feed', '\u000c', 'CONTROL_CHARACTER'],
  ['ESC (ANSI sequences)', '\u001b', 'CONTROL_CHARACTER'],
  ['unit separator U+001F', '\u001f', 'CONTROL_CHARACTER'],
  ['DEL', '\u007f', 'CONTROL_CHARACTER'],
  ['C1 U+0080', '\u0080', 'CONTROL_CHARACTER'],
  ['C1 NEL U+0085', '\u0085', 'CONTROL_CHARACTER'],
  ['C1 CSI U+009B', '\u009b', 'CONTROL_CHARACTER'],
  ['C1 U+009F', '\u009f', 'CONTROL_CHARACTER'],
  ['line separator U+2028', '\u2028', 'LINE_SEPARATOR'],
  ['paragraph separator U+2029', '\u2029', 'LINE_SEPARATOR'],
  ['LRE U+202A', '\u202a', 'BIDI_CONTROL'],
  ['RLE U+202B', '\u202b', 'BIDI_CONTROL'],
  ['PDF U+202C', '\u202c', 'BIDI_CONTROL'],
  ['LRO U+202D', '\u202d', 'BIDI_CONTROL'],
  ['RLO U+202E', '\u202e', 'BIDI_CONTROL'],
  ['LRI U+2066', '\u2066', 'BIDI_CONTROL'],
  ['RLI U+2067', '\u2067', 'BIDI_CONTROL'],
  ['FSI U+2068', '\u2068', 'BIDI_CONTROL'],
  ['PDI U+2069', '\u2069', 'BIDI_CONTROL'],
  ['byte-order mark U+FEFF', '\ufeff', 'BYTE_ORDER_MARK'],
  ['a lone high surrogate', '\ud83d', 'LONE_SURROGATE'],
  ['a lone low surrogate', '\ude00', 'LONE_SURROGATE'],
];

describe('registry text: characters refused in every field', () => {
  test.each(ALWAYS_REFUSED)('%s, in a line and in prose, at the start, the middle and the end', (_name, ch, problem) => {
    for (const rule of [LINE, PROSE]) {
      for (const value of [`${ch}ab`, `a${ch}b`, `ab${ch}`]) {
        const d = refusal(value, rule);
        expect(d.code).toBe('BAD_USER_INPUT');
        expect(d.details).toMatchObject({ field: 'field', problem, codePoint: `U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}` });
      }
    }
  });

  test('the refusal names the position in code points and never echoes the character', () => {
    const d = refusal('😀é\u001b[31m', LINE);
    expect(d.details).toMatchObject({ codePoint: 'U+001B', position: 2 });
    expect(d.message).not.toContain('\u001b');
  });

  test('a high and a low surrogate in the wrong order are two lone surrogates', () => {
    expect(findUnsafeCharacter('a\ude00\ud83d', 'prose')).toMatchObject({ problem: 'LONE_SURROGATE', position: 1 });
  });
});

describe('registry text: lines', () => {
  test.each([
    ['LF', 'a\nb'],
    ['CR', 'a\rb'],
    ['CRLF', 'a\r\nb'],
    ['TAB', 'a\tb'],
    ['a trailing LF (refused, not trimmed away)', 'name\n'],
  ])('refuse %s', (_name, value) => {
    expect(refusal(value, LINE).details).toMatchObject({ problem: 'CONTROL_CHARACTER' });
  });

  test('trim spaces and keep ordinary Unicode, astral characters and the bidi marks LRM, RLM, ALM', () => {
    expect(cleanText('  Ledger Pty Ltd  ', TEXT_RULES.name, 'n')).toBe('Ledger Pty Ltd');
    for (const ok of ['Ōtautahi Ledger', 'שלום\u200F Pty Ltd', 'Acme\u200E (AU)', 'شركة\u061C 2', 'Ledger 😀', 'Zoë & Søn']) expect(cleanText(ok, TEXT_RULES.name, 'n')).toBe(ok);
  });
});

describe('registry text: prose', () => {
  test('keeps LF and TAB, stores CRLF as LF, trims the ends', () => {
    expect(cleanText('\n Step 1\r\n\tStep 2\n\n', PROSE, 'f')).toBe('Step 1\n\tStep 2');
  });

  test('refuses a CR that is not followed by LF (it overwrites a terminal line)', () => {
    for (const value of ['a\rb', 'a\r', '\r\r\n']) expect(refusal(value, PROSE).details).toMatchObject({ problem: 'CONTROL_CHARACTER', codePoint: 'U+000D' });
  });
});

describe('registry text: lengths', () => {
  test('the bound counts code points of the trimmed text', () => {
    expect(cleanText('x'.repeat(20), LINE, 'f')).toBe('x'.repeat(20));
    expect(cleanText(`  ${'x'.repeat(20)}  `, LINE, 'f')).toBe('x'.repeat(20));
    expect(cleanText('😀'.repeat(20), LINE, 'f')).toBe('😀'.repeat(20)); // 40 UTF-16 units, 20 characters
    expect(refusal('x'.repeat(21), LINE).details).toEqual({ field: 'field', problem: 'TOO_LONG', maxLength: 20 });
    expect(refusal('😀'.repeat(21), LINE).details).toMatchObject({ problem: 'TOO_LONG' });
  });

  test('CRLF counts as one character once stored as LF', () => {
    expect(cleanText(`${'x'.repeat(9)}\r\n${'y'.repeat(10)}`, PROSE, 'f')).toBe(`${'x'.repeat(9)}\n${'y'.repeat(10)}`);
  });

  test('every rule has a positive bound; free text is prose, names and references are lines', () => {
    for (const rule of Object.values(TEXT_RULES)) expect(rule.max).toBeGreaterThan(0);
    expect(Object.entries(TEXT_RULES).filter(([, r]) => r.shape === 'prose').map(([k]) => k).sort()).toEqual(['compensatingControl', 'document', 'evidence', 'incidentReport', 'note', 'reason']);
  });
});

describe('registry text: types', () => {
  test('refuses what is not a string; the optional form maps null and blank to null', () => {
    for (const value of [undefined, null, 3, ['a'], { a: 1 }]) expect(refusal(value, LINE).details).toMatchObject({ field: 'field' });
    expect(cleanOptionalText(null, LINE, 'f')).toBeNull();
    expect(cleanOptionalText(undefined, LINE, 'f')).toBeNull();
    expect(cleanOptionalText('  ', LINE, 'f')).toBeNull();
    expect(cleanOptionalText(' T-1 ', LINE, 'f')).toBe('T-1');
    expect(cleanOptionalText('T\u00851', LINE, 'f')).toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
