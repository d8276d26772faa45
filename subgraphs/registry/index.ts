/**
 * The registry subgraph (port 4004): the ATO's register of developers, products and client
 * authorisations, and its lifecycle, over the store. Resolvers are thin: load the record, check
 * the caller (access.ts), run the pure command from registry/, and apply the change with the
 * revision the caller expected (apply-change.ts). Every change lands in the append-only history.
 * Incidents and alerts (schema/registry-incidents.graphql) are resolved by subgraphs/registry-incidents,
 * merged in here.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { CodedError } from '../../core/errors.js';
import { newDeveloperId, newProductId } from '../../registry/ids.js';
import { inputProblem } from '../../registry/input-text.js';
import type { Store } from '../../store/port.js';
import { incidentResolvers } from '../registry-incidents/index.js';
import { subgraphTypeDefs } from '../shared/sdl.js';
import type { SubgraphContext, SubgraphDefinition } from '../shared/server.js';
import { authorisationMutations } from './authorisation-mutations.js';
import { developerMutations } from './developer-mutations.js';
import { fieldResolvers } from './fields.js';
import { productMutations } from './product-mutations.js';
import { queryResolvers } from './queries.js';

export interface RegistrySubgraphDeps {
  store: Store;
  /** Clock for every decision and computed field. Default: `Date.now`. */
  now?: () => number;
  /** Id of a new developer. Default: `DEV-` + 10 random base32 characters. */
  newDeveloperId?: () => string;
  /** Id of a new product. Default: `PRD-` + 10 random base32 characters. */
  newProductId?: () => string;
  /** Rate tier (a name in configuration) given to newly registered products. Default: "standard". */
  rateTier?: string;
  /** Id of a new incident (schema/registry-incidents.graphql). Default: the incidents module's. */
  newIncidentId?: () => string;
}

/** Merges resolver maps type by type (the incidents part extends Query and Mutation too); a field defined twice is a programming error. */
function mergeResolvers(...maps: GraphQLResolverMap<SubgraphContext>[]): GraphQLResolverMap<SubgraphContext> {
  const merged: Record<string, Record<string, unknown>> = {};
  for (const map of maps) {
    for (const [type, fields] of Object.entries(map)) {
      const target = (merged[type] ??= {});
      for (const [field, resolver] of Object.entries(fields as Record<string, unknown>)) {
        if (field in target) throw new Error(`registry subgraph: ${type}.${field} is resolved twice`);
        target[field] = resolver;
      }
    }
  }
  return merged as GraphQLResolverMap<SubgraphContext>;
}

type Resolver = (root: unknown, args: Record<string, unknown>, context: SubgraphContext, info: unknown) => unknown;

/**
 * Every mutation's arguments pass the register's text and date rules (registry/input-text.ts)
 * before its resolver runs, so a refused input writes nothing; one check for every mutation
 * rather than one per field that a new mutation could forget.
 */
function withCheckedInput(map: GraphQLResolverMap<SubgraphContext>): GraphQLResolverMap<SubgraphContext> {
  const mutations = map['Mutation'] as Record<string, Resolver> | undefined;
  if (!mutations) return map;
  const checked: Record<string, Resolver> = {};
  for (const [name, resolve] of Object.entries(mutations)) {
    checked[name] = (root, args, context, info) => {
      const problem = inputProblem(args);
      if (problem) throw CodedError.from(problem);
      return resolve(root, args, context, info);
    };
  }
  return { ...map, Mutation: checked } as GraphQLResolverMap<SubgraphContext>;
}

export function registrySubgraph(deps: RegistrySubgraphDeps): SubgraphDefinition {
  const store = deps.store;
  const now = deps.now ?? Date.now;
  return {
    name: 'registry',
    typeDefs: subgraphTypeDefs('registry'),
    resolvers: withCheckedInput(mergeResolvers(
      {
        Query: queryResolvers(store),
        Mutation: {
          ...developerMutations({ store, now, newDeveloperId: deps.newDeveloperId ?? newDeveloperId }),
          ...productMutations({ store, now, newProductId: deps.newProductId ?? newProductId, rateTier: deps.rateTier ?? 'standard' }),
          ...authorisationMutations({ store, now }),
        },
        ...fieldResolvers(store, now),
      } as GraphQLResolverMap<SubgraphContext>,
      incidentResolvers({ store, now, ...(deps.newIncidentId ? { newIncidentId: deps.newIncidentId } : {}) }),
    )),
  };
}
