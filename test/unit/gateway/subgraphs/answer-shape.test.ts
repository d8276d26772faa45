import { answerShapeOf, createAnswerShapes, cutToShape, fitsShape } from '../../../../gateway/subgraphs/answer-shape.js';

const ENTITY_FETCH = 'query($representations:[_Any!]!){_entities(representations:$representations){...on Client{__typename lodgments(first:1){id period}}}}';

describe("a subgraph answer cut to its fetch's selections", () => {
  it('keeps what the fetch selected and drops the rest, at every depth and in every list item', () => {
    const shape = answerShapeOf(ENTITY_FETCH);
    const answer = { _entities: [{ __typename: 'Client', name: 'FORGED', lodgments: [{ id: 'L-1', period: 'P', status: 'X' }] }, null] };
    expect(fitsShape(answer, shape)).toBe(false);
    expect(cutToShape(answer, shape)).toEqual({ _entities: [{ __typename: 'Client', lodgments: [{ id: 'L-1', period: 'P' }] }, null] });
    const honest = { _entities: [{ __typename: 'Client', lodgments: [{ id: 'L-1', period: 'P' }] }] };
    expect(fitsShape(honest, shape)).toBe(true);
  });

  it('counts aliases, named fragments and every type condition, and keeps leaves as they are', () => {
    const shape = answerShapeOf('query { a: client(clientId: "C") { ...F ... on Agent { code } } meta } fragment F on Client { id details { x } }');
    const answer = { a: { id: 'C', code: 'K', details: { x: 1, y: 2 }, name: 'n' }, meta: { any: ['json'] }, client: {} };
    expect(cutToShape(answer, shape)).toEqual({ a: { id: 'C', code: 'K', details: { x: 1 } }, meta: { any: ['json'] } });
  });

  it('selects nothing through an unknown or cyclic fragment', () => {
    const shape = answerShapeOf('query { a { ...Missing ...Loop id } } fragment Loop on T { ...Loop b }');
    expect(cutToShape({ a: { id: 1, b: 2, c: 3 } }, shape)).toEqual({ a: { id: 1, b: 2 } });
  });

  it('does not take inherited keys for selected ones', () => {
    const shape = answerShapeOf('{ a }');
    const answer = Object.create({ a: 'inherited' }) as Record<string, unknown>;
    expect(cutToShape(answer, shape)).toEqual({});
    expect(fitsShape(JSON.parse('{"__proto__": {"a": 1}}'), shape)).toBe(false);
  });

  it('parses a fetch document once', () => {
    const shapes = createAnswerShapes();
    expect(shapes(ENTITY_FETCH)).toBe(shapes(ENTITY_FETCH));
  });
});
