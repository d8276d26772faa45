import { newPrefixedId, newTimeOrderedId, timeOfId } from '../../../core/random-id.js';

describe('newPrefixedId', () => {
  it('is the prefix and Crockford base32 characters of the asked length', () => {
    expect(newPrefixedId('DEV')).toMatch(/^DEV-[0-9A-HJKMNP-TV-Z]{10}$/);
    expect(newPrefixedId('ALR', 12)).toMatch(/^ALR-[0-9A-HJKMNP-TV-Z]{12}$/);
  });
  it('draws every character of the alphabet and repeats no id in 10,000', () => {
    const ids = Array.from({ length: 10_000 }, () => newPrefixedId('INC'));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.join('').replace(/INC-/g, '')).size).toBe(32);
  });
  it('refuses a length the random part cannot give', () => {
    expect(() => newPrefixedId('X', 17)).toThrow(RangeError);
    expect(() => newPrefixedId('X', 0)).toThrow(RangeError);
  });
});

describe('newTimeOrderedId', () => {
  it('encodes the given instant', () => {
    expect(timeOfId(newTimeOrderedId(1_735_689_600_000))).toBe(1_735_689_600_000);
  });
});
