import { getIntrospectionQuery, parse } from 'graphql';
import { maxDepthRule } from '../../../../limits/operation-limits/index.js';
import { operationDepths } from '../../../../limits/operation-limits/depth.js';
import { depthQuery, kindsOf, limitErrors, withLimits } from './fixtures.js';

const limits = withLimits({ maxDepth: 4 });
const rule = [maxDepthRule(limits)];

describe('maxDepthRule', () => {
  it('accepts an operation at the bound and refuses one level deeper', () => {
    expect(kindsOf(depthQuery(4), limits, rule)).toEqual([]);
    expect(limitErrors(depthQuery(5), limits, rule)).toEqual([{ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'DEPTH', status: 400 }]);
  });

  it('follows fragments into their depth', () => {
    const q = (fields: string) => `query { viewer { ...F } } fragment F on User { ${fields} }`;
    expect(kindsOf(q('best { best { id } }'), limits, rule)).toEqual([]);
    expect(kindsOf(q('best { best { best { id } } }'), limits, rule)).toEqual(['DEPTH']);
  });

  it('adds no depth for inline fragments, but counts the fields inside them', () => {
    expect(kindsOf('{ viewer { ... on User { ... { best { best { id } } } } } }', limits, rule)).toEqual([]);
    expect(kindsOf('{ viewer { ... on User { best { ... { best { best { id } } } } } } }', limits, rule)).toEqual(['DEPTH']);
  });

  it('measures nested fragment spreads through their whole chain', () => {
    const doc = `query { viewer { ...A } }
      fragment A on User { best { ...B } }
      fragment B on User { best { ...C } }
      fragment C on User { best { id } }`;
    expect(operationDepths(parse(doc))).toEqual([5]);
    expect(kindsOf(doc, limits, rule)).toEqual(['DEPTH']);
  });

  it('measures each operation of a document separately', () => {
    const doc = `query Shallow { viewer { id } } query Deep ${depthQuery(6)}`;
    expect(operationDepths(parse(doc))).toEqual([2, 6]);
    expect(kindsOf(doc, limits, rule)).toEqual(['DEPTH']);
  });

  it('terminates on fragment cycles (graphql NoFragmentCycles reports them)', () => {
    const doc = 'query { viewer { ...A } } fragment A on User { best { ...B } } fragment B on User { best { ...A } }';
    expect(operationDepths(parse(doc))).toEqual([expect.any(Number)]);
  });

  it('lets the standard introspection query through (introspection is governed by its own setting)', () => {
    expect(kindsOf(getIntrospectionQuery(), withLimits({ maxDepth: 3 }), [maxDepthRule(withLimits({ maxDepth: 3 }))])).toEqual([]);
  });
});
