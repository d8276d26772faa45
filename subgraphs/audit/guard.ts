/**
 * Who may read the access log: auditors with MFA. The gateway's directives check the same first;
 * the subgraph repeats it (defence in depth: a subgraph must not depend on every caller having
 * come through one particular gateway configuration).
 */
import type { AssertionClaims } from '../../core/assertion.js';
import { denial, type Denial } from '../../core/errors.js';

export const AUDITOR_ROLE = 'ato:auditor';

/** Null when the identity may read the access log; otherwise why not. */
export function auditorDenial(identity: Pick<AssertionClaims, 'roles' | 'mfa'> | null | undefined): Denial | null {
  if (!identity?.roles?.includes(AUDITOR_ROLE)) return denial('ROLE_REQUIRED', 'The access log needs the ato:auditor role.', { role: AUDITOR_ROLE });
  if (identity.mfa !== true) return denial('MFA_REQUIRED', 'The access log needs multi-factor authentication.');
  return null;
}
