import { abnFromNumber, clientIdOf, isClientId, isValidAbn, isValidTfn, maskTfn, randomAbn, randomTfn, tfnFromNumber } from '../../../core/ids.js';

describe('isValidTfn', () => {
  it.each(['123456782', '123 456 782', '876543210'])('accepts the valid TFN %s', (tfn) => {
    expect(isValidTfn(tfn)).toBe(true);
  });

  it.each([
    ['wrong check digit', '123456789'],
    ['one digit changed', '123456783'],
    ['too short', '12345678'],
    ['too long', '1234567820'],
    ['letters', '12345678A'],
    ['empty', ''],
    ['dashes', '123-456-782'],
  ])('rejects %s', (_label, tfn) => {
    expect(isValidTfn(tfn)).toBe(false);
  });
});

describe('isValidAbn', () => {
  it.each(['51824753556', '51 824 753 556', '53004085616', '12345679016', '98765432122'])('accepts the valid ABN %s', (abn) => {
    expect(isValidAbn(abn)).toBe(true);
  });

  it('accepts both demo register org claims (DESIGN.md §9)', () => {
    expect([isValidAbn('12345679016'), isValidAbn('98765432122')]).toEqual([true, true]);
  });

  it.each([
    ['wrong check', '12345678901'],
    ['one digit changed', '51824753557'],
    ['leading zero', '01824753556'],
    ['too short', '5182475355'],
    ['letters', '5182475355X'],
    ['empty', ''],
  ])('rejects %s', (_label, abn) => {
    expect(isValidAbn(abn)).toBe(false);
  });
});

describe('generators', () => {
  it('tfnFromNumber always yields a valid 9-digit TFN without a leading zero', () => {
    for (let n = 0; n < 5000; n += 1) {
      const tfn = tfnFromNumber(n * 7919);
      expect(isValidTfn(tfn)).toBe(true);
      expect(tfn).toMatch(/^[1-9]\d{8}$/);
    }
  });

  it('abnFromNumber always yields a valid ABN, distinct for distinct inputs', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 5000; n += 1) {
      const abn = abnFromNumber(n * 104729);
      expect(isValidAbn(abn)).toBe(true);
      seen.add(abn);
    }
    expect(seen.size).toBe(5000);
  });

  it('is deterministic for the same input', () => {
    expect(tfnFromNumber(42)).toBe(tfnFromNumber(42));
    expect(abnFromNumber(42)).toBe(abnFromNumber(42));
  });

  it('draws valid identifiers from a PRNG', () => {
    let state = 1;
    const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
    for (let i = 0; i < 500; i += 1) {
      expect(isValidTfn(randomTfn(random))).toBe(true);
      expect(isValidAbn(randomAbn(random))).toBe(true);
    }
  });

  it('refuses negative or fractional inputs', () => {
    expect(() => tfnFromNumber(-1)).toThrow(RangeError);
    expect(() => abnFromNumber(1.5)).toThrow(RangeError);
  });
});

describe('maskTfn', () => {
  it('keeps only the last three digits', () => {
    expect(maskTfn('123456782')).toBe('*** *** 782');
    expect(maskTfn('123 456 782')).toBe('*** *** 782');
  });

  it('masks anything malformed completely', () => {
    expect(maskTfn('12345')).toBe('*** *** ***');
    expect(maskTfn('abcdefghi')).toBe('*** *** ***');
  });
});

describe('client ids', () => {
  it.each(['C-000001', 'C-002000', 'C-999999'])('accepts %s', (id) => {
    expect(isClientId(id)).toBe(true);
  });

  it.each(['C-1', 'c-000001', 'C-0000001', 'X-000001', ' C-000001', 'C-00000A', 42])('rejects %p', (id) => {
    expect(isClientId(id)).toBe(false);
  });

  it('formats client numbers', () => {
    expect(clientIdOf(1)).toBe('C-000001');
    expect(clientIdOf(100)).toBe('C-000100');
    expect(() => clientIdOf(0)).toThrow(RangeError);
  });
});
