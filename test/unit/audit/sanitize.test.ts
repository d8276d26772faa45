import { describe, expect, it } from '@jest/globals';
import { MEMO_MAX_ENTRIES, MEMO_MAX_TEXT, SANITIZE_LIMITS, memoisedText, recordedOperationName, recordedUserAgent, sanitizeList, sanitizeMaskedText, sanitizeString } from '../../../audit/sanitize.js';

describe('sanitize', () => {
  it('caps the user agent at 256 and the operation name at 128 characters', () => {
    expect(recordedUserAgent('u'.repeat(1000))).toHaveLength(SANITIZE_LIMITS.userAgent);
    expect(SANITIZE_LIMITS.userAgent).toBe(256);
    expect(recordedOperationName('o'.repeat(1000))).toHaveLength(128);
  });

  it('strips control characters, so a value cannot forge log lines', () => {
    expect(recordedUserAgent('curl/8\r\nX-Injected: 1\u0000\u001b[31m\u007f\u0085')).toBe('curl/8X-Injected: 1[31m');
  });

  it('strips bidirectional overrides and zero-width characters', () => {
    expect(sanitizeString('a\u202eb\u2066c\u200bd\ufeff\u2028e', 100)).toBe('abcde');
  });

  it('never cuts a surrogate pair in half', () => {
    const out = sanitizeString('ab😀', 3)!;
    expect(out).toBe('ab');
    expect(sanitizeString('ab😀', 4)).toBe('ab😀');
  });

  it('returns null for non-strings and for strings empty once cleaned', () => {
    expect(recordedUserAgent(undefined)).toBeNull();
    expect(recordedUserAgent(42)).toBeNull();
    expect(recordedUserAgent('\u0000\u0001  ')).toBeNull();
  });

  it('keeps ordinary text unchanged', () => {
    expect(recordedUserAgent('Mozilla/5.0 (X11; Linux x86_64) é ü 中文')).toBe('Mozilla/5.0 (X11; Linux x86_64) é ü 中文');
  });

  it('sanitises lists entry by entry and caps their length', () => {
    expect(sanitizeList(['a\n', '', 7, 'b'])).toEqual(['a', 'b']);
    expect(sanitizeList(Array.from({ length: 500 }, (_, i) => `c${i}`))).toHaveLength(SANITIZE_LIMITS.listItems);
    expect(sanitizeList('not a list')).toEqual([]);
  });
});

describe('memoisedText (the access record\'s repeated free texts)', () => {
  it('cleans a text once while it is remembered, and answers as the cleaning does', () => {
    const calls: unknown[] = [];
    const clean = (v: unknown) => (calls.push(v), typeof v === 'string' ? `clean:${v}` : null);
    const memo = memoisedText(clean);
    expect([memo('ua/1'), memo('ua/1'), memo('ua/2'), memo('ua/1')]).toEqual(['clean:ua/1', 'clean:ua/1', 'clean:ua/2', 'clean:ua/1']);
    expect(calls).toEqual(['ua/1', 'ua/2']);
    // Not strings, and texts longer than MEMO_MAX_TEXT, are cleaned every time (never kept).
    const long = 'x'.repeat(MEMO_MAX_TEXT + 1);
    expect([memo(7), memo(7), memo(long), memo(long)]).toEqual([null, null, `clean:${long}`, `clean:${long}`]);
    expect(calls.slice(2)).toEqual([7, 7, long, long]);
  });

  it('holds at most MEMO_MAX_ENTRIES texts: when full it starts again', () => {
    const calls: string[] = [];
    const memo = memoisedText((v) => (calls.push(v as string), v as string));
    for (let i = 0; i < MEMO_MAX_ENTRIES; i++) memo(`t${i}`);
    memo('t0');
    expect(calls.length).toBe(MEMO_MAX_ENTRIES); // all still remembered
    memo('one more'); // the table was full: it starts again with this one
    memo('t1');
    expect(calls.slice(MEMO_MAX_ENTRIES)).toEqual(['one more', 't1']);
  });

  it('gives the access record the same user agent and operation name as the cleaning alone', () => {
    for (const ua of ['Mozilla/5.0 (X11) TFN 123 456 782', 'agent\u0000\u202e', '  ', '１２３４５６７８９ app']) {
      expect(recordedUserAgent(ua)).toBe(sanitizeMaskedText(ua, SANITIZE_LIMITS.userAgent));
      expect(recordedUserAgent(ua)).toBe(sanitizeMaskedText(ua, SANITIZE_LIMITS.userAgent));
      expect(recordedOperationName(ua)).toBe(sanitizeMaskedText(ua, SANITIZE_LIMITS.operationName));
    }
  });
});
