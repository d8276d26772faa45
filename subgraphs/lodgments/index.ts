/**
 * The lodgments subgraph: income tax returns and activity statements per client (extends
 * `Client` with `lodgments`) and the `lodgeActivityStatement` mutation, which validates its
 * input (BAD_USER_INPUT listing every problem) and records the statement in memory. Restricted
 * clients' lodgments are withheld unless the assertion's tier is ENHANCED: entity resolution
 * gives null, and lodging for one is RESTRICTED_DATA.
 */
import { CodedError } from '../../core/errors.js';
import { subgraphTypeDefs } from '../shared/sdl.js';
import type { SubgraphContext, SubgraphDefinition } from '../shared/server.js';
import { syntheticData } from '../shared/synthetic.js';
import { pageSize } from '../shared/synthetic-paging.js';
import { clientReferenceResolver, restrictedClientDenial } from '../shared/synthetic-row-access.js';
import type { FormType, Lodgment, SyntheticClient, SyntheticData } from '../shared/synthetic-types.js';
import { createLodgmentBook } from './lodgment-book.js';
import { activityStatementDenial, type LodgeActivityStatementInput } from './validate-activity-statement.js';

export interface LodgmentsSubgraphOptions {
  /** Data set to serve. Default: the process-wide `syntheticData()`, built on first request. */
  data?: SyntheticData;
  /** Clock deciding "today" for lodgment dates and period checks. Default: `Date.now`. */
  now?: () => number;
}

export function lodgmentsSubgraph(options: LodgmentsSubgraphOptions = {}): SubgraphDefinition {
  const data = () => options.data ?? syntheticData();
  const now = options.now ?? Date.now;
  const book = createLodgmentBook(data);
  return {
    name: 'lodgments',
    typeDefs: subgraphTypeDefs('lodgments'),
    resolvers: {
      Client: {
        __resolveReference: clientReferenceResolver(data),
        lodgments(client: SyntheticClient, args: { first?: number | null; formType?: FormType | null }): Lodgment[] {
          const first = pageSize(args.first);
          const all = book.list(client.id);
          return (args.formType ? all.filter((l) => l.formType === args.formType) : all).slice(0, first);
        },
      },
      Mutation: {
        lodgeActivityStatement(_root: unknown, args: LodgeActivityStatementInput, context: SubgraphContext): Lodgment {
          const client = data().clientById.get(args.clientId);
          const today = new Date(now()).toISOString().slice(0, 10);
          const invalid = activityStatementDenial(args, { clientExists: client !== undefined, today });
          if (invalid) throw CodedError.from(invalid);
          const refused = restrictedClientDenial(client!, context.identity);
          if (refused) throw CodedError.from(refused);
          return book.lodgeActivityStatement(client!.id, args.period, args.amounts, today);
        },
      },
    },
  };
}
