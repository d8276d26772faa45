import { describe, expect, it } from '@jest/globals';
import { SANITIZE_LIMITS, recordedOperationName, recordedUserAgent, sanitizeList, sanitizeString } from '../../../audit/sanitize.js';

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
