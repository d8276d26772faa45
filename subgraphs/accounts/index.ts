/**
 * The accounts subgraph: the integrated client account (extends `Client` with `account`):
 * balance, transactions and payment plans. Restricted clients resolve to null unless the
 * assertion's tier is ENHANCED.
 */
import { subgraphTypeDefs } from '../shared/sdl.js';
import type { SubgraphDefinition } from '../shared/server.js';
import { syntheticData } from '../shared/synthetic.js';
import { pageSize } from '../shared/synthetic-paging.js';
import { clientReferenceResolver } from '../shared/synthetic-row-access.js';
import type { Account, AccountTransaction, SyntheticClient, SyntheticData } from '../shared/synthetic-types.js';

export interface AccountsSubgraphOptions {
  /** Data set to serve. Default: the process-wide `syntheticData()`, built on first request. */
  data?: SyntheticData;
}

export function accountsSubgraph(options: AccountsSubgraphOptions = {}): SubgraphDefinition {
  const data = () => options.data ?? syntheticData();
  return {
    name: 'accounts',
    typeDefs: subgraphTypeDefs('accounts'),
    resolvers: {
      Client: {
        __resolveReference: clientReferenceResolver(data),
        account: (client: SyntheticClient): Account | null => data().accountByClient.get(client.id) ?? null,
      },
      Account: {
        transactions: (account: Account, args: { first?: number | null }): readonly AccountTransaction[] => account.transactions.slice(0, pageSize(args.first)),
      },
    },
  };
}
