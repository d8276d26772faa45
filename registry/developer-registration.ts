/**
 * `registerDeveloper`: an application becomes a PENDING developer when every eligibility check
 * passes, and a REJECTED one (with the reasons) when any fails. A rejected application is still
 * stored, so the refusal is on record. Malformed input (no legal name, unknown role) is a
 * BAD_USER_INPUT denial instead: there is nothing meaningful to record.
 */
import { denial, type Denial } from '../core/errors.js';
import { isDenial, noteFor, type Outcome } from './change-note.js';
import { checkEligibility, isEligible, normaliseAbn } from './eligibility.js';
import { addYears, toIso } from './instants.js';
import { DEVELOPER_ROLES, type Contact, type Developer, type DeveloperRole } from './model.js';
import { cleanOptionalText, cleanText, TEXT_RULES } from './text.js';

export interface DeveloperApplication {
  abn: string;
  legalName: string;
  contact: Contact;
  roles: DeveloperRole[];
  declarationsAccepted: boolean;
  taxObligationsCurrent: boolean;
}

export interface RegistrationContext {
  /** The new developer's id (see registry/ids.ts). */
  id: string;
  /** Whether a developer already holds a registration under this ABN. */
  abnAlreadyRegistered: boolean;
  actor: string;
  now: number;
  /** Recorded in history; default "Developer registration". */
  reason?: string | null;
  ticket?: string | null;
}

/** The annual review falls one year after registration (and again after approval and each review). */
export const REVIEW_INTERVAL_YEARS = 1;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

interface ValidApplication {
  abn: string;
  legalName: string;
  contact: Contact;
  roles: DeveloperRole[];
}

function validateApplication(app: DeveloperApplication): Denial | ValidApplication {
  // The ABN is checked for characters here, before eligibility: an ineligible application is
  // still stored (REJECTED), so whatever it carries reaches every reader of the register.
  const abn = cleanText(app.abn, TEXT_RULES.code, 'abn');
  if (isDenial(abn)) return abn;
  const legalName = cleanText(app.legalName, TEXT_RULES.name, 'legalName');
  if (isDenial(legalName)) return legalName;
  if (!legalName) return denial('BAD_USER_INPUT', `The legal name is required (up to ${TEXT_RULES.name.max} characters).`, { field: 'legalName' });
  const name = cleanText(app.contact?.name, TEXT_RULES.name, 'contact.name');
  if (isDenial(name)) return name;
  if (!name) return denial('BAD_USER_INPUT', 'A contact name is required.', { field: 'contact.name' });
  const email = cleanText(app.contact?.email, TEXT_RULES.email, 'contact.email');
  if (isDenial(email)) return email;
  if (!EMAIL.test(email)) return denial('BAD_USER_INPUT', 'A valid contact email is required.', { field: 'contact.email' });
  const phone = cleanOptionalText(app.contact?.phone, TEXT_RULES.phone, 'contact.phone');
  if (isDenial(phone)) return phone;
  const roles = [...new Set(app.roles ?? [])];
  const unknown = roles.filter((r) => !(DEVELOPER_ROLES as readonly string[]).includes(r));
  if (roles.length === 0 || unknown.length) return denial('BAD_USER_INPUT', 'At least one known developer role is required.', { field: 'roles', unknown });
  return { abn, legalName, contact: { name, email, phone }, roles };
}

/**
 * The history note of a refused application: the applicant's reason and the failed checks, within
 * the reason's bound. The checks are what the record is about, so it is the applicant's text that
 * is shortened (by code points, as the bound counts them): an application whose own reason was
 * within its bound is recorded REJECTED, never refused for a reason it did not write.
 */
function withFailedChecks(reason: string, failed: readonly string[]): string {
  const checks = failed.join(' ');
  const room = TEXT_RULES.reason.max - [...checks].length - 2;
  const own = [...reason];
  const kept = own.length <= room ? reason : `${own.slice(0, Math.max(0, room - 1)).join('').trimEnd()}\u2026`;
  return `${kept}: ${checks}`;
}

export function registerDeveloper(app: DeveloperApplication, ctx: RegistrationContext): Outcome<Developer> {
  const valid = validateApplication(app);
  if (isDenial(valid)) return valid;
  const eligibility = checkEligibility({
    abn: valid.abn,
    declarationsAccepted: app.declarationsAccepted,
    taxObligationsCurrent: app.taxObligationsCurrent,
    abnAlreadyRegistered: ctx.abnAlreadyRegistered,
  });
  const eligible = isEligible(eligibility);
  const reason = ctx.reason?.trim() || 'Developer registration';
  const note = noteFor('registerDeveloper', ctx.actor, { reason: eligible ? reason : withFailedChecks(reason, eligibility.reasons), ticket: ctx.ticket ?? null }, ctx.now);
  if (isDenial(note)) return note;
  const next: Developer = {
    id: ctx.id,
    abn: normaliseAbn(valid.abn),
    legalName: valid.legalName,
    contact: valid.contact,
    roles: valid.roles,
    status: eligible ? 'PENDING' : 'REJECTED',
    statusReason: eligible ? null : eligibility.reasons.join(' '),
    eligibility,
    reviewDueAt: toIso(addYears(ctx.now, REVIEW_INTERVAL_YEARS)),
    registeredAt: toIso(ctx.now),
    revision: 0,
  };
  return { next, note };
}
