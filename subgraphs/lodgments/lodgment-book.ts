/**
 * The lodgments one lodgments-subgraph instance serves: the shared (frozen) synthetic ones plus
 * the statements lodged through the mutation, kept in memory for the life of the process.
 */
import { roundCents } from '../shared/synthetic-random.js';
import { activityStatementNet, byMostRecent } from '../shared/synthetic-lodgments.js';
import type { Lodgment, SyntheticData } from '../shared/synthetic-types.js';
import { activityStatementDueDate, parseActivityStatementPeriod } from './period.js';
import type { ActivityStatementAmountsInput } from './validate-activity-statement.js';

export interface LodgmentBook {
  /** Most recent first (by due date). */
  list(clientId: string): readonly Lodgment[];
  /**
   * Records a validated statement lodged on `today`: it replaces the outstanding (DUE/OVERDUE)
   * statement for that period when there is one, otherwise it is added as a revision.
   */
  lodgeActivityStatement(clientId: string, period: string, amounts: ActivityStatementAmountsInput, today: string): Lodgment;
}

export function createLodgmentBook(data: () => SyntheticData): LodgmentBook {
  /** Per client: lodgments recorded here, by id (a replacement keeps the synthetic id). */
  const recorded = new Map<string, Map<string, Lodgment>>();
  let sequence = 0;

  function list(clientId: string): readonly Lodgment[] {
    const base = data().lodgmentsByClient.get(clientId) ?? [];
    const mine = recorded.get(clientId);
    if (!mine) return base;
    const merged = base.map((l) => mine.get(l.id) ?? l);
    for (const l of mine.values()) if (!base.some((b) => b.id === l.id)) merged.push(l);
    return merged.sort(byMostRecent);
  }

  return {
    list,
    lodgeActivityStatement(clientId, periodLabel, amounts, today) {
      const period = parseActivityStatementPeriod(periodLabel);
      if (!period) throw new RangeError('lodgeActivityStatement needs a validated period');
      const outstanding = list(clientId).find((l) => l.formType === 'ACTIVITY_STATEMENT' && l.period === period.label && (l.status === 'DUE' || l.status === 'OVERDUE'));
      const labels = {
        totalSales: roundCents(amounts.totalSales),
        gstOnSales: roundCents(amounts.gstOnSales),
        gstOnPurchases: roundCents(amounts.gstOnPurchases),
        paygWithheld: roundCents(amounts.paygWithheld ?? 0),
        paygInstalment: roundCents(amounts.paygInstalment ?? 0),
      };
      sequence += 1;
      const lodgment: Lodgment = Object.freeze({
        id: outstanding?.id ?? `L-${clientId.slice(2)}-R${String(sequence).padStart(4, '0')}`,
        clientId,
        formType: 'ACTIVITY_STATEMENT',
        period: period.label,
        status: 'LODGED',
        dueDate: activityStatementDueDate(period),
        lodgedDate: today,
        incomeTax: null,
        activityStatement: Object.freeze({ ...labels, netAmount: activityStatementNet(labels) }),
      });
      let mine = recorded.get(clientId);
      if (!mine) recorded.set(clientId, (mine = new Map()));
      mine.set(lodgment.id, lodgment);
      return lodgment;
    },
  };
}
