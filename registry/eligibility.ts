/**
 * Developer registration eligibility (DESIGN.md §2): ABN check digit valid, declarations
 * accepted, tax obligations current, ABN not already on the register. Pure: whether the ABN is
 * already registered is looked up by the caller.
 */
import { isValidAbn } from '../core/ids.js';
import type { Developer, DeveloperStatus, Eligibility } from './model.js';

export interface EligibilityFacts {
  abn: string;
  declarationsAccepted: boolean;
  taxObligationsCurrent: boolean;
  /** Whether another developer already holds a registration under this ABN (see holdsRegistration). */
  abnAlreadyRegistered: boolean;
}

/**
 * Statuses in which a developer holds its ABN on the register. A REJECTED application may be made
 * again once fixed, and a DEREGISTERED developer may apply afresh (an admin must still approve);
 * a SUSPENDED one may not re-register to escape its suspension.
 */
const HOLDING_STATUSES: ReadonlySet<DeveloperStatus> = new Set(['PENDING', 'ACTIVE', 'SUSPENDED']);

export function holdsRegistration(developer: Pick<Developer, 'status'>): boolean {
  return HOLDING_STATUSES.has(developer.status);
}

/** The ABN as stored: digits only (the usual grouping spaces removed). */
export function normaliseAbn(abn: string): string {
  return typeof abn === 'string' ? abn.replace(/\s+/g, '') : '';
}

export function checkEligibility(facts: EligibilityFacts): Eligibility {
  const abnValid = isValidAbn(normaliseAbn(facts.abn));
  const declarationsAccepted = facts.declarationsAccepted === true;
  const taxObligationsCurrent = facts.taxObligationsCurrent === true;
  const abnUnique = !facts.abnAlreadyRegistered;
  const reasons: string[] = [];
  if (!abnValid) reasons.push('The ABN is not valid (check digit).');
  if (!declarationsAccepted) reasons.push('The registration declarations were not accepted.');
  if (!taxObligationsCurrent) reasons.push('The applicant’s tax obligations are not current.');
  if (!abnUnique) reasons.push('A developer is already registered under this ABN.');
  return { abnValid, declarationsAccepted, taxObligationsCurrent, abnUnique, reasons };
}

export function isEligible(e: Eligibility): boolean {
  return e.abnValid && e.declarationsAccepted && e.taxObligationsCurrent && e.abnUnique;
}
