/**
 * Who may read and change incidents and alerts, from the verified identity. The gateway's
 * directives check roles and MFA first; these checks repeat them (a subgraph must not rely on
 * every caller having come through one gateway configuration) and add what directives cannot
 * express: developer staff see and notify only for their own developer.
 */
import type { AssertionClaims } from '../../core/assertion.js';
import { denial, type Denial } from '../../core/errors.js';
import { formatActor } from '../../registry/change-note.js';

export const ADMIN = 'ato:admin';
export const AUDITOR = 'ato:auditor';
export const DEVELOPER_STAFF = 'dsp:developer';

/** Everything (ATO staff) or one developer's incidents (developer staff). */
export type IncidentScope = { all: true } | { all: false; developerId: string | null };

function needMfa(identity: AssertionClaims): Denial | null {
  return identity.mfa ? null : denial('MFA_REQUIRED', 'Incident access needs multi-factor authentication.');
}

export function incidentReadScope(identity: AssertionClaims): IncidentScope | Denial {
  const roles = new Set(identity.roles);
  if (!roles.has(ADMIN) && !roles.has(AUDITOR) && !roles.has(DEVELOPER_STAFF)) {
    return denial('ROLE_REQUIRED', 'Incidents need ato:admin, ato:auditor or dsp:developer.', { roles: [ADMIN, AUDITOR, DEVELOPER_STAFF] });
  }
  const mfa = needMfa(identity);
  if (mfa) return mfa;
  if (roles.has(ADMIN) || roles.has(AUDITOR)) return { all: true };
  return { all: false, developerId: identity.developerId };
}

/** Alerts (and alert ids on incidents) are ATO-internal: they show how detection works. */
export function alertReadDenial(identity: AssertionClaims): Denial | null {
  if (!identity.roles.includes(ADMIN) && !identity.roles.includes(AUDITOR)) return denial('ROLE_REQUIRED', 'Alerts need ato:admin or ato:auditor.', { roles: [ADMIN, AUDITOR] });
  return needMfa(identity);
}

export function mayReadIncident(scope: IncidentScope, incident: { developerId: string | null }): boolean {
  return scope.all || (scope.developerId !== null && incident.developerId === scope.developerId);
}

/** Who is notifying (admin, or developer staff of some developer), or why they may not. */
export function notifier(identity: AssertionClaims): { actor: string; developerId: string | null; admin: boolean } | Denial {
  const isAdmin = identity.roles.includes(ADMIN);
  if (!isAdmin && !identity.roles.includes(DEVELOPER_STAFF)) return denial('ROLE_REQUIRED', 'Notifying an incident needs dsp:developer or ato:admin.', { roles: [DEVELOPER_STAFF, ADMIN] });
  const mfa = needMfa(identity);
  if (mfa) return mfa;
  if (isAdmin) return { actor: formatActor(identity.sub, ADMIN), developerId: null, admin: true };
  if (!identity.developerId) return denial('FORBIDDEN', 'Developer staff tokens must name their developer (developer_id).');
  return { actor: formatActor(identity.sub, DEVELOPER_STAFF), developerId: identity.developerId, admin: false };
}

export function triager(identity: AssertionClaims): string | Denial {
  if (!identity.roles.includes(ADMIN)) return denial('ROLE_REQUIRED', 'Triage needs the ato:admin role.', { roles: [ADMIN] });
  return needMfa(identity) ?? formatActor(identity.sub, ADMIN);
}

export function forbiddenIncident(): Denial {
  return denial('FORBIDDEN', 'Developer staff may only see and notify their own developer’s incidents.');
}
