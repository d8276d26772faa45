/**
 * The registry subgraph (port 4004): the ATO's register of developers, products and client
 * authorisations, and its lifecycle, over the store. Resolvers are thin: load the record, check
 * the caller (access.ts), run the pure command from registry/, and apply the change with the
 * revision the caller expected (apply-change.ts). Every change lands in the append-only history.
 * Incidents and alerts (schema/registry-incidents.graphql) are resolved by subgraphs/registry-incidents,
 * merged in here.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { newDeveloperId, newProductId } from '../../registry/ids.js';
import type { Store } from '../../store/port.js';
import { incidentResolvers } from '../registry-incidents/index.js';
import { subgraphTypeDefs } from '../shared/sdl.js';
import type { SubgraphContext, SubgraphDefinition } from '../shared/server.js';
import { authorisationMutations } from './authorisation-mutations.js';
import { developerMutations } from './developer-mutations.js';
import { fieldResolvers } from './fields.js';
import { guardMutations, mutationInputChecksFor } from './input-guard.js';
import { productMutations } from './product-mutations.js';
import { queryResolvers } from './queries.js';
import { translateStoreError } from './apply-change.js';
import { createLapseSettler, type LapseSettler } from './lapses.js';

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

/**
 * Every register read and change first records what the clock has changed (registry/lapses.ts),
 * so lists, histories and transitions see the register as it stands at this instant.
 */
function settlingFirst<R extends Record<string, (...args: never[]) => unknown>>(resolvers: R, lapses: LapseSettler): R {
  const out: Record<string, unknown> = {};
  for (const [name, resolve] of Object.entries(resolvers)) {
    out[name] = async (...args: Parameters<typeof resolve>) => {
      try {
        await lapses.settleAll();
      } catch (err) {
        throw translateStoreError(err);
      }
      return resolve(...args);
    };
  }
  return out as R;
}

export function registrySubgraph(deps: RegistrySubgraphDeps): SubgraphDefinition {
  const store = deps.store;
  const now = deps.now ?? Date.now;
  const typeDefs = subgraphTypeDefs('registry');
  const lapses = createLapseSettler({ store, now });
  const resolvers = mergeResolvers(
    {
      Query: settlingFirst(queryResolvers(store, now), lapses),
      Mutation: settlingFirst(
        {
          ...developerMutations({ store, now, newDeveloperId: deps.newDeveloperId ?? newDeveloperId }),
          ...productMutations({ store, now, newProductId: deps.newProductId ?? newProductId, rateTier: deps.rateTier ?? 'standard', lapses }),
          ...authorisationMutations({ store, now, lapses }),
        },
        lapses,
      ),
      ...fieldResolvers(store, now),
    } as GraphQLResolverMap<SubgraphContext>,
    incidentResolvers({ store, now, ...(deps.newIncidentId ? { newIncidentId: deps.newIncidentId } : {}) }),
  );
  // Every mutation's text and date arguments are checked before its resolver reads or writes anything.
  resolvers['Mutation'] = guardMutations(resolvers['Mutation'] as Record<string, unknown>, mutationInputChecksFor(typeDefs)) as GraphQLResolverMap<SubgraphContext>[string];
  return { name: 'registry', typeDefs, resolvers };
}
