import { accountsSubgraph } from '../../../../subgraphs/accounts/index.js';
import { syntheticData } from '../../../../subgraphs/shared/synthetic.js';
import { ENTITIES, identity, refs, startSubgraph, type SubgraphRunner } from '../execute-subgraph.js';

const ACCOUNT = (args = '') => ENTITIES(`id account { balance asAt transactions${args} { id date type amount balanceAfter } paymentPlans { id status remainingAmount } }`);

describe('accounts subgraph', () => {
  let subgraph: SubgraphRunner;
  beforeAll(async () => {
    subgraph = await startSubgraph(accountsSubgraph());
  });
  afterAll(() => subgraph.stop());

  it('serves the account balance and the most recent transactions', async () => {
    const { data, errors } = await subgraph.run(ACCOUNT('(first: 3)'), refs('C-000100'));
    const expected = syntheticData().accountByClient.get('C-000100')!;
    expect(errors).toBeUndefined();
    const account = data!._entities[0].account;
    expect(account.balance).toBe(expected.balance);
    expect(account.transactions.map((t: { id: string }) => t.id)).toEqual(expected.transactions.slice(0, 3).map((t) => t.id));
  });

  it('defaults to ten transactions', async () => {
    const client = [...syntheticData().accountByClient.values()].find((a) => a.transactions.length > 10 && !syntheticData().clientById.get(a.clientId)!.restricted)!;
    const { data } = await subgraph.run(ACCOUNT(), refs(client.clientId));
    expect(data!._entities[0].account.transactions).toHaveLength(10);
  });

  it('refuses first above 100 with BAD_USER_INPUT', async () => {
    const { errors } = await subgraph.run(ACCOUNT('(first: 1000)'), refs('C-000001'));
    expect(errors?.[0]!.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('withholds a restricted client\'s account unless ENHANCED', async () => {
    const standard = await subgraph.run(ACCOUNT(), refs('C-000003'), identity('STANDARD'));
    expect(standard.data!._entities).toEqual([null]);
    const enhanced = await subgraph.run(ACCOUNT(), refs('C-000003'), identity('ENHANCED'));
    expect(enhanced.data!._entities[0].account.balance).toBe(syntheticData().accountByClient.get('C-000003')!.balance);
  });

  it('resolves an unknown client to null', async () => {
    const { data } = await subgraph.run(ACCOUNT(), refs('C-999999'));
    expect(data!._entities).toEqual([null]);
  });
});
