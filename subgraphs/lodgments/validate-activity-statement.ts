/**
 * Validation of `lodgeActivityStatement` input, as a pure function returning a BAD_USER_INPUT
 * denial that lists every problem (field + reason), or null when the statement may be recorded.
 */
import { denial, type Denial } from '../../core/errors.js';
import { isClientId } from '../../core/ids.js';
import { parseActivityStatementPeriod } from './period.js';

export interface ActivityStatementAmountsInput {
  totalSales: number;
  gstOnSales: number;
  gstOnPurchases: number;
  /** Null or absent counts as 0. */
  paygWithheld?: number | null;
  paygInstalment?: number | null;
}

export interface LodgeActivityStatementInput {
  clientId: string;
  period: string;
  amounts: ActivityStatementAmountsInput;
}

export interface ValidationFacts {
  clientExists: boolean;
  /** Today, ISO date: a period that has not started cannot be lodged. */
  today: string;
}

export interface InputProblem {
  field: string;
  problem: string;
}

/** The largest amount on any label: sane bound well above any real BAS, far below float trouble. */
export const MAX_AMOUNT = 1_000_000_000_000;
/** Rounding slack allowed when 1A is compared with one eleventh of G1. */
const GST_TOLERANCE = 0.01;

function hasAtMostCents(x: number): boolean {
  return Math.abs(x * 100 - Math.round(x * 100)) < 1e-6;
}

function amountProblem(value: unknown): string | null {
  if (typeof value !== 'number' || !Number.isFinite(value)) return 'must be a finite number';
  if (value < 0) return 'must not be negative';
  if (value > MAX_AMOUNT) return `must not exceed ${MAX_AMOUNT}`;
  if (!hasAtMostCents(value)) return 'must have at most two decimals';
  return null;
}

export function activityStatementProblems(input: LodgeActivityStatementInput, facts: ValidationFacts): InputProblem[] {
  const problems: InputProblem[] = [];
  if (!isClientId(input.clientId)) problems.push({ field: 'clientId', problem: 'must be C- followed by six digits' });
  else if (!facts.clientExists) problems.push({ field: 'clientId', problem: 'no such client' });

  const period = parseActivityStatementPeriod(input.period);
  if (!period) problems.push({ field: 'period', problem: 'must be YYYY-Qn (calendar quarter) or YYYY-MM, year 2000–2100' });
  else if (period.start > facts.today) problems.push({ field: 'period', problem: 'has not started yet' });

  const amounts = input.amounts ?? ({} as ActivityStatementAmountsInput);
  const labels = {
    totalSales: amounts.totalSales,
    gstOnSales: amounts.gstOnSales,
    gstOnPurchases: amounts.gstOnPurchases,
    paygWithheld: amounts.paygWithheld ?? 0,
    paygInstalment: amounts.paygInstalment ?? 0,
  };
  let allValid = true;
  for (const [label, value] of Object.entries(labels)) {
    const problem = amountProblem(value);
    if (problem) {
      allValid = false;
      problems.push({ field: `amounts.${label}`, problem });
    }
  }
  // G1 is GST-inclusive, so the GST in it is at most one eleventh (less when some sales are GST-free).
  if (allValid && labels.gstOnSales > labels.totalSales / 11 + GST_TOLERANCE) {
    problems.push({ field: 'amounts.gstOnSales', problem: 'exceeds one eleventh of totalSales' });
  }
  return problems;
}

export function activityStatementDenial(input: LodgeActivityStatementInput, facts: ValidationFacts): Denial | null {
  const problems = activityStatementProblems(input, facts);
  return problems.length ? denial('BAD_USER_INPUT', 'The activity statement is invalid.', { problems }) : null;
}
