/**
 * Staff roles (DESIGN.md §1) and the checks every staff-facing part shares: one place that names
 * the roles, so the registry, the incidents, the audit log and the dashboard cannot drift apart.
 * Pure.
 */
import { denial, type Denial } from './errors.js';

export const ADMIN = 'ato:admin';
export const AUDITOR = 'ato:auditor';
export const DEVELOPER_STAFF = 'dsp:developer';

/** Staff roles the product knows. Any other role name in a token is dropped. */
export const KNOWN_ROLES = [ADMIN, AUDITOR, DEVELOPER_STAFF] as const;
export type KnownRole = (typeof KNOWN_ROLES)[number];

/** What an issuer is granted to issue product tokens by (TOKEN_ISSUER_GRANTS); staff roles are granted by name. */
export const PRODUCT_GRANT = 'product';

/** What a staff check needs to know about the caller (a verified token or a gateway assertion). */
export interface StaffIdentity {
  roles: readonly string[];
  mfa: boolean;
  developerId: string | null;
}

/** What a caller may see: everything (ATO staff) or one developer's records (developer staff). */
export type StaffScope = { all: true } | { all: false; developerId: string | null };

function mfaDenial(identity: Pick<StaffIdentity, 'mfa'>, what: string): Denial | null {
  return identity.mfa ? null : denial('MFA_REQUIRED', `${what} needs multi-factor authentication.`);
}

/** Null when the caller holds one of `roles` and has MFA; otherwise ROLE_REQUIRED or MFA_REQUIRED about `what`. */
export function roleDenial(identity: Pick<StaffIdentity, 'roles' | 'mfa'>, roles: readonly KnownRole[], what: string): Denial | null {
  if (!roles.some((r) => identity.roles.includes(r))) return denial('ROLE_REQUIRED', `${what} needs ${roles.join(' or ')}.`, { roles: [...roles] });
  return mfaDenial(identity, what);
}

/**
 * The read scope of a staff caller over developer-owned records: ATO staff see everything;
 * developer staff their own developer only. The broader role wins for someone holding several.
 */
export function staffReadScope(identity: StaffIdentity, what: string): StaffScope | Denial {
  const refused = roleDenial(identity, [ADMIN, AUDITOR, DEVELOPER_STAFF], what);
  if (refused) return refused;
  if (identity.roles.includes(ADMIN) || identity.roles.includes(AUDITOR)) return { all: true };
  return { all: false, developerId: identity.developerId };
}

/** Whether the scope covers records of `developerId`. */
export function scopeCovers(scope: StaffScope, developerId: string | null): boolean {
  return scope.all || (scope.developerId !== null && scope.developerId === developerId);
}

/** Operations staff (the dashboard, alerts): null for an ATO admin or auditor with MFA; otherwise ROLE_REQUIRED or MFA_REQUIRED about `what`. */
export function operationsDenial(identity: Pick<StaffIdentity, 'roles' | 'mfa'>, what: string): Denial | null {
  return roleDenial(identity, [ADMIN, AUDITOR], what);
}
