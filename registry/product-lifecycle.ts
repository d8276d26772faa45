/**
 * Product transitions that are not certification decisions: reject a certification, suspend
 * (optionally until a time), reinstate, revoke, and set the minimum supported version.
 */
import semver from 'semver';
import { denial } from '../core/errors.js';
import { isDenial, type ChangeRequest, type Outcome } from './change-note.js';
import { INSTANT_EXAMPLE, parseInstant, toIso } from './instants.js';
import type { Product } from './model.js';
import { transitionProduct } from './product-transitions.js';
import { cleanText, TEXT_RULES } from './text.js';

/** SELF_CERTIFIED → CERTIFICATION_REJECTED; the developer may resubmit. */
export function rejectCertification(product: Product, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'rejectCertification', request, actor, now);
}

/**
 * CERTIFIED → SUSPENDED, or SUSPENDED → SUSPENDED replacing the suspension in force (its reason,
 * actor and `until`; it keeps `since` and what the product resumes to). With `until`, the suspension
 * lapses by itself at that time (computed by
 * registry/effective-status.ts); without, it lasts until reinstated.
 */
export function suspendProduct(product: Product, request: ChangeRequest & { until?: string | null }, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'suspendProduct', request, actor, now, ({ current, effectiveAt, reason }) => {
    let until: string | null = null;
    if (request.until != null) {
      const at = parseInstant(request.until);
      if (at === null) return denial('BAD_USER_INPUT', `until must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { field: 'until' });
      if (at <= now) return denial('BAD_USER_INPUT', 'until must be in the future.', { field: 'until' });
      until = toIso(at);
    }
    // Replacing a suspension in force keeps when it began and what the product resumes to.
    const held = current === 'SUSPENDED' ? product.suspension : null;
    return { suspension: { reason, since: held?.since ?? toIso(effectiveAt), until, actor, resumeStatus: held?.resumeStatus ?? current } };
  });
}

/** SUSPENDED → the status it was suspended from. */
export function reinstateProduct(product: Product, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'reinstateProduct', request, actor, now);
}

/**
 * Any status but REVOKED → REVOKED, for good. The whitelist is emptied as well, so even a
 * record read without the status check grants nothing.
 */
export function revokeProduct(product: Product, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'revokeProduct', request, actor, now, () => ({ services: [] }));
}

/** Same status, new minimum supported version (semver); older versions are refused from then on. */
export function setMinimumVersion(product: Product, minimumVersion: string, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'setMinimumVersion', request, actor, now, () => {
    const version = cleanText(minimumVersion, TEXT_RULES.code, 'minimumVersion');
    if (isDenial(version)) return version;
    const v = semver.valid(version);
    if (!v) return denial('BAD_USER_INPUT', 'minimumVersion must be a semantic version (e.g. 2.1.0).', { field: 'minimumVersion' });
    return { minimumVersion: v };
  });
}
