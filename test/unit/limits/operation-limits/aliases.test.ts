import { parse } from 'graphql';
import { maxAliasesRule } from '../../../../limits/operation-limits/index.js';
import { operationAliases } from '../../../../limits/operation-limits/aliases.js';
import { aliasQuery, kindsOf, limitErrors, withLimits } from './fixtures.js';

const limits = withLimits({ maxAliases: 3 });
const rule = [maxAliasesRule(limits)];

describe('maxAliasesRule', () => {
  it('accepts an operation at the bound and refuses one more alias', () => {
    expect(kindsOf(aliasQuery(3), limits, rule)).toEqual([]);
    expect(limitErrors(aliasQuery(4), limits, rule)).toEqual([{ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'ALIASES', status: 400 }]);
  });

  it('counts aliases at every level, not only the root', () => {
    expect(kindsOf('{ viewer { a: id b: name c: best { d: id } } }', limits, rule)).toEqual(['ALIASES']);
  });

  it('counts a fragment once per spread (aliases as executed)', () => {
    const doc = (spreads: number) => `query { viewer { ${Array.from({ length: spreads }, (_, i) => `s${i}: best { ...F }`).join(' ')} } } fragment F on User { x: id }`;
    // 1 spread: alias s0 + x = 2; 2 spreads: s0, s1 + 2 × x = 4.
    expect(operationAliases(parse(doc(1)))).toEqual([2]);
    expect(operationAliases(parse(doc(2)))).toEqual([4]);
    expect(kindsOf(doc(2), limits, rule)).toEqual(['ALIASES']);
  });

  it('does not count plain fields', () => {
    expect(kindsOf('{ viewer { id name best { id name } } status a b c }', limits, rule)).toEqual([]);
  });
});
