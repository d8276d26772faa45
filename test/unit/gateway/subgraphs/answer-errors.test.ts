import { admitErrors, MAX_ANSWER_CHARS, MAX_DETAIL_DEPTH, MAX_ERRORS, pathWithin, subgraphCodes, UNAVAILABLE_MESSAGE } from '../../../../gateway/subgraphs/answer-errors.js';
import { answerShapeOf } from '../../../../gateway/subgraphs/answer-shape.js';
import { ERROR_CODES } from '../../../../core/errors.js';

const rootShape = answerShapeOf('{ client(clientId: "C-1") { id name lodgments { id period } roles } }');
const entityShape = answerShapeOf('query($representations:[_Any!]!){_entities(representations:$representations){...on Client{lodgments{id}}}}');
const clients = subgraphCodes('clients');

describe('subgraphCodes', () => {
  it('gives every subgraph the field-level and domain codes, and the store codes only to the subgraph that owns the store', () => {
    expect(clients.has('RESTRICTED_DATA')).toBe(true);
    expect(clients.has('NOT_FOUND')).toBe(true);
    expect(clients.has('AUDIT_UNAVAILABLE')).toBe(false);
    expect(clients.has('REGISTRY_UNAVAILABLE')).toBe(false);
    expect(subgraphCodes('audit').has('AUDIT_UNAVAILABLE')).toBe(true);
    expect(subgraphCodes('audit').has('OPERATION_LIMIT_EXCEEDED')).toBe(true);
    expect(clients.has('OPERATION_LIMIT_EXCEEDED')).toBe(false);
    expect(subgraphCodes('registry').has('ILLEGAL_TRANSITION')).toBe(true);
    expect(subgraphCodes('registry').has('AUDIT_UNAVAILABLE')).toBe(false);
  });

  it('never the codes of the gateway’s own stages, whatever the subgraph is called', () => {
    const stages = ['UNAUTHENTICATED', 'TOKEN_EXPIRED', 'PRODUCT_REVOKED', 'RATE_LIMITED', 'OPERATION_LIMIT_EXCEEDED', 'METHOD_NOT_ALLOWED', 'AUTH_PROVIDER_UNAVAILABLE', 'INTERNAL_SERVER_ERROR'];
    for (const name of ['clients', 'registry', 'audit', 'constructor', '__proto__']) for (const code of stages.filter((c) => !(name === 'audit' && c === 'OPERATION_LIMIT_EXCEEDED'))) expect(subgraphCodes(name).has(code)).toBe(false);
    for (const name of ['registry', 'audit']) for (const code of subgraphCodes(name)) expect(Object.hasOwn(ERROR_CODES, code)).toBe(true);
  });
});

describe('pathWithin', () => {
  it('keeps a path that follows the fetch’s selections, list indices included', () => {
    expect(pathWithin(['client', 'lodgments', 3, 'period'], rootShape, null)).toEqual(['client', 'lodgments', 3, 'period']);
    expect(pathWithin(['client', 'roles', 0], rootShape, null)).toEqual(['client', 'roles', 0]);
  });

  it('cuts a path back to where it still follows them', () => {
    expect(pathWithin(['client', 'tfnMasked'], rootShape, null)).toEqual(['client']);
    expect(pathWithin(['client', 'name', 'x'], rootShape, null)).toEqual(['client', 'name']);
    expect(pathWithin(['serviceStatus'], rootShape, null)).toBeNull();
    expect(pathWithin([0, 'client'], rootShape, null)).toBeNull();
  });

  it('refuses what is no path', () => {
    for (const p of ['client', 7, null, {}, [], [['client']], ['client', -1], ['client', 1.5], ['client', Number.MAX_SAFE_INTEGER + 1], ['x'.repeat(257)], Array(65).fill('client')]) expect(pathWithin(p, rootShape, null)).toBeNull();
  });

  it("names an entity among those sent, and only the fields asked of it", () => {
    expect(pathWithin(['_entities', 1, 'lodgments', 0, 'id'], entityShape, 2)).toEqual(['_entities', 1, 'lodgments', 0, 'id']);
    expect(pathWithin(['_entities', 0, 'name'], entityShape, 2)).toBeNull(); // not the entity itself: another subgraph served it
    expect(pathWithin(['_entities', 0], entityShape, 2)).toBeNull();
    expect(pathWithin(['_entities', 2, 'lodgments'], entityShape, 2)).toBeNull();
    expect(pathWithin(['_entities'], entityShape, 2)).toBeNull();
  });
});

describe('admitErrors', () => {
  const admit = (errors: unknown[], shape = rootShape) => admitErrors(errors, clients, shape, null);

  it('passes a subgraph code with its message, path and detail keys, and nothing else', () => {
    const { errors, notes } = admit([{ message: 'gone', path: ['client'], locations: [{ line: 1, column: 2 }], extensions: { code: 'NOT_FOUND', clientId: 'C-1', host: 'db01', http: { status: 302 } } }]);
    expect(errors).toEqual([{ message: 'gone', path: ['client'], extensions: { code: 'NOT_FOUND', clientId: 'C-1' } }]);
    expect(notes).toMatchObject({ recodedCount: 0, keys: ['host', 'http'], values: 0, paths: 0 });
  });

  it('makes any other code, or none, SUBGRAPH_UNAVAILABLE with our message and no details, keeping its path', () => {
    const { errors, notes } = admit([{ message: 'secret', path: ['client'], extensions: { code: 'PRODUCT_REVOKED', productId: 'P' } }, { message: 'x' }, 'boom', { message: 'm', extensions: { code: 42 } }]);
    expect(errors).toEqual([
      { message: UNAVAILABLE_MESSAGE, path: ['client'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } },
      { message: UNAVAILABLE_MESSAGE, extensions: { code: 'SUBGRAPH_UNAVAILABLE' } },
      { message: UNAVAILABLE_MESSAGE, extensions: { code: 'SUBGRAPH_UNAVAILABLE' } },
      { message: UNAVAILABLE_MESSAGE, extensions: { code: 'SUBGRAPH_UNAVAILABLE' } },
    ]);
    expect(notes.recodedCount).toBe(4);
    expect(notes.recoded[0]).toEqual({ code: 'PRODUCT_REVOKED', message: 'secret' });
  });

  it(`leaves out a detail value of more than ${MAX_DETAIL_DEPTH} nested lists or objects, one that is not JSON, and keeps one just within`, () => {
    const nest = (n: number): unknown => (n === 0 ? 'x' : [nest(n - 1)]);
    const { errors, notes } = admit([{ message: 'm', extensions: { code: 'BAD_USER_INPUT', problems: nest(MAX_DETAIL_DEPTH), reason: nest(MAX_DETAIL_DEPTH + 1), max: Infinity, limit: undefined } }]);
    expect(errors[0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', problems: nest(MAX_DETAIL_DEPTH) });
    expect(notes.values).toBe(3);
  });

  it(`keeps at most ${MAX_ERRORS} errors, and past ${MAX_ANSWER_CHARS} characters of the subgraph's text gives our message and no details`, () => {
    const long = 'y'.repeat(999);
    const { errors, notes } = admit(Array.from({ length: 500 }, () => ({ message: long, path: ['client'], extensions: { code: 'FORBIDDEN', reason: long } })));
    expect(errors).toHaveLength(MAX_ERRORS);
    expect(notes.dropped).toBe(300);
    const text = errors.reduce((n, e) => n + (e.message === UNAVAILABLE_MESSAGE ? 0 : e.message.length) + String(e.extensions.reason ?? '').length, 0);
    expect(text).toBeLessThanOrEqual(MAX_ANSWER_CHARS);
    expect(errors.at(-1)).toEqual({ message: UNAVAILABLE_MESSAGE, path: ['client'], extensions: { code: 'FORBIDDEN' } });
    expect(errors[0]).toEqual({ message: long, path: ['client'], extensions: { code: 'FORBIDDEN', reason: long } });
  });
});
