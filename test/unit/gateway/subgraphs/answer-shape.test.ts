import { buildSchema } from 'graphql';
import { admitData, answerShapeOf, createAnswerShapes, MAX_LIST_DEPTH, type AnswerShape } from '../../../../gateway/subgraphs/answer-shape.js';

const ENTITY_FETCH = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Client{__typename lodgments(first:1){id period}}}}';
const SCHEMA = buildSchema(`
  scalar SafeInt
  enum Kind { A B }
  interface Party { id: ID! }
  type Client implements Party { id: ID! name: String! count: SafeInt year: Int score: Float active: Boolean kind: Kind tags: [[String]] lodgments(first: Int): [Lodgment!] }
  type Agent implements Party { id: ID! code: String }
  type Lodgment { id: ID! period: String }
  type Query { client(clientId: String): Client party: Party }
`);
const admit = (data: unknown, shape: AnswerShape, representations: number | null = null) => admitData(data, shape, representations, 200);

describe("a subgraph answer held to its fetch's selections", () => {
  it('keeps what the fetch selected and drops the rest, at every depth and in every list item', () => {
    const shape = answerShapeOf(ENTITY_FETCH);
    const answer = { _entities: [{ __typename: 'Client', name: 'FORGED', lodgments: [{ id: 'L-1', period: 'P', status: 'X' }] }, null] };
    expect(admit(answer, shape, 2)).toMatchObject({ data: { _entities: [{ __typename: 'Client', lodgments: [{ id: 'L-1', period: 'P' }] }, null] }, changed: true, nulled: 0 });
    const honest = { _entities: [{ __typename: 'Client', lodgments: [{ id: 'L-1', period: 'P' }] }] };
    const kept = admit(honest, shape, 1);
    expect(kept.changed).toBe(false);
    expect(kept.data).toBe(honest); // not copied
  });

  it('counts aliases, named fragments and every type condition', () => {
    const shape = answerShapeOf('query { a: client(clientId: "C") { ...F ... on Agent { code } } meta } fragment F on Client { id details { x } }');
    const answer = { a: { id: 'C', code: 'K', details: { x: 1, y: 2 }, name: 'n' }, meta: 'm', client: {} };
    expect(admit(answer, shape).data).toEqual({ a: { id: 'C', code: 'K', details: { x: 1 } }, meta: 'm' });
  });

  it('selects nothing through an unknown or cyclic fragment', () => {
    const shape = answerShapeOf('query { a { ...Missing ...Loop id } } fragment Loop on T { ...Loop b }');
    expect(admit({ a: { id: 1, b: 2, c: 3 } }, shape).data).toEqual({ a: { id: 1, b: 2 } });
  });

  it('does not take inherited keys for selected ones, nor an own __proto__', () => {
    const shape = answerShapeOf('{ a }');
    expect(admit(Object.create({ a: 'inherited' }), shape).data).toEqual({});
    const polluted = admit(JSON.parse('{"__proto__": {"a": 1}, "a": 2}'), shape);
    expect(polluted.data).toEqual({ a: 2 });
    expect(Object.getPrototypeOf(polluted.data)).toBe(Object.prototype);
  });

  it('parses a fetch document once per schema', () => {
    const shapes = createAnswerShapes();
    expect(shapes(ENTITY_FETCH)).toBe(shapes(ENTITY_FETCH));
    const untyped = shapes(ENTITY_FETCH);
    const typed = shapes(ENTITY_FETCH, SCHEMA);
    expect(typed).not.toBe(untyped);
    expect(shapes(ENTITY_FETCH, SCHEMA)).toBe(typed);
  });
});

describe("a subgraph answer's values of the wrong kind (session 33's review)", () => {
  const shape = answerShapeOf('{ client(clientId: "C") { __typename id name count year score active kind tags lodgments { id } } party { __typename id } }', SCHEMA);

  it('passes values of their fields’ kinds as they are', () => {
    const data = { client: { __typename: 'Client', id: 7, name: 'n', count: 2 ** 52, year: 2024, score: 1.5, active: false, kind: 'A', tags: [['x', null], null], lodgments: [{ id: 'L' }] }, party: { __typename: 'Agent', id: 'A-1' } };
    expect(admit(data, shape)).toMatchObject({ data, changed: false });
  });

  it.each([
    ['an object where a string belongs', ['client', 'name'], { deep: 1 }],
    ['a string where an object belongs', ['client'], 'x'],
    ['a number where a list of objects belongs', ['client', 'lodgments'], 5],
    ['a SafeInt that is text', ['client', 'count'], 'db01.internal: SELECT 1'],
    ['a SafeInt past 2^53', ['client', 'count'], 2 ** 60],
    ['a SafeInt with a fraction', ['client', 'count'], 1.5],
    ['an Int past 32 bits', ['client', 'year'], 2 ** 31],
    ['a Boolean that is a string', ['client', 'active'], 'true'],
    ['an enum that is a number', ['client', 'kind'], 1],
    ['an enum value it does not have', ['client', 'kind'], 'C'],
    ['an ID past 2^53', ['client', 'id'], 2 ** 60],
    ['a list where a string belongs', ['client', 'name'], ['n']],
    ['an object where a list belongs', ['client', 'lodgments'], { id: 'L-1' }],
  ])('%s is made null and reported at its path', (_what, path, value) => {
    const data = { client: { __typename: 'Client', id: 'C', name: 'n' }, party: null } as Record<string, any>;
    data.client[path[1] ?? ''] = value;
    if (path.length === 1) data.client = value;
    const out = admit(data, shape);
    expect(out).toMatchObject({ failed: false, changed: true, nulled: 1, problems: [path] });
    expect((out.data as Record<string, any>).client === null || (out.data as Record<string, any>).client[path[1]!] === null).toBe(true);
  });

  it('takes no more lists than the field’s type has; where the schema does not say, at most MAX_LIST_DEPTH', () => {
    const out = admit({ client: { __typename: 'Client', id: 'C', name: 'n', tags: [[['x']], [null]] }, party: null }, shape);
    expect(out.data).toEqual({ client: { __typename: 'Client', id: 'C', name: 'n', tags: [[null], [null]] }, party: null });
    expect(out.problems).toEqual([['client', 'tags', 0, 0]]);
    const untyped = answerShapeOf('{ other }');
    const nested = (n: number): unknown => (n === 0 ? 'x' : [nested(n - 1)]);
    expect(admit({ other: nested(MAX_LIST_DEPTH) }, untyped).changed).toBe(false);
    expect(admit({ other: nested(MAX_LIST_DEPTH + 1) }, untyped).nulled).toBe(1);
  });

  // Session 33's second review: what @apollo/gateway would complete with an error per item.
  it.each([
    ['a non-null field left out', { id: 'L', state: 'OPEN' }, [0, 'period']],
    ['an enum value the enum does not have', { id: 'L', period: 'P', state: 'NOPE' }, [0, 'state']],
    ['an ID that does not print as its digits', { id: 1e21, period: 'P', state: 'OPEN' }, [0, 'id']],
  ])('%s in 100,000 list items makes the nearest nullable position null, with one error', (_what, item, at) => {
    const strict = buildSchema('enum State { OPEN SHUT } type L { id: ID! period: String! state: State! } type Query { ls: [L!] }');
    const shape = answerShapeOf('{ ls { id period state } }', strict);
    const out = admitData({ ls: Array.from({ length: 100_000 }, () => ({ ...item })) }, shape, null, 200);
    expect(out.data).toEqual({ ls: null });
    expect(out.problems).toEqual([['ls', ...at]]);
    expect(admit({ ls: [{ id: 'L', period: 'P', state: 'OPEN' }, { id: 7, period: 'P', state: 'SHUT' }] }, shape).changed).toBe(false);
  });

  it('requires only what every object at its place was asked for: not under a narrower type condition, @skip or @include', () => {
    const shape = answerShapeOf('query($s: Boolean!) { party { ... on Client { name } ... on Agent { code } id @skip(if: $s) } client(clientId: "C") { ...F name @include(if: $s) } } fragment F on Client { id }', SCHEMA);
    expect(admit({ party: { code: 'K' }, client: { id: 'C' } }, shape).changed).toBe(false); // an Agent has no name; id and name skipped
    expect(admit({ party: null, client: {} }, shape)).toMatchObject({ data: { party: null, client: null }, problems: [['client', 'id']] });
  });

  it('takes none of an object whose __typename is not its type’s, or no string', () => {
    for (const typename of ['Lodgment', 5, ['Client'], {}]) {
      const out = admit({ client: { __typename: typename, id: 'C', name: 'n' }, party: { __typename: 'Client', id: 'C' } }, shape);
      expect(out.data).toEqual({ client: null, party: { __typename: 'Client', id: 'C' } });
      expect(out.problems).toEqual([['client']]);
    }
  });

  it('walks a value nested 200,000 deep without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(200_000) + ']'.repeat(200_000));
    const out = admit({ client: deep, party: null }, shape);
    expect(out.data).toEqual({ client: null, party: null });
    const leaf = admit({ client: { __typename: 'Client', id: 'C', name: 'n', year: deep }, party: null }, shape);
    expect((leaf.data as Record<string, any>).client.year).toBeNull();
  });

  it('reports at most the bound of problems but makes every wrong value null', () => {
    const periodShape = answerShapeOf('{ client(clientId: "C") { lodgments { id period } } }', SCHEMA);
    const lodgments = Array.from({ length: 1000 }, () => ({ id: 'L', period: {} }));
    const out = admitData({ client: { lodgments } }, periodShape, null, 200);
    expect(out.problems).toHaveLength(200);
    expect(out.nulled).toBe(1000);
    expect(out.problems[3]).toEqual(['client', 'lodgments', 3, 'period']);
    expect((out.data as Record<string, any>).client.lodgments[999]).toEqual({ id: 'L', period: null });
  });

  it('makes the nearest position that may be null null when one that may not is, as execution does, and reports the first', () => {
    const lodgmentsShape = answerShapeOf('{ client(clientId: "C") { name lodgments { id period } } }', SCHEMA);
    const wrongIds = admitData({ client: { name: 'n', lodgments: Array.from({ length: 100_000 }, () => ({ id: {} })) } }, lodgmentsShape, null, 200);
    expect(wrongIds.data).toEqual({ client: { name: 'n', lodgments: null } }); // Lodgment.id is ID!, [Lodgment!] holds no null, lodgments may be null
    expect(wrongIds.problems).toEqual([['client', 'lodgments', 0, 'id']]);
    const nullName = admitData({ client: { name: null, lodgments: [] } }, lodgmentsShape, null, 200);
    expect(nullName.data).toEqual({ client: null });
    expect(nullName.problems).toEqual([['client', 'name']]);
    const nullItem = admitData({ client: { name: 'n', lodgments: [{ id: 'L' }, null] } }, lodgmentsShape, null, 200);
    expect(nullItem.data).toEqual({ client: { name: 'n', lodgments: null } });
    expect(nullItem.problems).toEqual([['client', 'lodgments', 1]]);
  });

  it.each([['a string', 'x'.repeat(1000)], ['a list', [0, 0, 0]], ['a number', 5], ['true', true]])('a `data` that is %s fails the whole answer', (_what, data) => {
    expect(admit(data, shape)).toEqual({ data: null, failed: true, problems: [], nulled: 0, changed: true });
  });

  it('an entity fetch fails unless `_entities` is a list of one item per representation sent', () => {
    const entityShape = answerShapeOf(ENTITY_FETCH, SCHEMA);
    for (const data of [{}, { _entities: 'x' }, { _entities: [] }, { _entities: [null, null] }, { _entities: { 0: {} } }]) expect(admit(data, entityShape, 1)).toMatchObject({ data: null, failed: true });
    expect(admit({ _entities: ['x'] }, entityShape, 1)).toMatchObject({ data: { _entities: [null] }, failed: false, problems: [['_entities', 0]] });
    expect(admit({ _entities: [{ lodgments: [{ id: 'L', period: 'P' }] }] }, entityShape, 1)).toMatchObject({ failed: false, changed: false });
  });
});
