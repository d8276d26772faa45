/**
 * The developer state machine. Registration makes a developer PENDING (or REJECTED when
 * ineligible, see developer-registration.ts); an admin then approves or rejects it, and may
 * suspend, reinstate and deregister. REJECTED and DEREGISTERED are terminal: a new application
 * is a new developer. A developer's standing cascades to its products at enforcement time
 * (registry/effective-status.ts), so nothing here touches product records.
 */
import { denial, type Denial } from '../core/errors.js';
import { isDenial, noteFor, type ChangeRequest, type Outcome } from './change-note.js';
import { REVIEW_INTERVAL_YEARS } from './developer-registration.js';
import { addYears, INSTANT_EXAMPLE, parseInstant, toIso } from './instants.js';
import { DEVELOPER_STATUSES, type Developer, type DeveloperStatus } from './model.js';
import { transitionFrom, UNCHANGED, type TransitionTable } from './state-machine.js';

export type DeveloperAction = 'approveDeveloper' | 'rejectDeveloper' | 'suspendDeveloper' | 'reinstateDeveloper' | 'deregisterDeveloper' | 'completeAnnualReview';

export const DEVELOPER_TRANSITIONS: TransitionTable<DeveloperAction, DeveloperStatus> = {
  approveDeveloper: { from: ['PENDING'], to: 'ACTIVE' },
  // An admin's review may refuse an application that passed the automatic checks.
  rejectDeveloper: { from: ['PENDING'], to: 'REJECTED' },
  suspendDeveloper: { from: ['ACTIVE'], to: 'SUSPENDED' },
  reinstateDeveloper: { from: ['SUSPENDED'], to: 'ACTIVE' },
  deregisterDeveloper: { from: ['ACTIVE', 'SUSPENDED'], to: 'DEREGISTERED' },
  completeAnnualReview: { from: ['ACTIVE'], to: UNCHANGED },
};

export const TERMINAL_DEVELOPER_STATUSES: readonly DeveloperStatus[] = DEVELOPER_STATUSES.filter(
  (s) => !Object.values(DEVELOPER_TRANSITIONS).some((t) => t.from.includes(s)),
);

export interface ReviewDateRequest extends ChangeRequest {
  /** RFC 3339 time of the next annual review; default one year after the change takes effect. */
  reviewDueAt?: string | null;
}

function transitionDeveloper(developer: Developer, action: DeveloperAction, request: ChangeRequest, actor: string, now: number, patch: (effectiveAt: number) => Partial<Developer> | Denial = () => ({})): Outcome<Developer> {
  const to = transitionFrom(DEVELOPER_TRANSITIONS, 'DEVELOPER', action, developer.status);
  if (isDenial(to)) return to;
  const note = noteFor(action, actor, request, now);
  if (isDenial(note)) return note;
  const changes = patch(Date.parse(note.effectiveAt));
  if (isDenial(changes)) return changes;
  const status = to === UNCHANGED ? developer.status : (to as DeveloperStatus);
  const statusReason = status === developer.status ? developer.statusReason : note.reason;
  return { next: { ...developer, status, statusReason, ...changes }, note };
}

function reviewDate(request: ReviewDateRequest, effectiveAt: number, fallback: string | null) {
  if (request.reviewDueAt == null) return { reviewDueAt: fallback ?? toIso(addYears(effectiveAt, REVIEW_INTERVAL_YEARS)) };
  const at = parseInstant(request.reviewDueAt);
  if (at === null) return denial('BAD_USER_INPUT', `reviewDueAt must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { field: 'reviewDueAt' });
  if (at <= effectiveAt) return denial('BAD_USER_INPUT', 'reviewDueAt must be after the change takes effect.', { field: 'reviewDueAt' });
  return { reviewDueAt: toIso(at) };
}

/** PENDING → ACTIVE. The annual review restarts from approval unless a date is given. */
export function approveDeveloper(developer: Developer, request: ReviewDateRequest, actor: string, now: number): Outcome<Developer> {
  return transitionDeveloper(developer, 'approveDeveloper', request, actor, now, (at) => reviewDate(request, at, null));
}

/** PENDING → REJECTED (refused on review). */
export function rejectDeveloper(developer: Developer, request: ChangeRequest, actor: string, now: number): Outcome<Developer> {
  return transitionDeveloper(developer, 'rejectDeveloper', request, actor, now);
}

/** ACTIVE → SUSPENDED: every product of the developer is refused from now on. */
export function suspendDeveloper(developer: Developer, request: ChangeRequest, actor: string, now: number): Outcome<Developer> {
  return transitionDeveloper(developer, 'suspendDeveloper', request, actor, now);
}

/** SUSPENDED → ACTIVE. Keeps the review date unless a new one is given. */
export function reinstateDeveloper(developer: Developer, request: ReviewDateRequest, actor: string, now: number): Outcome<Developer> {
  return transitionDeveloper(developer, 'reinstateDeveloper', request, actor, now, (at) => reviewDate(request, at, developer.reviewDueAt));
}

/** ACTIVE or SUSPENDED → DEREGISTERED (terminal). */
export function deregisterDeveloper(developer: Developer, request: ChangeRequest, actor: string, now: number): Outcome<Developer> {
  return transitionDeveloper(developer, 'deregisterDeveloper', request, actor, now);
}

/** ACTIVE → ACTIVE: the annual review is done; the next falls a year later (or on the given date). */
export function completeAnnualReview(developer: Developer, request: ReviewDateRequest, actor: string, now: number): Outcome<Developer> {
  return transitionDeveloper(developer, 'completeAnnualReview', request, actor, now, (at) => reviewDate(request, at, null));
}

/** Whether the developer's annual review date has passed (computed, never a stored status). */
export function reviewOverdue(developer: Pick<Developer, 'reviewDueAt' | 'status'>, now: number): boolean {
  return developer.status === 'ACTIVE' && Date.parse(developer.reviewDueAt) <= now;
}
