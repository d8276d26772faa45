import { maxDirectivesRule } from '../../../../limits/operation-limits/index.js';
import { kindsOf, limitErrors, withLimits } from './fixtures.js';

const limits = withLimits({ maxDirectivesPerField: 2 });
const rule = [maxDirectivesRule(limits)];
const tags = (n: number) => Array.from({ length: n }, (_, i) => `@tag(name: "t${i}")`).join(' ');

describe('maxDirectivesRule', () => {
  it('accepts a field at the bound and refuses one more directive', () => {
    expect(kindsOf(`{ status ${tags(2)} }`, limits, rule)).toEqual([]);
    expect(limitErrors(`{ status ${tags(3)} }`, limits, rule)).toEqual([{ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'DIRECTIVES', status: 400 }]);
  });

  it('counts per field, not per document', () => {
    expect(kindsOf(`{ a ${tags(2)} b ${tags(2)} c ${tags(2)} }`, limits, rule)).toEqual([]);
  });

  it('also bounds directives on fragment spreads and inline fragments', () => {
    expect(kindsOf(`query { ...F ${tags(3)} } fragment F on Query { a }`, limits, rule)).toEqual(['DIRECTIVES']);
    expect(kindsOf(`{ ... ${tags(3)} { a } }`, limits, rule)).toEqual(['DIRECTIVES']);
  });

  it('reports once however many fields exceed it', () => {
    expect(kindsOf(`{ a ${tags(3)} b ${tags(3)} c ${tags(3)} }`, limits, rule)).toEqual(['DIRECTIVES']);
  });
});
