/**
 * The product state machine as a table, and the one function every product command goes
 * through. A revoked product never comes back (REVOKED is in no `from` list): it must be
 * registered anew. Self-loops (UNCHANGED) are changes that keep the status, such as whitelisting.
 */
import type { Denial } from '../core/errors.js';
import { isDenial, noteFor, type ChangeRequest, type Outcome } from './change-note.js';
import { currentProductStatus } from './effective-status.js';
import { PRODUCT_STATUSES, type Product, type ProductStatus } from './model.js';
import { RESUME, transitionFrom, UNCHANGED, type TransitionTable } from './state-machine.js';

export type ProductAction =
  | 'submitSelfCertification'
  | 'certifyProduct'
  | 'rejectCertification'
  | 'whitelistServices'
  | 'removeServices'
  | 'setMinimumVersion'
  | 'setKeyBinding'
  | 'suspendProduct'
  | 'reinstateProduct'
  | 'revokeProduct'
  | 'submitOperationManifest'
  | 'approveOperationManifest'
  | 'setTrustedDocuments';

const NOT_REVOKED = PRODUCT_STATUSES.filter((s) => s !== 'REVOKED');

export const PRODUCT_TRANSITIONS: TransitionTable<ProductAction, ProductStatus> = {
  // First submission, or a resubmission after the certification was rejected.
  submitSelfCertification: { from: ['REGISTERED', 'CERTIFICATION_REJECTED'], to: 'SELF_CERTIFIED' },
  // From CERTIFIED: recertification (new validity, tier or services) on the same self-certification.
  certifyProduct: { from: ['SELF_CERTIFIED', 'CERTIFIED'], to: 'CERTIFIED' },
  rejectCertification: { from: ['SELF_CERTIFIED'], to: 'CERTIFICATION_REJECTED' },
  whitelistServices: { from: ['CERTIFIED'], to: UNCHANGED },
  // Narrowing is always safe, so it is allowed while suspended too.
  removeServices: { from: ['CERTIFIED', 'SUSPENDED'], to: UNCHANGED },
  // The minimum version is not a status; an admin may raise it at any point before revocation.
  setMinimumVersion: { from: NOT_REVOKED, to: UNCHANGED },
  // The keys a product's tokens are bound to (registry/key-binding.ts), like the minimum version: any time before revocation.
  setKeyBinding: { from: NOT_REVOKED, to: UNCHANGED },
  // From SUSPENDED: the suspension is replaced (a new reason, a longer or shorter `until`, or none),
  // so it can be extended without the product being served in between.
  suspendProduct: { from: ['CERTIFIED', 'SUSPENDED'], to: 'SUSPENDED' },
  reinstateProduct: { from: ['SUSPENDED'], to: RESUME },
  revokeProduct: { from: NOT_REVOKED, to: 'REVOKED' },
  // Operation manifests (operation-manifest.ts): a new version may be submitted at any point before
  // revocation; approving one is a certification decision, so only once there is a self-certification.
  submitOperationManifest: { from: NOT_REVOKED, to: UNCHANGED },
  approveOperationManifest: { from: ['SELF_CERTIFIED', 'CERTIFIED', 'SUSPENDED'], to: UNCHANGED },
  setTrustedDocuments: { from: NOT_REVOKED, to: UNCHANGED },
};

/**
 * Runs `action` on `product` at `now`. The transition is judged from the product's current
 * status (a suspension whose `until` has passed counts as lapsed), and a lapsed suspension is
 * cleared from the record the next time anything changes, so the stored status matches what
 * enforcement already computes. `patch` adds the action's own changes or denies on bad input;
 * it runs only after the transition is known to be legal, so an illegal transition is always
 * reported as such whatever the input.
 */
export function transitionProduct(
  product: Product,
  action: ProductAction,
  request: ChangeRequest,
  actor: string,
  now: number,
  patch: (ctx: { current: ProductStatus; effectiveAt: number; reason: string }) => Partial<Product> | Denial = () => ({}),
): Outcome<Product> {
  const current = currentProductStatus(product, now);
  const to = transitionFrom(PRODUCT_TRANSITIONS, 'PRODUCT', action, current);
  if (isDenial(to)) return to;
  const note = noteFor(action, actor, request, now);
  if (isDenial(note)) return note;
  const changes = patch({ current, effectiveAt: Date.parse(note.effectiveAt), reason: note.reason });
  if (isDenial(changes)) return changes;
  const lapsed = product.status === 'SUSPENDED' && current !== 'SUSPENDED';
  const base: Product = lapsed ? { ...product, status: current, suspension: null } : product;
  const status: ProductStatus = to === UNCHANGED ? current : to === RESUME ? (product.suspension?.resumeStatus ?? 'CERTIFIED') : to;
  const statusReason = to === UNCHANGED ? (lapsed ? 'The suspension lapsed.' : base.statusReason) : note.reason;
  const next: Product = { ...base, status, statusReason, ...changes };
  if (status !== 'SUSPENDED') next.suspension = null;
  return { next, note };
}
