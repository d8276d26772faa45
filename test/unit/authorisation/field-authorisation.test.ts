import { buildSchema, parse, print, Kind, type OperationDefinitionNode } from 'graphql';
import { DIRECTIVES } from '../../../authorisation/directives/index.js';
import { buildRequirementMap, uncoveredFields } from '../../../authorisation/requirement-map.js';
import { createDecisionCache } from '../../../authorisation/decision-cache.js';
import { decideFields, filterDocument, patchResponse } from '../../../authorisation/field-decision.js';
import { analyseOperation, WalkTooLargeError } from '../../../authorisation/operation-analysis.js';
import { productCaller } from '../../helpers/caller.js';
/** The decision's instant (the test callers' answers do not depend on it). */
const NOW = Date.parse('2025-03-01T00:00:00.000Z');

const SDL = `
${DIRECTIVES.map((d) => d.sdl).join('\n')}
type Query {
  client(clientId: ID!): Client @requiresService(service: "clients.read") @clientAccess(argument: "clientId")
  status: String @public
}
type Client @requiresService(service: "clients.read") {
  id: ID!
  name: String
  tfnMasked: String @onshoreOnly
  secret: String! @restricted
  lodgments: [Lodgment!] @requiresService(service: "lodgments.read")
}
type Lodgment @requiresService(service: "lodgments.read") {
  period: String
  amount: Float @restricted
}
`;
const schema = buildSchema(SDL);
const map = buildRequirementMap(SDL);

function analyse(query: string) {
  const document = parse(query);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return { document, operation, analysis: analyseOperation(schema, document, operation, map) };
}

describe('requirement map', () => {
  it('combines type-level and field-level requirements', () => {
    const names = map.byCoordinate.get('Client.lodgments')!.map((r) => r.directive.name);
    expect(names).toEqual(['requiresService', 'requiresService']);
    expect(map.byCoordinate.get('Client.name')!.map((r) => r.directive.name)).toEqual(['requiresService']);
  });
  it('finds no uncovered field in a fully covered schema', () => {
    expect(uncoveredFields(schema, map)).toEqual([]);
  });
  it('reports a reachable field without any directive', () => {
    const sdl = SDL.replace('status: String @public', 'status: String\n  other: Other @public').concat('\ntype Other { open: String }');
    expect(uncoveredFields(buildSchema(sdl), buildRequirementMap(sdl))).toEqual(['Other.open', 'Query.status']);
  });
});

describe('the walk of an operation', () => {
  /** Fragment Fi spreads F(i+1) twice, n levels deep: a few hundred bytes that select 2^n leaves once expanded. */
  const bomb = (n: number, leaf: string) =>
    `query Bomb { ...F0 } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${n} on Query { ${leaf} }`;

  it.each([['__typename'], ['status']])('stops at its visit budget on a fragment fan-out (leaf %s) instead of expanding it 2^22 times', (leaf) => {
    const document = parse(bomb(22, leaf));
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(() => analyseOperation(schema, document, operation, map)).toThrow(WalkTooLargeError);
    expect(() => createDecisionCache(10).describe('k', schema, document, operation, map)).toThrow(WalkTooLargeError);
  });

  it('refuses selections nested in more inline fragments than its guard, never leaves them unwalked', () => {
    const nested = (n: number) => parse(`query Q { ${'... { '.repeat(n)}client(clientId: "C-000001") { id }${' }'.repeat(n)} }`);
    const deep = nested(70);
    expect(() => analyseOperation(schema, deep, deep.definitions[0] as OperationDefinitionNode, map)).toThrow(expect.objectContaining({ limit: 'DEPTH' }));
    const fits = nested(60);
    expect(analyseOperation(schema, fits, fits.definitions[0] as OperationDefinitionNode, map).coordinates).toEqual(['Query.client', 'Client.id']);
  });

  it('walks a fan-out within the budget, every expansion of it', () => {
    const document = parse(bomb(10, 'status'));
    const analysis = analyseOperation(schema, document, document.definitions[0] as OperationDefinitionNode, map);
    expect(analysis.entries).toHaveLength(2 ** 10);
    expect(() => analyseOperation(schema, document, document.definitions[0] as OperationDefinitionNode, map, 2 ** 11)).toThrow(WalkTooLargeError);
  });
});

describe('field decisions', () => {
  const query = 'query Q($id: ID!) { client(clientId: $id) { id name tfnMasked lodgments { period } } status }';

  it('allows everything a fully entitled caller asks for', () => {
    const { analysis } = analyse(query);
    const decision = decideFields(analysis, productCaller({ authorised: ['C-000001'] }), { id: 'C-000001' }, NOW);
    expect(decision.refused).toEqual([]);
    expect(decision.clientIds).toEqual(['C-000001']);
  });

  it('refuses lodgments for a product without the service and keeps the rest', () => {
    const { analysis, document } = analyse(query);
    const decision = decideFields(analysis, productCaller({ services: ['clients.read'] }), { id: 'C-000001' }, NOW);
    expect(decision.refused.map((r) => [r.entry.coordinate, r.denial.code])).toEqual([['Client.lodgments', 'SERVICE_NOT_WHITELISTED']]);
    const filtered = filterDocument(document, 'Q', decision.refused);
    expect(print(filtered.document)).not.toContain('lodgments');
    expect(print(filtered.document)).toContain('tfnMasked');
    expect(filtered.queryHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses to filter a document that does not hold the refused fields (a walk of another parse of the same text), rather than leave them to run', () => {
    const { analysis } = analyse(query);
    const decision = decideFields(analysis, productCaller({ services: ['clients.read'] }), { id: 'C-000001' }, NOW);
    expect(decision.refused).toHaveLength(1);
    const { document: reparsed } = analyse(query);
    expect(() => filterDocument(reparsed, 'Q', decision.refused)).toThrow(/1 of 1 refused fields are not in the document/);
  });

  it('reads the client id from variables and refuses an unauthorised client at the root', () => {
    const { analysis } = analyse(query);
    const decision = decideFields(analysis, productCaller({ authorised: ['C-000001'] }), { id: 'C-000999' }, NOW);
    expect(decision.refused.map((r) => r.denial.code)).toEqual(['CLIENT_NOT_AUTHORISED']);
    expect(decision.nothingLeft).toBe(false); // `status` remains
  });

  it('reports nothing left when every root field is refused', () => {
    const { analysis } = analyse('{ client(clientId: "C-000002") { id } }');
    const decision = decideFields(analysis, productCaller({ authorised: [] }), {}, NOW);
    expect(decision.nothingLeft).toBe(true);
  });

  it('does not evaluate fields under a refused parent', () => {
    const { analysis } = analyse('{ client(clientId: "C-000001") { lodgments { period amount } } }');
    const decision = decideFields(analysis, productCaller({ services: ['clients.read'] }), {}, NOW);
    expect(decision.refused.map((r) => r.entry.coordinate)).toEqual(['Client.lodgments']);
  });

  it('follows fragments and aliases into response paths', () => {
    const { analysis } = analyse('query { c: client(clientId: "C-000001") { ...F } } fragment F on Client { tax: tfnMasked }');
    const decision = decideFields(analysis, productCaller({ onshore: false }), {}, NOW);
    expect(decision.refused.map((r) => r.entry.path)).toEqual([['c', 'tax']]);
  });

  it('puts null and a coded error at each list element path', () => {
    const { analysis, document } = analyse('{ client(clientId: "C-000001") { lodgments { period amount } } }');
    const decision = decideFields(analysis, productCaller({ services: ['clients.read', 'lodgments.read'] }), {}, NOW);
    expect(decision.refused.map((r) => r.denial.code)).toEqual(['RESTRICTED_DATA']);
    const filtered = filterDocument(document, null, decision.refused);
    const data = { client: { lodgments: [{ period: '2026-Q1' }, { period: '2026-Q2' }] } };
    const patch = patchResponse(data, decision.refused, filtered.hasPlaceholders);
    expect(data.client.lodgments).toEqual([
      { period: '2026-Q1', amount: null },
      { period: '2026-Q2', amount: null },
    ]);
    expect(patch.errors.map((e) => [e.path, e.extensions?.code])).toEqual([
      [['client', 'lodgments', 0, 'amount'], 'RESTRICTED_DATA'],
      [['client', 'lodgments', 1, 'amount'], 'RESTRICTED_DATA'],
    ]);
  });

  it('nulls the nearest nullable ancestor when a non-null field is refused', () => {
    const { analysis, document } = analyse('{ client(clientId: "C-000001") { id secret } }');
    const decision = decideFields(analysis, productCaller({ tier: 'STANDARD' }), {}, NOW);
    const filtered = filterDocument(document, null, decision.refused);
    const data: Record<string, unknown> = { client: { id: 'C-000001' } };
    const patch = patchResponse(data, decision.refused, filtered.hasPlaceholders);
    expect(data.client).toBeNull();
    expect(patch.errors[0]!.path).toEqual(['client', 'secret']);
  });

  it('keeps a selection set valid when every field in it is refused, and strips the placeholder', () => {
    const { analysis, document } = analyse('{ client(clientId: "C-000001") { tfnMasked } }');
    const decision = decideFields(analysis, productCaller({ onshore: false }), {}, NOW);
    const filtered = filterDocument(document, null, decision.refused);
    expect(filtered.hasPlaceholders).toBe(true);
    const data: Record<string, unknown> = { client: { __dspRemoved: 'Client' } };
    patchResponse(data, decision.refused, true);
    expect(data).toEqual({ client: { tfnMasked: null } });
  });
});

describe('decision cache', () => {
  it('serves the second identical request without a new walk or evaluation', () => {
    const cache = createDecisionCache(100);
    const { document, operation } = analyse('{ client(clientId: "C-000001") { id name } }');
    const caller = productCaller();
    for (let i = 0; i < 2; i++) {
      const analysis = cache.analyse('h1', schema, document, operation, map);
      cache.decide('h1', analysis, document, null, caller, 'grants-A', {}, 0);
    }
    expect(cache.stats()).toEqual({ analysisHits: 1, analysisMisses: 1, decisionHits: 1, decisionMisses: 1 });
  });

  it('does not share a decision between callers with different grants or client ids', () => {
    const cache = createDecisionCache(100);
    const { document, operation } = analyse('query ($id: ID!) { client(clientId: $id) { id lodgments { period } } }');
    const analysis = cache.analyse('h2', schema, document, operation, map);
    const full = cache.decide('h2', analysis, document, null, productCaller(), 'grants-full', { id: 'C-000001' }, 0);
    const limited = cache.decide('h2', analysis, document, null, productCaller({ services: ['clients.read'] }), 'grants-limited', { id: 'C-000001' }, 0);
    const otherClient = cache.decide('h2', analysis, document, null, productCaller(), 'grants-full', { id: 'C-000002' }, 0);
    expect(full.decision.refused).toHaveLength(0);
    expect(limited.decision.refused.map((r) => r.denial.code)).toEqual(['SERVICE_NOT_WHITELISTED']);
    expect(otherClient.decision.refused.map((r) => r.denial.code)).toEqual(['CLIENT_NOT_AUTHORISED']);
    expect(cache.stats().decisionMisses).toBe(3);
  });
});
