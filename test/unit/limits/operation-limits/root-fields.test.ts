import { maxRootFieldsRule } from '../../../../limits/operation-limits/index.js';
import { kindsOf, limitErrors, withLimits } from './fixtures.js';

const limits = withLimits({ maxRootFields: 3 });
const rule = [maxRootFieldsRule(limits)];

describe('maxRootFieldsRule', () => {
  it('accepts an operation at the bound and refuses one more root field', () => {
    expect(kindsOf('{ a b c }', limits, rule)).toEqual([]);
    expect(limitErrors('{ a b c status }', limits, rule)).toEqual([{ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'ROOT_FIELDS', status: 400 }]);
  });

  it('counts root fields reached through fragments and inline fragments', () => {
    expect(kindsOf('query { a ...R } fragment R on Query { b ... { c status } }', limits, rule)).toEqual(['ROOT_FIELDS']);
    expect(kindsOf('query { a ...R } fragment R on Query { b ... { c } }', limits, rule)).toEqual([]);
  });

  it('counts aliases of one field as separate root fields, and a repeated field once', () => {
    expect(kindsOf('{ x: status y: status z: status w: status }', limits, rule)).toEqual(['ROOT_FIELDS']);
    expect(kindsOf('{ status status status status a }', limits, rule)).toEqual([]);
  });

  it('does not count nested fields', () => {
    expect(kindsOf('{ viewer { id name best { id } } a b }', limits, rule)).toEqual([]);
  });

  it('applies to mutations too', () => {
    const m = withLimits({ maxRootFields: 1 });
    expect(kindsOf('mutation { x: rename(name: "a") { id } y: rename(name: "b") { id } }', m, [maxRootFieldsRule(m)])).toEqual(['ROOT_FIELDS']);
  });
});
