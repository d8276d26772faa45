/**
 * Synthetic lodgments per client: three income tax returns (FY2024–FY2026) for everyone, and the
 * last five quarterly activity statements for GST-registered clients, with statuses "as at" the
 * data set's date.
 */
import { activityStatementDueDate, parseActivityStatementPeriod, quarterBefore, quarterOf } from '../lodgments/period.js';
import { addDays } from './synthetic-dates.js';
import { roundCents, type Random } from './synthetic-random.js';
import type { ActivityStatementAmounts, ClientType, FormType, IncomeTaxAmounts, Lodgment, LodgmentStatus, SyntheticClient } from './synthetic-types.js';

const INCOME_YEARS = [2024, 2025, 2026] as const;
/** Days between lodgment and assessment: a lodged return is PROCESSED after this. */
export const PROCESSING_DAYS = 14;

const RETURN_FORM: Record<ClientType, FormType> = {
  INDIVIDUAL: 'INDIVIDUAL_TAX_RETURN',
  COMPANY: 'COMPANY_TAX_RETURN',
  TRUST: 'TRUST_TAX_RETURN',
  PARTNERSHIP: 'PARTNERSHIP_TAX_RETURN',
};

/** 2024–25 resident rates (stage 3) plus the 2% Medicare levy; close enough for synthetic data. */
export function individualTax(taxableIncome: number): number {
  const brackets: ReadonlyArray<readonly [number, number]> = [[190_000, 0.45], [135_000, 0.37], [45_000, 0.3], [18_200, 0.16]];
  let tax = 0;
  let rest = taxableIncome;
  for (const [threshold, rate] of brackets) {
    if (rest > threshold) {
      tax += (rest - threshold) * rate;
      rest = threshold;
    }
  }
  return roundCents(tax + taxableIncome * 0.02);
}

function incomeTaxAmounts(type: ClientType, random: Random): IncomeTaxAmounts {
  let taxableIncome: number;
  let taxPayable: number;
  let credits: number;
  if (type === 'INDIVIDUAL') {
    taxableIncome = random.money(18_000, 260_000);
    taxPayable = individualTax(taxableIncome);
    credits = roundCents(taxPayable * (0.85 + random.next() * 0.25));
  } else if (type === 'COMPANY') {
    taxableIncome = random.money(0, 2_500_000);
    taxPayable = roundCents(taxableIncome * 0.25); // base rate entity
    credits = roundCents(taxPayable * (0.6 + random.next() * 0.45));
  } else if (type === 'TRUST') {
    // A trust distributes its net income; the trustee pays top-rate tax on what it keeps.
    taxableIncome = random.money(20_000, 900_000);
    taxPayable = random.chance(0.4) ? roundCents(taxableIncome * (0.05 + random.next() * 0.2) * 0.45) : 0;
    credits = 0;
  } else {
    // A partnership only reports; the partners pay the tax on their shares.
    taxableIncome = random.money(20_000, 900_000);
    taxPayable = 0;
    credits = 0;
  }
  return { taxableIncome, taxPayable, credits, result: roundCents(taxPayable - credits) };
}

/** One quarter's BAS labels, GST-consistent: 1A is at most one eleventh of the GST-inclusive G1. */
function activityStatementAmounts(annualTurnover: number, withholds: boolean, instalments: boolean, random: Random): ActivityStatementAmounts {
  const totalSales = roundCents((annualTurnover / 4) * (0.8 + random.next() * 0.4));
  const gstOnSales = roundCents((totalSales / 11) * (0.85 + random.next() * 0.15));
  const purchaseShare = random.chance(0.06) ? 1.1 + random.next() * 0.8 : 0.3 + random.next() * 0.6;
  const gstOnPurchases = roundCents(gstOnSales * purchaseShare);
  const paygWithheld = withholds ? roundCents(totalSales * (0.04 + random.next() * 0.06)) : 0;
  const paygInstalment = instalments ? roundCents(totalSales * (0.01 + random.next() * 0.02)) : 0;
  return { totalSales, gstOnSales, gstOnPurchases, paygWithheld, paygInstalment, netAmount: activityStatementNet({ gstOnSales, gstOnPurchases, paygWithheld, paygInstalment }) };
}

/** 1A − 1B + W2 + 5A, in cents. */
export function activityStatementNet(a: { gstOnSales: number; gstOnPurchases: number; paygWithheld: number; paygInstalment: number }): number {
  return roundCents(a.gstOnSales - a.gstOnPurchases + a.paygWithheld + a.paygInstalment);
}

/** Lodged (and when) or not, given the earliest possible lodgment date and the due date. */
function lodgmentOutcome(earliest: string, due: string, asAt: string, lodgeRate: number, random: Random): { status: LodgmentStatus; lodgedDate: string | null } {
  // Most lodge before the due date; some a little late.
  const lodgedDate = addDays(earliest, random.int(0, 130));
  if (lodgedDate <= asAt && random.chance(lodgeRate)) {
    return { status: addDays(lodgedDate, PROCESSING_DAYS) <= asAt ? 'PROCESSED' : 'LODGED', lodgedDate };
  }
  return { status: due < asAt ? 'OVERDUE' : 'DUE', lodgedDate: null };
}

/** Most recent first (by due date, then id). */
export function generateLodgments(client: SyntheticClient, asAt: string, random: Random): Lodgment[] {
  const digits = client.id.slice(2);
  const out: Lodgment[] = [];
  const add = (l: Omit<Lodgment, 'id' | 'clientId'>) => out.push({ id: `L-${digits}-${String(out.length + 1).padStart(2, '0')}`, clientId: client.id, ...l });

  for (const year of INCOME_YEARS) {
    const dueDate = `${year}-10-31`;
    if (`${year}-07-01` > asAt) continue;
    const { status, lodgedDate } = lodgmentOutcome(`${year}-07-10`, dueDate, asAt, year === 2026 ? 0.85 : 0.97, random);
    add({ formType: RETURN_FORM[client.type], period: `FY${year}`, status, dueDate, lodgedDate, incomeTax: lodgedDate ? incomeTaxAmounts(client.type, random) : null, activityStatement: null });
  }

  if (client.gstRegistered) {
    const annualTurnover = random.money(80_000, client.type === 'INDIVIDUAL' ? 400_000 : 4_000_000);
    const withholds = client.type !== 'INDIVIDUAL' && random.chance(0.6);
    const instalments = random.chance(0.4);
    const current = quarterOf(asAt);
    for (let back = 4; back >= 0; back -= 1) {
      const period = parseActivityStatementPeriod(quarterBefore(current, back))!;
      const dueDate = activityStatementDueDate(period);
      const { status, lodgedDate } = lodgmentOutcome(addDays(period.end, 1), dueDate, asAt, 0.93, random);
      add({ formType: 'ACTIVITY_STATEMENT', period: period.label, status, dueDate, lodgedDate, incomeTax: null, activityStatement: lodgedDate ? activityStatementAmounts(annualTurnover, withholds, instalments, random) : null });
    }
  }
  return out.sort(byMostRecent);
}

export function byMostRecent(a: Lodgment, b: Lodgment): number {
  return a.dueDate === b.dueDate ? (a.id < b.id ? 1 : -1) : a.dueDate < b.dueDate ? 1 : -1;
}
