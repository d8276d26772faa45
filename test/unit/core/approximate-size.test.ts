import { parse } from 'graphql';
import { approximateBytes } from '../../../core/approximate-size.js';

describe('approximateBytes', () => {
  it('grows with the content and counts strings by length', () => {
    expect(approximateBytes('x'.repeat(1000))).toBeGreaterThan(approximateBytes('x'.repeat(10)));
    expect(approximateBytes({ a: [1, 2, 3], b: new Map([['k', 'v']]) })).toBeGreaterThan(approximateBytes({ a: [1] }));
  });

  it('counts a shared object once and survives cycles', () => {
    const shared = { big: 'y'.repeat(500) };
    const once = approximateBytes({ a: shared });
    expect(approximateBytes({ a: shared, b: shared })).toBeLessThan(2 * once);
    const cyclic: Record<string, unknown> = { name: 'c' };
    cyclic.self = cyclic;
    expect(Number.isFinite(approximateBytes(cyclic))).toBe(true);
  });

  it('skips AST locations (the linked token stream) and gives up past its budget', () => {
    const doc = parse(`{ ${Array.from({ length: 200 }, (_, i) => `f${i}`).join(' ')} }`);
    expect(approximateBytes(doc)).toBeLessThan(200 * 400);
    expect(approximateBytes(Array.from({ length: 1000 }, (_, i) => i), 100)).toBe(Number.POSITIVE_INFINITY);
  });
});
