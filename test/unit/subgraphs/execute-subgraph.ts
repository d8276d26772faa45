/** Test helper: runs operations against one subgraph definition in-process, as a given identity. */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { AssertionClaims } from '../../../core/assertion.js';
import type { SubgraphContext, SubgraphDefinition } from '../../../subgraphs/shared/server.js';

export function identity(tier: AssertionClaims['tier'], overrides: Partial<AssertionClaims> = {}): AssertionClaims {
  return { sub: 'user-1', org: '12345679016', softwareId: 'PRD-CERTIFIED', softwareVersion: '2.1.0', developerId: 'DEV-GOOD', tier, roles: [], mfa: false, requestId: null, ...overrides };
}

export interface Result {
  data: Record<string, any> | null | undefined;
  errors: Array<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, any> }> | undefined;
}

export interface SubgraphRunner {
  run(query: string, variables?: Record<string, unknown>, who?: AssertionClaims): Promise<Result>;
  stop(): Promise<void>;
}

export async function startSubgraph(def: SubgraphDefinition): Promise<SubgraphRunner> {
  const server = new ApolloServer<SubgraphContext>({ schema: buildSubgraphSchema({ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
  await server.start();
  return {
    async run(query, variables = {}, who = identity('STANDARD')) {
      const response = await server.executeOperation({ query, variables }, { contextValue: { identity: who, requestId: null } });
      if (response.body.kind !== 'single') throw new Error('expected a single result');
      return response.body.singleResult as Result;
    },
    stop: () => server.stop(),
  };
}

/** `_entities` query for Client references with the given selection. */
export const ENTITIES = (selection: string) => `query($r: [_Any!]!) { _entities(representations: $r) { ... on Client { ${selection} } } }`;
export const refs = (...ids: string[]) => ({ r: ids.map((id) => ({ __typename: 'Client', id })) });
