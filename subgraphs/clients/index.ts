/**
 * The clients subgraph: taxpayers from the synthetic data. Unknown client ids resolve to null
 * without an error (a lookup, not a failure; the gateway's @clientAccess already refuses ids the
 * org may not act for); a malformed id is BAD_USER_INPUT; a restricted client is null with
 * RESTRICTED_DATA unless the assertion's tier is ENHANCED. The full TFN never leaves: only
 * `tfnMasked`.
 */
import { CodedError } from '../../core/errors.js';
import { isClientId, maskTfn } from '../../core/ids.js';
import { subgraphTypeDefs } from '../shared/sdl.js';
import type { SubgraphContext, SubgraphDefinition } from '../shared/server.js';
import { syntheticData } from '../shared/synthetic.js';
import { clientReferenceResolver, restrictedClientDenial } from '../shared/synthetic-row-access.js';
import type { SyntheticClient, SyntheticData } from '../shared/synthetic-types.js';
import { productVersion } from '../shared/synthetic-version.js';

export interface ClientsSubgraphOptions {
  /** Data set to serve. Default: the process-wide `syntheticData()`, built on first request. */
  data?: SyntheticData;
  /** Clock for `serviceStatus.time`. Default: `Date.now`. */
  now?: () => number;
}

export function clientsSubgraph(options: ClientsSubgraphOptions = {}): SubgraphDefinition {
  const data = () => options.data ?? syntheticData();
  const now = options.now ?? Date.now;
  return {
    name: 'clients',
    typeDefs: subgraphTypeDefs('clients'),
    resolvers: {
      Query: {
        client(_root: unknown, args: { clientId: string }, context: SubgraphContext): SyntheticClient | null {
          if (!isClientId(args.clientId)) throw new CodedError('BAD_USER_INPUT', 'clientId must be C- followed by six digits.', { details: { argument: 'clientId' } });
          const client = data().clientById.get(args.clientId);
          if (!client) return null;
          const refused = restrictedClientDenial(client, context.identity);
          if (refused) throw CodedError.from(refused);
          return client;
        },
        serviceStatus: () => ({ name: 'clients', version: productVersion(), time: new Date(now()).toISOString() }),
      },
      Client: {
        __resolveReference: clientReferenceResolver(data),
        tfnMasked: (client: SyntheticClient) => maskTfn(client.tfn),
      },
    },
  };
}
