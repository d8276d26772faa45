/**
 * The hostile documents issue 6 names. Each is refused by the pre-parse check with the default
 * limits, and, when the bounds are raised so that it reaches the validation rules, the rules
 * finish and refuse it (or accept it just under the bound). No timing assertions: the times are
 * measured in the issue report / bench, these tests only show the work completes.
 */
import { parse, specifiedRules, validate } from 'graphql';
import { operationLimitRules, preParseCheck } from '../../../../limits/operation-limits/index.js';
import { aliasQuery, defaults, depthQuery, fragmentBomb, fragmentChain, kindsOf, largeDocument, schema, unbounded, withLimits } from './fixtures.js';

describe('hostile documents', () => {
  describe('a 10,000-alias query', () => {
    const q = aliasQuery(10_000);

    it('is refused before parsing with the default limits', () => {
      expect(preParseCheck(q, defaults)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED' });
      // Even with room for its bytes, its tokens are too many.
      expect(preParseCheck(q, withLimits({ maxDocumentBytes: 1e9 }))).toMatchObject({ details: { limit: 'TOKENS' } });
    });

    it('is refused by the alias rule once parsed, and accepted just under a bound of 10,000', () => {
      const doc = parse(q);
      expect(kindsOf(doc, withLimits({ ...unbounded, maxAliases: 9_999 }))).toEqual(['ALIASES']);
      expect(kindsOf(doc, withLimits({ ...unbounded, maxAliases: 10_000 }))).toEqual([]);
    });
  });

  describe('a depth-50 query', () => {
    const q = depthQuery(50);

    it('passes the pre-parse check (it is small) and is refused by the depth rule', () => {
      expect(preParseCheck(q, defaults)).toBeNull();
      expect(kindsOf(q, defaults)).toEqual(['DEPTH']);
    });

    it('is accepted at a bound of 50 and refused at 49', () => {
      expect(kindsOf(q, withLimits({ ...unbounded, maxDepth: 50 }))).toEqual([]);
      expect(kindsOf(q, withLimits({ ...unbounded, maxDepth: 49 }))).toEqual(['DEPTH']);
    });
  });

  describe('a 1 MB document', () => {
    const q = largeDocument(1_000_000);

    it('is refused by size before parsing', () => {
      expect(Buffer.byteLength(q)).toBeGreaterThanOrEqual(1_000_000);
      expect(preParseCheck(q, defaults)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', details: { limit: 'DOCUMENT_BYTES' } });
    });

    it('is accepted by a byte bound just above its size', () => {
      expect(preParseCheck(q, withLimits({ maxDocumentBytes: Buffer.byteLength(q), maxTokens: 1e9 }))).toBeNull();
    });

    it('is refused by the rules when it gets past the pre-parse check', () => {
      expect(kindsOf(q, defaults).sort()).toEqual(['ALIASES', 'COST', 'ROOT_FIELDS']);
    });
  });

  describe('5,000 fragment definitions, each spreading the next', () => {
    const q = fragmentChain(5_000);

    it('is refused before parsing with the default limits', () => {
      expect(preParseCheck(q, defaults)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED' });
      expect(preParseCheck(q, withLimits({ maxDocumentBytes: 1e9 }))).toMatchObject({ details: { limit: 'TOKENS' } });
    });

    it('is measured by the rules without recursing through the chain (cost 5,000: accepted at 5,000, refused at 4,999)', () => {
      const doc = parse(q);
      // Only the limit rules: graphql's own NoFragmentCycles recurses once per fragment and
      // overflows the stack on this chain, which is why the pre-parse check must refuse it first.
      expect(kindsOf(doc, withLimits({ ...unbounded, maxCost: 5_000 }))).toEqual([]);
      expect(kindsOf(doc, withLimits({ ...unbounded, maxCost: 4_999 }))).toEqual(['COST']);
    });
  });

  describe('a fragment fan-out bomb', () => {
    it('(40 levels, 2^40 fields if executed) passes the pre-parse check and is refused by the rules', () => {
      const q = fragmentBomb(40);
      expect(preParseCheck(q, defaults)).toBeNull();
      expect(kindsOf(q, defaults).sort()).toEqual(['ALIASES', 'COST', 'DEPTH']);
    });

    it('(2,000 levels) is refused before parsing, and by the rules with every bound raised', () => {
      const q = fragmentBomb(2_000);
      expect(preParseCheck(q, defaults)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED' });
      // Its alias count and cost overflow to Infinity, which no bound admits; its depth (2,002) is within 1e9.
      expect(kindsOf(q, unbounded).sort()).toEqual(['ALIASES', 'COST']);
    });

    it('is accepted when small enough (5 levels: 62 aliases, depth 7, cost 95), refused just over each bound', () => {
      const q = fragmentBomb(5);
      const bounds = { maxAliases: 62, maxDepth: 7, maxCost: 95 };
      expect(kindsOf(q, withLimits(bounds))).toEqual([]);
      expect(kindsOf(q, withLimits({ ...bounds, maxAliases: 61 }))).toEqual(['ALIASES']);
      expect(kindsOf(q, withLimits({ ...bounds, maxDepth: 6 }))).toEqual(['DEPTH']);
      expect(kindsOf(q, withLimits({ ...bounds, maxCost: 94 }))).toEqual(['COST']);
    });
  });
});

describe('operationLimitRules alongside graphql', () => {
  it('reports nothing for an ordinary operation, next to the specified rules', () => {
    const doc = parse('query Q($n: Int = 5) { viewer { id name friends(first: $n) { id } } search(text: "x", first: 10) { totalCount edges { cursor node { id } } } }');
    expect(validate(schema, doc, [...specifiedRules, ...operationLimitRules(defaults)])).toEqual([]);
  });

  it('reveals the bound in the error only when configured to', () => {
    const hidden = validate(schema, parse(depthQuery(20)), operationLimitRules(defaults));
    expect(hidden.map((e) => e.extensions)).toEqual([expect.objectContaining({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'DEPTH' })]);
    expect(hidden[0]!.extensions['max']).toBeUndefined();
    expect(hidden[0]!.message).not.toMatch(/12/);
    const shown = validate(schema, parse(depthQuery(20)), operationLimitRules({ ...defaults, revealBounds: true }));
    expect(shown[0]!.extensions).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'DEPTH', max: 12, actual: 20 });
    expect(shown[0]!.message).toMatch(/12/);
  });
});
