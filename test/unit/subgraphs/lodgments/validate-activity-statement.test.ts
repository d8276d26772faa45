import { activityStatementDenial, activityStatementProblems } from '../../../../subgraphs/lodgments/validate-activity-statement.js';

const FACTS = { clientExists: true, today: '2026-11-22' };
const GOOD = { clientId: 'C-000001', period: '2026-Q3', amounts: { totalSales: 11_000, gstOnSales: 1_000, gstOnPurchases: 250.25 } };

describe('activityStatementDenial', () => {
  it('passes a consistent statement, PAYG labels optional or null', () => {
    expect(activityStatementDenial(GOOD, FACTS)).toBeNull();
    expect(activityStatementDenial({ ...GOOD, amounts: { ...GOOD.amounts, paygWithheld: null, paygInstalment: 12.5 } }, FACTS)).toBeNull();
  });

  it('allows GST on sales of exactly one eleventh (all sales taxable) and zero sales', () => {
    expect(activityStatementDenial({ ...GOOD, amounts: { totalSales: 1_100, gstOnSales: 100, gstOnPurchases: 0 } }, FACTS)).toBeNull();
    expect(activityStatementDenial({ ...GOOD, amounts: { totalSales: 0, gstOnSales: 0, gstOnPurchases: 500 } }, FACTS)).toBeNull();
  });

  it('returns BAD_USER_INPUT listing every problem with its field', () => {
    const d = activityStatementDenial({ clientId: 'C-1', period: 'Q3', amounts: { totalSales: Number.NaN, gstOnSales: -1, gstOnPurchases: Number.POSITIVE_INFINITY } }, FACTS);
    expect(d?.code).toBe('BAD_USER_INPUT');
    expect((d!.details!.problems as Array<{ field: string }>).map((p) => p.field).sort()).toEqual(['amounts.gstOnPurchases', 'amounts.gstOnSales', 'amounts.totalSales', 'clientId', 'period']);
  });

  it('refuses a client that does not exist', () => {
    expect(activityStatementProblems(GOOD, { ...FACTS, clientExists: false }).map((p) => p.field)).toEqual(['clientId']);
  });

  it('refuses a period that has not started and accepts the current one', () => {
    expect(activityStatementProblems({ ...GOOD, period: '2026-12' }, FACTS).map((p) => p.field)).toEqual(['period']);
    expect(activityStatementProblems({ ...GOOD, period: '2026-11' }, FACTS)).toEqual([]);
  });

  it('refuses amounts above the bound or with fractions of a cent', () => {
    expect(activityStatementProblems({ ...GOOD, amounts: { ...GOOD.amounts, gstOnPurchases: 1e12 + 1 } }, FACTS).map((p) => p.field)).toEqual(['amounts.gstOnPurchases']);
    expect(activityStatementProblems({ ...GOOD, amounts: { ...GOOD.amounts, paygWithheld: 0.125 } }, FACTS).map((p) => p.field)).toEqual(['amounts.paygWithheld']);
  });

  it('refuses GST on sales above one eleventh of sales', () => {
    expect(activityStatementProblems({ ...GOOD, amounts: { ...GOOD.amounts, gstOnSales: 1_000.02 } }, FACTS).map((p) => p.field)).toEqual(['amounts.gstOnSales']);
  });
});
