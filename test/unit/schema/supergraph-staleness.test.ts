import { readFileSync } from 'node:fs';
import { Kind, parse, type ConstDirectiveNode, type DocumentNode, type ObjectTypeDefinitionNode } from 'graphql';
import { composableSubgraphs, composeSupergraph, CompositionError, SUPERGRAPH_PATH } from '../../../scripts/compose-lib.js';
import { subgraphSdl } from '../../../subgraphs/shared/sdl.js';

function objectType(doc: DocumentNode, name: string): ObjectTypeDefinitionNode {
  const node = doc.definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === name);
  if (!node) throw new Error(`no type ${name}`);
  return node;
}

/** Enforcement directives on a node as `name(arg: value)` strings (join__ bookkeeping left out). */
function enforcement(directives: readonly ConstDirectiveNode[] | undefined): string[] {
  return (directives ?? [])
    .filter((d) => !d.name.value.startsWith('join__'))
    .map((d) => `${d.name.value}${d.arguments?.length ? `(${d.arguments.map((a) => `${a.name.value}: ${a.value.kind === Kind.STRING ? a.value.value : '?'}`).join(', ')})` : ''}`);
}

function fieldDirectives(doc: DocumentNode, type: string, field: string): string[] {
  const f = objectType(doc, type).fields?.find((x) => x.name.value === field);
  if (!f) throw new Error(`no field ${type}.${field}`);
  return enforcement(f.directives);
}

describe('supergraph', () => {
  const composed = composeSupergraph();
  const doc = parse(composed);

  it('composes from the subgraph SDLs without errors', () => {
    expect(composableSubgraphs()).toEqual(expect.arrayContaining(['clients', 'lodgments', 'accounts']));
    expect(composed).toContain('@join__graph(name: "clients", url: "http://127.0.0.1:4001/graphql")');
  });

  it('committed schema/supergraph.graphql is current (run `npm run compose` after changing an SDL)', () => {
    expect(readFileSync(SUPERGRAPH_PATH, 'utf8')).toBe(composed);
  });

  it('would notice a changed SDL', () => {
    const changed = composeSupergraph(['clients', 'lodgments', 'accounts'], (name) => (name === 'clients' ? subgraphSdl(name).replace('  restricted: Boolean!', '  restricted: Boolean!\n  nickname: String') : subgraphSdl(name)));
    expect(changed).not.toBe(composeSupergraph(['clients', 'lodgments', 'accounts']));
  });

  it('lists composition errors instead of writing a broken supergraph', () => {
    const broken = () => composeSupergraph(['clients', 'lodgments'], (name) => (name === 'lodgments' ? subgraphSdl(name).replace('type Client @key(fields: "id") {\n  id: ID!', 'type Client @key(fields: "id") {\n  id: Int!') : subgraphSdl(name)));
    expect(broken).toThrow(CompositionError);
  });

  it('carries the enforcement directives on the data types and fields (DESIGN.md §6, §10)', () => {
    expect(enforcement(objectType(doc, 'Client').directives)).toEqual(['requiresService(service: clients.read)']);
    expect(fieldDirectives(doc, 'Query', 'client')).toEqual(['requiresService(service: clients.read)', 'clientAccess(argument: clientId)']);
    expect(fieldDirectives(doc, 'Query', 'serviceStatus')).toEqual(['public']);
    expect(fieldDirectives(doc, 'Client', 'tfnMasked')).toEqual(['onshoreOnly']);
    expect(fieldDirectives(doc, 'Client', 'specialInterest')).toEqual(['restricted']);
    expect(fieldDirectives(doc, 'Client', 'lodgments')).toEqual(['requiresService(service: lodgments.read)']);
    expect(fieldDirectives(doc, 'Client', 'account')).toEqual(['requiresService(service: accounts.read)', 'onshoreOnly']);
    expect(fieldDirectives(doc, 'Mutation', 'lodgeActivityStatement')).toEqual(['requiresService(service: lodgments.write)', 'clientAccess(argument: clientId)']);
    expect(enforcement(objectType(doc, 'Lodgment').directives)).toEqual(['requiresService(service: lodgments.read)']);
    expect(enforcement(objectType(doc, 'Account').directives)).toEqual(['requiresService(service: accounts.read)']);
  });

  it('covers every field of the data subgraphs\' object types with a directive on the field or its type', () => {
    const uncovered: string[] = [];
    const dataGraphs = new Set(['CLIENTS', 'LODGMENTS', 'ACCOUNTS']);
    const ofDataGraph = (def: ObjectTypeDefinitionNode) =>
      def.directives?.some((d) => d.name.value === 'join__type' && d.arguments?.some((a) => a.name.value === 'graph' && a.value.kind === Kind.ENUM && dataGraphs.has(a.value.value)));
    for (const def of doc.definitions) {
      if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || !ofDataGraph(def)) continue;
      const typeCovered = enforcement(def.directives).length > 0;
      for (const f of def.fields ?? []) if (!typeCovered && enforcement(f.directives).length === 0) uncovered.push(`${def.name.value}.${f.name.value}`);
    }
    expect(uncovered).toEqual([]);
  });

  it('keeps fields guarded differently from their type nullable', () => {
    for (const [type, field] of [['Client', 'tfnMasked'], ['Client', 'address'], ['Client', 'specialInterest'], ['Client', 'lodgments'], ['Client', 'account'], ['Query', 'client'], ['Mutation', 'lodgeActivityStatement']] as const) {
      const f = objectType(doc, type).fields!.find((x) => x.name.value === field)!;
      expect(`${type}.${field}: ${f.type.kind}`).not.toBe(`${type}.${field}: ${Kind.NON_NULL_TYPE}`);
    }
  });
});
