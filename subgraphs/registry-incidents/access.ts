/**
 * Who may read and change incidents and alerts, from the verified identity. The gateway's
 * directives check roles and MFA first; these checks repeat them (a subgraph must not rely on
 * every caller having come through one gateway configuration) and add what directives cannot
 * express: developer staff see and notify only for their own developer.
 */
import type { AssertionClaims } from '../../core/assertion.js';
import { denial, type Denial } from '../../core/errors.js';
import { ADMIN, DEVELOPER_STAFF, operationsDenial, roleDenial, scopeCovers, staffReadScope, type StaffScope } from '../../core/roles.js';
import { formatActor } from '../../registry/change-note.js';

/** Everything (ATO staff) or one developer's incidents (developer staff). */
export type IncidentScope = StaffScope;

export function incidentReadScope(identity: AssertionClaims): IncidentScope | Denial {
  return staffReadScope(identity, 'Incidents');
}

/** Alerts (and alert ids on incidents) are ATO-internal: they show how detection works. */
export function alertReadDenial(identity: AssertionClaims): Denial | null {
  return operationsDenial(identity, 'Alerts');
}

export function mayReadIncident(scope: IncidentScope, incident: { developerId: string | null }): boolean {
  return scopeCovers(scope, incident.developerId);
}

/** Who is notifying (admin, or developer staff of some developer), or why they may not. */
export function notifier(identity: AssertionClaims): { actor: string; developerId: string | null; admin: boolean } | Denial {
  const refused = roleDenial(identity, [DEVELOPER_STAFF, ADMIN], 'Notifying an incident');
  if (refused) return refused;
  if (identity.roles.includes(ADMIN)) return { actor: formatActor(identity.sub, ADMIN, identity.subjectIssuer), developerId: null, admin: true };
  if (!identity.developerId) return denial('FORBIDDEN', 'Developer staff tokens must name their developer (developer_id).');
  return { actor: formatActor(identity.sub, DEVELOPER_STAFF, identity.subjectIssuer), developerId: identity.developerId, admin: false };
}

export function triager(identity: AssertionClaims): string | Denial {
  return roleDenial(identity, [ADMIN], 'Triage') ?? formatActor(identity.sub, ADMIN, identity.subjectIssuer);
}

export function forbiddenIncident(): Denial {
  return denial('FORBIDDEN', 'Developer staff may only see and notify their own developer’s incidents.');
}
