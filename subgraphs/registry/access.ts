/**
 * Who may read and change what in the registry subgraph, from the verified identity. The
 * gateway's directives check roles and MFA first; these checks repeat them (defence in depth:
 * a subgraph must not rely on every caller having come through one particular gateway
 * configuration) and add what directives cannot express: developer staff see and act only on
 * their own developer.
 */
import type { AssertionClaims } from '../../core/assertion.js';
import { denial, type Denial } from '../../core/errors.js';
import { ADMIN, DEVELOPER_STAFF, roleDenial, scopeCovers, staffReadScope, type StaffScope } from '../../core/roles.js';
import { formatActor } from '../../registry/change-note.js';

/** What a caller may see: everything (admin, auditor) or one developer's records (developer staff). */
export type ReadScope = StaffScope;

/** The read scope, or why the caller may not read the register at all. */
export function readScope(identity: AssertionClaims): ReadScope | Denial {
  return staffReadScope(identity, 'Registry reads');
}

/** Whether the scope covers the developer's records. */
export function mayReadDeveloper(scope: ReadScope, developerId: string): boolean {
  return scopeCovers(scope, developerId);
}

export function forbidden(what: string): Denial {
  return denial('FORBIDDEN', `Developer staff may only see and change their own developer’s ${what}.`);
}

/** Who is acting on an admin mutation, or why they may not. */
export function adminActor(identity: AssertionClaims): string | Denial {
  return roleDenial(identity, [ADMIN], 'This change') ?? formatActor(identity.sub, ADMIN, identity.subjectIssuer);
}

/** A caller acting as admin or as developer staff for `developerId` (null: any developer, e.g. a new registration). */
export function staffActor(identity: AssertionClaims, developerId: string | null): string | Denial {
  const refused = roleDenial(identity, [ADMIN, DEVELOPER_STAFF], 'This change');
  if (refused) return refused;
  if (identity.roles.includes(ADMIN)) return formatActor(identity.sub, ADMIN, identity.subjectIssuer);
  if (developerId !== null && identity.developerId !== developerId) return forbidden('products');
  return formatActor(identity.sub, DEVELOPER_STAFF, identity.subjectIssuer);
}
