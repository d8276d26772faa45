import { describe, expect, it } from '@jest/globals';
import { canonicalJson, CanonicalJsonError } from '../../../audit/canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and emits no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('gives the same text whatever the key insertion order', () => {
    expect(canonicalJson({ x: 1, y: 2, z: [1, 2] })).toBe(canonicalJson({ z: [1, 2], y: 2, x: 1 }));
  });

  it('drops undefined members but keeps null', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it('writes undefined array entries as null, keeping the length', () => {
    expect(canonicalJson([1, undefined, 3])).toBe('[1,null,3]');
  });

  it('formats numbers in shortest round-trip form, -0 as 0', () => {
    expect(canonicalJson([1.0, 0.1, 1e21, 1e-7, -0, 123456789012])).toBe('[1,0.1,1e+21,1e-7,0,123456789012]');
  });

  it('escapes strings as JSON does, including control characters', () => {
    expect(canonicalJson({ s: 'a"b\\c\n\u0001é' })).toBe('{"s":"a\\"b\\\\c\\n\\u0001é"}');
  });

  it('sorts keys by code unit, not locale', () => {
    expect(canonicalJson({ b: 1, B: 2, a: 3, é: 4 })).toBe('{"B":2,"a":3,"b":1,"é":4}');
  });

  it('uses toJSON (dates as ISO strings)', () => {
    expect(canonicalJson({ t: new Date(Date.UTC(2025, 0, 2)) })).toBe('{"t":"2025-01-02T00:00:00.000Z"}');
  });

  it.each([[Number.NaN], [Number.POSITIVE_INFINITY], [BigInt(1)], [() => 1], [Symbol('s')]])('refuses a value JSON cannot carry faithfully (%p)', (bad) => {
    expect(() => canonicalJson({ bad })).toThrow(CanonicalJsonError);
  });

  it('refuses undefined at the root', () => {
    expect(() => canonicalJson(undefined)).toThrow(CanonicalJsonError);
  });
});
