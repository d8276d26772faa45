/**
 * Who may read the access log: auditors with MFA. The gateway's directives check the same first;
 * the subgraph repeats it (defence in depth: a subgraph must not depend on every caller having
 * come through one particular gateway configuration).
 */
import type { AssertionClaims } from '../../core/assertion.js';
import type { Denial } from '../../core/errors.js';
import { AUDITOR, roleDenial } from '../../core/roles.js';

/** Null when the identity may read the access log; otherwise why not. */
export function auditorDenial(identity: Pick<AssertionClaims, 'roles' | 'mfa'> | null | undefined): Denial | null {
  return roleDenial({ roles: identity?.roles ?? [], mfa: identity?.mfa === true }, [AUDITOR], 'The access log');
}
