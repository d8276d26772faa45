import { lodgmentsSubgraph } from '../../../../subgraphs/lodgments/index.js';
import { syntheticData } from '../../../../subgraphs/shared/synthetic.js';
import { ENTITIES, identity, refs, startSubgraph, type SubgraphRunner } from '../execute-subgraph.js';

const LODGE = `mutation($clientId: ID!, $period: String!, $amounts: ActivityStatementAmountsInput!) {
  lodgeActivityStatement(clientId: $clientId, period: $period, amounts: $amounts) { id clientId formType period status dueDate lodgedDate activityStatement { totalSales gstOnSales gstOnPurchases paygWithheld paygInstalment netAmount } }
}`;
const GOOD = { totalSales: 110_000, gstOnSales: 10_000, gstOnPurchases: 4_000.5, paygWithheld: 2_500 };
const LODGMENTS = (args = '') => ENTITIES(`id lodgments${args} { id formType period status dueDate lodgedDate incomeTax { result } activityStatement { netAmount } }`);

describe('lodgments subgraph', () => {
  let subgraph: SubgraphRunner;
  beforeAll(async () => {
    subgraph = await startSubgraph(lodgmentsSubgraph({ now: () => Date.parse('2026-11-22T10:00:00Z') }));
  });
  afterAll(() => subgraph.stop());

  it('lists a client\'s lodgments most recent first', async () => {
    const { data, errors } = await subgraph.run(LODGMENTS('(first: 100)'), refs('C-000100'));
    expect(errors).toBeUndefined();
    const served = data!._entities[0].lodgments;
    const expected = syntheticData().lodgmentsByClient.get('C-000100')!;
    expect(served.map((l: { id: string }) => l.id)).toEqual(expected.map((l) => l.id));
    const dues = served.map((l: { dueDate: string }) => l.dueDate);
    expect([...dues].sort().reverse()).toEqual(dues);
  });

  it('limits with first and filters by form type', async () => {
    const { data } = await subgraph.run(LODGMENTS('(first: 2, formType: ACTIVITY_STATEMENT)'), refs('C-000100'));
    const served = data!._entities[0].lodgments;
    expect(served).toHaveLength(2);
    expect(served.every((l: { formType: string }) => l.formType === 'ACTIVITY_STATEMENT')).toBe(true);
  });

  it.each([0, -1, 101])('refuses first: %p with BAD_USER_INPUT', async (first) => {
    const { errors } = await subgraph.run(LODGMENTS(`(first: ${first})`), refs('C-000001'));
    expect(errors?.[0]!.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('withholds a restricted client\'s lodgments unless ENHANCED', async () => {
    const standard = await subgraph.run(LODGMENTS(), refs('C-000003'), identity('STANDARD'));
    expect(standard.data!._entities).toEqual([null]);
    const enhanced = await subgraph.run(LODGMENTS(), refs('C-000003'), identity('ENHANCED'));
    expect(enhanced.data!._entities[0].lodgments.length).toBeGreaterThan(0);
  });

  describe('lodgeActivityStatement', () => {
    it('records a valid statement and serves it afterwards', async () => {
      const { data, errors } = await subgraph.run(LODGE, { clientId: 'C-000002', period: '2026-07', amounts: GOOD });
      expect(errors).toBeUndefined();
      expect(data!.lodgeActivityStatement).toMatchObject({
        clientId: 'C-000002',
        formType: 'ACTIVITY_STATEMENT',
        period: '2026-07',
        status: 'LODGED',
        dueDate: '2026-08-21',
        lodgedDate: '2026-11-22',
        activityStatement: { ...GOOD, paygInstalment: 0, netAmount: 8_499.5 },
      });
      const listed = await subgraph.run(LODGMENTS('(first: 100)'), refs('C-000002'));
      expect(listed.data!._entities[0].lodgments.map((l: { id: string }) => l.id)).toContain(data!.lodgeActivityStatement.id);
    });

    it('fills in the outstanding statement for the period', async () => {
      const outstanding = [...syntheticData().lodgmentsByClient.values()].flat().find((l) => l.formType === 'ACTIVITY_STATEMENT' && l.status === 'OVERDUE' && !syntheticData().clientById.get(l.clientId)!.restricted)!;
      const { data } = await subgraph.run(LODGE, { clientId: outstanding.clientId, period: outstanding.period, amounts: GOOD });
      expect(data!.lodgeActivityStatement).toMatchObject({ id: outstanding.id, status: 'LODGED' });
      const listed = await subgraph.run(LODGMENTS('(first: 100)'), refs(outstanding.clientId));
      const served = listed.data!._entities[0].lodgments.filter((l: { period: string; formType: string }) => l.period === outstanding.period && l.formType === 'ACTIVITY_STATEMENT');
      expect(served).toEqual([expect.objectContaining({ id: outstanding.id, status: 'LODGED' })]);
    });

    it('accepts a quarter and the same period twice (a revision)', async () => {
      const first = await subgraph.run(LODGE, { clientId: 'C-000005', period: '2026-Q1', amounts: GOOD });
      const second = await subgraph.run(LODGE, { clientId: 'C-000005', period: '2026-Q1', amounts: GOOD });
      expect(first.errors).toBeUndefined();
      expect(second.errors).toBeUndefined();
      expect(second.data!.lodgeActivityStatement.dueDate).toBe('2026-04-28');
    });

    it.each([
      ['an unknown client', { clientId: 'C-999999' }],
      ['a malformed client id', { clientId: 'nobody' }],
      ['a malformed period', { period: '2026-13' }],
      ['a quarter that does not exist', { period: '2026-Q5' }],
      ['a free-text period', { period: 'last quarter' }],
      ['a period that has not started', { period: '2027-Q1' }],
      ['a negative amount', { amounts: { ...GOOD, gstOnPurchases: -1 } }],
      ['more than two decimals', { amounts: { ...GOOD, totalSales: 110_000.001 } }],
      ['an absurd amount', { amounts: { ...GOOD, totalSales: 1e15, gstOnSales: 1 } }],
      ['GST on sales above one eleventh of sales', { amounts: { ...GOOD, gstOnSales: 10_000.02 } }],
    ])('refuses %s with BAD_USER_INPUT', async (_label, change) => {
      const { data, errors } = await subgraph.run(LODGE, { clientId: 'C-000002', period: '2026-Q3', amounts: GOOD, ...change });
      expect(data!.lodgeActivityStatement).toBeNull();
      expect(errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
    });

    it('refuses lodging for a restricted client unless ENHANCED', async () => {
      const standard = await subgraph.run(LODGE, { clientId: 'C-000003', period: '2026-Q3', amounts: GOOD }, identity('STANDARD'));
      expect(standard.errors?.[0]!.extensions?.code).toBe('RESTRICTED_DATA');
      const enhanced = await subgraph.run(LODGE, { clientId: 'C-000003', period: '2026-Q3', amounts: GOOD }, identity('ENHANCED'));
      expect(enhanced.data!.lodgeActivityStatement.status).toBe('LODGED');
    });
  });
});
