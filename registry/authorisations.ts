/**
 * Client authorisations: an organisation (ABN, the token's `org`) may act for a client
 * (`C-` + six digits) until it expires or is revoked. These drive `@clientAccess`. Expiry is
 * computed from `expiresAt`, never stored as a state; a revoked or expired authorisation may be
 * granted again (same record, new revision), so the history of one org–client pair stays in one place.
 */
import { denial, type Denial } from '../core/errors.js';
import { isClientId, isValidAbn } from '../core/ids.js';
import { isDenial, noteFor, type ChangeRequest, type Outcome } from './change-note.js';
import { INSTANT_EXAMPLE, parseInstant, toIso } from './instants.js';
import type { ClientAuthorisation } from './model.js';
import { transitionFrom, type TransitionTable } from './state-machine.js';
import { cleanText, TEXT_RULES } from './text.js';

export type AuthorisationState = 'ACTIVE' | 'EXPIRED' | 'REVOKED';
export type AuthorisationAction = 'grantClientAuthorisation' | 'revokeClientAuthorisation';

export const AUTHORISATION_TRANSITIONS: TransitionTable<AuthorisationAction, AuthorisationState> = {
  // Granting over an ACTIVE one extends or shortens it; over EXPIRED or REVOKED renews it.
  grantClientAuthorisation: { from: ['ACTIVE', 'EXPIRED', 'REVOKED'], to: 'ACTIVE' },
  revokeClientAuthorisation: { from: ['ACTIVE', 'EXPIRED'], to: 'REVOKED' },
};

export function authorisationStateAt(a: Pick<ClientAuthorisation, 'revoked' | 'expiresAt'>, now: number): AuthorisationState {
  if (a.revoked) return 'REVOKED';
  return a.expiresAt && Date.parse(a.expiresAt) <= now ? 'EXPIRED' : 'ACTIVE';
}

/**
 * Whether an org may act for a client at `now`, and the instant until which that answer holds
 * without any register change (Infinity when only a register change can alter it). A cached
 * decision built on the answer must not be used at or after `holdsUntil`.
 */
export interface AuthorisationAnswer {
  authorised: boolean;
  holdsUntil: number;
}

export function authorisationAnswerAt(a: Pick<ClientAuthorisation, 'revoked' | 'expiresAt'> | undefined, now: number): AuthorisationAnswer {
  if (!a) return { authorised: false, holdsUntil: Number.POSITIVE_INFINITY };
  const state = authorisationStateAt(a, now);
  if (state !== 'ACTIVE') return { authorised: false, holdsUntil: Number.POSITIVE_INFINITY };
  return { authorised: true, holdsUntil: a.expiresAt ? Date.parse(a.expiresAt) : Number.POSITIVE_INFINITY };
}

export interface GrantInput {
  org: string;
  clientId: string;
  /** RFC 3339 time after which the authorisation lapses; null for no expiry. */
  expiresAt?: string | null;
}

function validateGrant(input: GrantInput, now: number): Denial | { org: string; clientId: string; expiresAt: string | null } {
  // Checked before the grouping spaces are removed: removing white space would also swallow a CR or a tab.
  const orgText = cleanText(input.org, TEXT_RULES.code, 'org');
  if (isDenial(orgText)) return orgText;
  const org = orgText.replace(/\s+/g, '');
  if (!isValidAbn(org)) return denial('BAD_USER_INPUT', 'org must be a valid ABN.', { field: 'org' });
  if (!isClientId(input.clientId)) return denial('BAD_USER_INPUT', 'clientId must be C- followed by six digits.', { field: 'clientId' });
  let expiresAt: string | null = null;
  if (input.expiresAt != null) {
    const at = parseInstant(input.expiresAt);
    if (at === null) return denial('BAD_USER_INPUT', `expiresAt must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { field: 'expiresAt' });
    if (at <= now) return denial('BAD_USER_INPUT', 'expiresAt must be in the future.', { field: 'expiresAt' });
    expiresAt = toIso(at);
  }
  return { org, clientId: input.clientId, expiresAt };
}

/** Creates (existing = null) or renews the org's authorisation for the client. */
export function grantClientAuthorisation(existing: ClientAuthorisation | null, input: GrantInput, request: ChangeRequest, actor: string, now: number): Outcome<ClientAuthorisation> {
  const valid = validateGrant(input, now);
  if (isDenial(valid)) return valid;
  if (existing) {
    if (existing.org !== valid.org || existing.clientId !== valid.clientId) return denial('BAD_USER_INPUT', 'The authorisation does not match the org and client.', { field: 'org' });
    const to = transitionFrom(AUTHORISATION_TRANSITIONS, 'CLIENT_AUTHORISATION', 'grantClientAuthorisation', authorisationStateAt(existing, now));
    if (isDenial(to)) return to;
  }
  const note = noteFor('grantClientAuthorisation', actor, request, now);
  if (isDenial(note)) return note;
  return { next: { org: valid.org, clientId: valid.clientId, grantedAt: note.effectiveAt, expiresAt: valid.expiresAt, revoked: false, revision: existing?.revision ?? 0 }, note };
}

/** ACTIVE or EXPIRED → REVOKED (recorded even when expired, so the decision is on file). */
export function revokeClientAuthorisation(existing: ClientAuthorisation, request: ChangeRequest, actor: string, now: number): Outcome<ClientAuthorisation> {
  const to = transitionFrom(AUTHORISATION_TRANSITIONS, 'CLIENT_AUTHORISATION', 'revokeClientAuthorisation', authorisationStateAt(existing, now));
  if (isDenial(to)) return to;
  const note = noteFor('revokeClientAuthorisation', actor, request, now);
  if (isDenial(note)) return note;
  return { next: { ...existing, revoked: true }, note };
}
