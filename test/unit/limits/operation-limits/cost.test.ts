import { buildSchema, Kind, parse, validate, type OperationDefinitionNode } from 'graphql';
import { assumedSizesOf, attachAssumedSizes, checkOperationCost, maxCostRule, operationCost, readAssumedSizes, sizesFromVariables } from '../../../../limits/operation-limits/index.js';
import { kindsOf, limitErrors, schema, withLimits } from './fixtures.js';

/** Cost of the first operation, document-only (as the validation rule sees it) or with variables. */
function cost(query: string, variables?: Record<string, unknown>): number {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return operationCost(schema, document, operation, { defaultListSize: 10, ...(variables ? { variables } : {}) });
}

describe('operationCost', () => {
  it.each([
    ['every field costs 1', '{ viewer { id name } }', 3],
    ['a list multiplies its subtree by first', '{ users(first: 5) { id } }', 6],
    ['nested lists multiply', '{ users(first: 5) { friends(first: 3) { id } } }', 1 + 5 * (1 + 3)],
    ['limit is a size argument too', '{ viewer { posts { comments(limit: 4) { id text } } } }', 1 + (1 + 10 * (1 + 4 * 2))],
    ['a list without a size counts defaultListSize', '{ users { id } }', 11],
    ['a list of leaves costs its size', '{ tags }', 10],
    ['a connection counts its size once, not again for edges', '{ search(first: 50) { edges { node { id } } } }', 1 + 50 * 3],
    ["a connection's non-list children are returned once per page", '{ search(first: 50) { nodes { id } totalCount } }', 1 + 50 * 2 + 1],
    ['edges and nodes together are both counted per item', '{ search(first: 50) { edges { cursor } nodes { id } totalCount } }', 1 + 50 * (2 + 2) + 1],
    ['an omitted size argument takes its schema default', '{ search { nodes { id } } }', 1 + 20 * 2],
    ['fragments are followed, with the size context of the spread', 'query { search(first: 50) { ...C } } fragment C on UserConnection { edges { node { id } } }', 1 + 50 * 3],
    ['__typename is free', '{ viewer { __typename id } }', 2],
  ])('%s', (_label, query, expected) => {
    expect(cost(query)).toBe(expected);
  });

  it('counts a variable size as defaultListSize without variables (validation)', () => {
    expect(cost('query ($n: Int) { users(first: $n) { id } }')).toBe(11);
  });

  it('uses the variable value, then the variable default, when variables are given (per request)', () => {
    expect(cost('query ($n: Int) { users(first: $n) { id } }', { n: 100 })).toBe(101);
    expect(cost('query ($n: Int = 7) { users(first: $n) { id } }', {})).toBe(8);
    expect(cost('query ($n: Int) { users(first: $n) { id } }', { n: 'many' })).toBe(11);
  });

  it('counts a spread fragment once per spread', () => {
    const q = 'query { users(first: 5) { ...U } } fragment U on User { friends(first: 3) { id } }';
    expect(cost(q)).toBe(1 + 5 * (1 + 3));
  });

  it('counts a fragment on a connection with its list children per item and the rest once', () => {
    const q = 'query { search(first: 50) { ...C } } fragment C on UserConnection { nodes { id } totalCount }';
    expect(cost(q)).toBe(1 + 50 * 2 + 1);
  });

  it('treats a negative size as empty', () => {
    expect(cost('{ users(first: -5) { id name } }')).toBe(1);
  });
});

describe('@listSize(assumedSize:) hints', () => {
  const sdl = /* GraphQL */ `
    directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
    type Query { records(first: Int): [Rec!]! tags: [String!]! }
    type Rec { id: ID! codes: [String!]! @listSize(assumedSize: 1) reasons: [Reason!]! @listSize(assumedSize: 2) others: [Reason!]! }
    type Reason { code: String }
  `;
  const hinted = buildSchema(sdl);
  attachAssumedSizes(hinted, readAssumedSizes(sdl));
  const costOf = (query: string) => {
    const document = parse(query);
    return operationCost(hinted, document, document.definitions[0] as OperationDefinitionNode, { defaultListSize: 10 });
  };

  it('reads the assumed sizes from the SDL by coordinate', () => {
    expect([...readAssumedSizes(sdl)]).toEqual([['Rec.codes', 1], ['Rec.reasons', 2]]);
  });

  it('counts a hinted list at its assumed size and an unhinted one at defaultListSize', () => {
    expect(costOf('{ records(first: 3) { codes } }')).toBe(1 + 3 * 1);
    expect(costOf('{ records(first: 3) { reasons { code } } }')).toBe(1 + 3 * (1 + 2 * 1));
    expect(costOf('{ records(first: 3) { others { code } } }')).toBe(1 + 3 * (1 + 10 * 1));
  });

  it('applies to the validation rule through the schema it validates against', () => {
    const tight = withLimits({ maxCost: 1 + 3 * 3 });
    const document = parse('{ records(first: 3) { reasons { code } } }');
    expect(validate(hinted, document, [maxCostRule(tight)])).toEqual([]);
    expect(validate(hinted, parse('{ records(first: 3) { others { code } } }'), [maxCostRule(tight)])).toHaveLength(1);
  });

  it('gives a schema nothing was attached to no hints', () => {
    expect(assumedSizesOf(buildSchema(sdl)).size).toBe(0);
  });
});

describe('maxCostRule', () => {
  const limits = withLimits({ maxCost: 21 });
  const rule = [maxCostRule(limits)];

  it('accepts an operation at the bound and refuses one above it', () => {
    expect(kindsOf('{ users(first: 5) { friends(first: 3) { id } } }', limits, rule)).toEqual([]);
    expect(limitErrors('{ users(first: 5) { friends(first: 3) { id } } status }', limits, rule)).toEqual([{ code: 'OPERATION_LIMIT_EXCEEDED', limit: 'COST', status: 400 }]);
  });

  it('refuses a huge literal page size', () => {
    expect(kindsOf('{ users(first: 1000000) { id } }', withLimits({}))).toEqual(['COST']);
  });
});

describe('checkOperationCost (per request, with variables)', () => {
  const limits = withLimits({ maxCost: 100 });
  const query = 'query Users($n: Int) { users(first: $n) { id } }';
  const document = parse(query);
  const operation = document.definitions[0] as OperationDefinitionNode;

  it('refuses a variable size the validation rule could not see', () => {
    expect(checkOperationCost({ schema, document, operation, variables: { n: 99 }, limits })).toBeNull();
    expect(checkOperationCost({ schema, document, operation, variables: { n: 1_000_000 }, limits })).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', details: { limit: 'COST' } });
  });

  it('does not reveal the bound unless revealBounds is on', () => {
    const hidden = checkOperationCost({ schema, document, operation, variables: { n: 500 }, limits })!;
    expect(hidden.details).toEqual({ limit: 'COST' });
    expect(hidden.message).not.toContain('100');
    const shown = checkOperationCost({ schema, document, operation, variables: { n: 500 }, limits: { ...limits, revealBounds: true } })!;
    expect(shown.details).toEqual({ limit: 'COST', max: 100, actual: 501 });
  });
});

describe('sizesFromVariables (whether a request can cost more than validation saw)', () => {
  it.each([
    ['a size argument given by a variable', 'query ($n: Int) { users(first: $n) { id } }', true],
    ['a size variable inside a fragment', 'query ($n: Int) { viewer { ...P } } fragment P on User { posts(limit: $n) { id } }', true],
    ['literal sizes only', '{ users(first: 5) { friends(first: 3) { id } } }', false],
    ['variables in other arguments only', 'query ($id: ID!) { user(id: $id) { id } users(first: 2) { id } }', false],
  ])('%s → %s', (_label, query, expected) => {
    expect(sizesFromVariables(parse(query))).toBe(expected);
  });

  it('lets checkOperationCost skip the walk only when no size comes from a variable', () => {
    const limits = withLimits({ maxCost: 50, defaultListSize: 10 });
    const literal = parse('query ($id: ID!) { users(first: 500) { id } user(id: $id) { id } }');
    const operation = literal.definitions[0] as OperationDefinitionNode;
    // Over the bound, but validation already refused it; per request there is nothing new to learn.
    expect(checkOperationCost({ schema, document: literal, operation, variables: { id: 'u1' }, limits })).toBeNull();
    const variable = parse('query ($n: Int) { users(first: $n) { id } }');
    expect(checkOperationCost({ schema, document: variable, operation: variable.definitions[0] as OperationDefinitionNode, variables: { n: 500 }, limits })).not.toBeNull();
  });
});
