/**
 * Who may read and change what in the registry subgraph, from the verified identity. The
 * gateway's directives check roles and MFA first; these checks repeat them (defence in depth:
 * a subgraph must not rely on every caller having come through one particular gateway
 * configuration) and add what directives cannot express: developer staff see and act only on
 * their own developer.
 */
import type { AssertionClaims } from '../../core/assertion.js';
import { denial, type Denial } from '../../core/errors.js';
import { formatActor } from '../../registry/change-note.js';

export const ADMIN = 'ato:admin';
export const AUDITOR = 'ato:auditor';
export const DEVELOPER_STAFF = 'dsp:developer';

/** What a caller may see: everything (admin, auditor) or one developer's records (developer staff). */
export type ReadScope = { all: true } | { all: false; developerId: string | null };

function mfaDenial(identity: AssertionClaims): Denial | null {
  return identity.mfa ? null : denial('MFA_REQUIRED', 'Registry access needs multi-factor authentication.');
}

/** The read scope, or why the caller may not read the register at all. */
export function readScope(identity: AssertionClaims): ReadScope | Denial {
  const roles = new Set(identity.roles);
  if (!roles.has(ADMIN) && !roles.has(AUDITOR) && !roles.has(DEVELOPER_STAFF)) {
    return denial('ROLE_REQUIRED', 'Registry reads need ato:admin, ato:auditor or dsp:developer.', { roles: [ADMIN, AUDITOR, DEVELOPER_STAFF] });
  }
  const mfa = mfaDenial(identity);
  if (mfa) return mfa;
  // The broader role wins for someone holding several: an ATO officer is not limited by also being developer staff.
  if (roles.has(ADMIN) || roles.has(AUDITOR)) return { all: true };
  return { all: false, developerId: identity.developerId };
}

/** Whether the scope covers the developer's records. */
export function mayReadDeveloper(scope: ReadScope, developerId: string): boolean {
  return scope.all || (scope.developerId !== null && scope.developerId === developerId);
}

export function forbidden(what: string): Denial {
  return denial('FORBIDDEN', `Developer staff may only see and change their own developer’s ${what}.`);
}

/** Who is acting on an admin mutation, or why they may not. */
export function adminActor(identity: AssertionClaims): string | Denial {
  if (!identity.roles.includes(ADMIN)) return denial('ROLE_REQUIRED', 'This change needs the ato:admin role.', { roles: [ADMIN] });
  return mfaDenial(identity) ?? formatActor(identity.sub, ADMIN);
}

/** A caller acting as admin or as developer staff for `developerId` (null: any developer, e.g. a new registration). */
export function staffActor(identity: AssertionClaims, developerId: string | null): string | Denial {
  const isAdmin = identity.roles.includes(ADMIN);
  const isDeveloper = identity.roles.includes(DEVELOPER_STAFF);
  if (!isAdmin && !isDeveloper) return denial('ROLE_REQUIRED', 'This change needs ato:admin or dsp:developer.', { roles: [ADMIN, DEVELOPER_STAFF] });
  const mfa = mfaDenial(identity);
  if (mfa) return mfa;
  if (isAdmin) return formatActor(identity.sub, ADMIN);
  if (developerId !== null && identity.developerId !== developerId) return forbidden('products');
  return formatActor(identity.sub, DEVELOPER_STAFF);
}
