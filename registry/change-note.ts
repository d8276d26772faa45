/**
 * What every register change carries (reason, actor, time it takes effect, optional ticket) and
 * the shape every command returns. Pure: commands get `now` and the actor from their caller.
 */
import { denial, type Denial } from '../core/errors.js';
import type { ChangeNote } from './changes.js';
import { INSTANT_EXAMPLE, parseInstant, toIso } from './instants.js';
import { cleanOptionalText, cleanText, TEXT_RULES } from './text.js';

/** The caller's side of a change: why, under which ticket, and from when. */
export interface ChangeRequest {
  /** Required and non-blank: every change on the register says why (prose, TEXT_RULES.reason). */
  reason: string;
  /** A ticket or case reference, if any (one line, TEXT_RULES.ticket). */
  ticket?: string | null;
  /** RFC 3339 time the change takes effect; defaults to now. Past times record a back-dated decision. */
  effectiveAt?: string | null;
}

/** A command's result: the next state of the entity and its history note, or why not. */
export type Outcome<T> = { next: T; note: ChangeNote } | Denial;

/** Whether a command (or validation) result is a denial rather than a value. */
export function isDenial(value: unknown): value is Denial {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value && !('next' in value);
}

export const MAX_REASON_LENGTH = TEXT_RULES.reason.max;
export const MAX_TICKET_LENGTH = TEXT_RULES.ticket.max;

/**
 * The actor as recorded in history: the verified `sub` and the role it acted in, so an entry
 * written by someone holding several roles still says in which capacity they acted. When the
 * gateway trusts several issuers, a `sub` names someone only at its issuer, so the issuer is
 * named too (`ann (ato:admin, issuer https://staff.example)`): the same `sub` at two issuers is
 * two people. With one issuer the actor is as it always was. (With several, a sub holding a
 * parenthesis or a quote is quoted, e.g. `"jo (x)" (ato:admin, issuer https://staff.example)`;
 * a history filter by that sub alone names it quoted.)
 */
export function formatActor(sub: string, role: string, issuer?: string): string {
  if (issuer === undefined) return `${sub} (${role})`;
  // Each issuer names its subjects as it likes, so one may name a subject after another issuer's
  // whole actor (`jo (ato:admin, issuer https://staff.example)`): written as it is, that subject's
  // actor would begin with the other person's, read as theirs, and match a history filter for
  // theirs. A sub holding a parenthesis or a quote is therefore written as a JSON string: then
  // the subject ends where its closing quote is, and no actor begins with another's.
  const subject = /[()"]/.test(sub) ? JSON.stringify(sub) : sub;
  return `${subject} (${role}, issuer ${issuer})`;
}

/**
 * Validates a change request and turns it into the store's note. A future `effectiveAt` is
 * refused: register changes apply the moment they are stored (the gateway enforces the stored
 * state), so recording a later effective time would make history claim something enforcement
 * does not do. Back-dating is allowed (recording a decision taken earlier).
 */
export function noteFor(action: string, actor: string, request: ChangeRequest, now: number): ChangeNote | Denial {
  const reason = cleanText(request.reason, TEXT_RULES.reason, 'reason');
  if (typeof reason !== 'string') return reason;
  if (!reason) return denial('BAD_USER_INPUT', 'A reason is required for every register change.', { field: 'reason' });
  const ticket = cleanOptionalText(request.ticket, TEXT_RULES.ticket, 'ticket');
  if (isDenial(ticket)) return ticket;
  let effectiveAt = toIso(now);
  if (request.effectiveAt != null) {
    const at = parseInstant(request.effectiveAt);
    if (at === null) return denial('BAD_USER_INPUT', `effectiveAt must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { field: 'effectiveAt' });
    if (at > now) return denial('BAD_USER_INPUT', 'effectiveAt may not be in the future: changes apply when stored.', { field: 'effectiveAt' });
    effectiveAt = toIso(at);
  }
  if (!actor) return denial('BAD_USER_INPUT', 'The actor is required.', { field: 'actor' });
  return { action, actor, reason, ticket, effectiveAt };
}
