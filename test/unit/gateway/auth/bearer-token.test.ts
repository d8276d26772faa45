import { describe, expect, it } from '@jest/globals';
import { checkedCredentials, credentialsFrom } from '../../../../gateway/auth/bearer-token.js';

// A well-formed compact JWS (three canonical base64url segments).
const JWS = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz';
const MAX = 200;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A small deterministic generator (xorshift), so a failure names a seed that reproduces it. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

// What headers are made of: scheme letters in any case, spaces and other white space, base64url, dots, and characters that are none of these.
const PIECES = ['Bearer', 'bearer', 'BEARER', 'DPoP', 'dpop', 'Basic', ' ', '  ', '\t', '\u00a0', '\u2028', '.', '..', 'A', 'g', 'Q', 'E', 'w', '-', '_', '=', '+', '/', 'é', '\u212a', JWS, 'eyJ', 'x'.repeat(150)];

describe('credentialsFrom: the one-pass path agrees with the checks one by one', () => {
  it('takes the common headers at once', () => {
    expect(credentialsFrom(`Bearer ${JWS}`, MAX)).toEqual({ token: JWS, scheme: 'Bearer' });
    expect(credentialsFrom([`bEaReR   ${JWS}`], MAX)).toEqual({ token: JWS, scheme: 'Bearer' });
    expect(credentialsFrom(`DPoP ${JWS}`, MAX, true)).toEqual({ token: JWS, scheme: 'DPoP' });
  });

  it('refuses, with the checks\' reasons, what the one-pass path leaves to them', () => {
    const reason = (r: ReturnType<typeof credentialsFrom>) => ('denial' in r ? r.denial.details?.reason : 'accepted');
    expect(reason(credentialsFrom(`DPoP ${JWS}`, MAX))).toBe('not_bearer');
    expect(reason(credentialsFrom(`Bearer ${JWS}.x`, MAX))).toBe('malformed');
    expect(reason(credentialsFrom(`Bearer ${JWS.slice(0, -1)}`, MAX))).toBe('malformed'); // 3 characters: the last one's spare bits set
    expect(reason(credentialsFrom(`Bearer ${JWS}`, JWS.length - 1))).toBe('oversized');
    expect(reason(credentialsFrom(`Bearer${' '.repeat(70)}${JWS}`, JWS.length))).toBe('oversized');
    expect(reason(credentialsFrom([`Bearer ${JWS}`, `Bearer ${JWS}`], MAX))).toBe('ambiguous');
    expect(reason(credentialsFrom(` Bearer ${JWS}\t`, MAX))).toBe('accepted'); // trimmed by the checks
    expect(reason(credentialsFrom(`Bearer ${JWS} x`, MAX))).toBe('not_bearer');
  });

  it('gives the same answer as the checks for 20,000 generated headers', () => {
    const next = random(20261207);
    let accepted = 0;
    for (let n = 0; n < 20_000; n++) {
      const parts: string[] = [];
      const count = 1 + Math.floor(next() * 6);
      for (let k = 0; k < count; k++) parts.push(PIECES[Math.floor(next() * PIECES.length)]!);
      // A third pieces alone, a third a valid header with one piece put in, a third a scheme and
      // three random base64url segments (canonical or not, by their last character and length).
      const scheme = () => `${['Bearer', 'bearer', 'dPoP', 'DPOP'][Math.floor(next() * 4)]}${' '.repeat(1 + Math.floor(next() * 3))}`;
      const segment = () => Array.from({ length: next() < 0.7 ? 4 * (1 + Math.floor(next() * 3)) : 1 + Math.floor(next() * 9) }, () => ALPHABET[Math.floor(next() * 64)]).join('');
      const pick = next();
      const header =
        pick < 1 / 3
          ? parts.join('')
          : pick < 2 / 3
            ? `${scheme()}${JWS.slice(0, Math.floor(next() * JWS.length))}${parts.join('')}${JWS.slice(Math.floor(next() * JWS.length))}`
            : `${scheme()}${segment()}.${segment()}.${segment()}`;
      const dpop = next() < 0.5;
      const max = next() < 0.2 ? Math.floor(next() * 80) : MAX;
      const got = credentialsFrom(header, max, dpop);
      expect({ header, got }).toEqual({ header, got: checkedCredentials(header, max, dpop) });
      if ('token' in got) accepted++;
    }
    // The corpus exercises both outcomes, or the comparison would prove little.
    expect(accepted).toBeGreaterThan(1_000);
    expect(accepted).toBeLessThan(19_000);
  });
});
