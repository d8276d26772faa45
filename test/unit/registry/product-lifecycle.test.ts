import type { Outcome } from '../../../registry/change-note.js';
import { productDenialAt } from '../../../registry/effective-status.js';
import { PRODUCT_STATUSES, type Product } from '../../../registry/model.js';
import { certifyProduct, removeServices, whitelistServices } from '../../../registry/product-certification.js';
import { reinstateProduct, rejectCertification, revokeProduct, setMinimumVersion, suspendProduct } from '../../../registry/product-lifecycle.js';
import { approveOperationManifest, setTrustedDocuments, submitOperationManifest } from '../../../registry/operation-manifest.js';
import { PRODUCT_TRANSITIONS, type ProductAction } from '../../../registry/product-transitions.js';
import { setKeyBinding } from '../../../registry/key-binding.js';
import { submitSelfCertification } from '../../../registry/self-certification.js';
import { illegalPairs } from '../../../registry/state-machine.js';
import { accepted, ADMIN, assessments, DAY, denied, developerIn, NOW, productIn, REQUEST } from './fixtures.js';

const CERTIFICATION = { tier: 'STANDARD' as const, validFrom: new Date(NOW).toISOString(), validUntil: new Date(NOW + 365 * DAY).toISOString(), services: ['clients.read'] };

function withPendingManifest(p: Product): Product {
  return { ...p, pendingManifest: { version: 1, operations: [], submittedAt: new Date(NOW).toISOString(), submittedBy: 'dev-1 (dsp:developer)', approvedAt: null, approvedBy: null } };
}

/** Each action with input valid in every state it is legal from, so only the state decides. */
const COMMANDS: Record<ProductAction, (p: Product) => Outcome<Product>> = {
  submitSelfCertification: (p) => submitSelfCertification(p, assessments(), REQUEST, 'dev-1 (dsp:developer)', NOW),
  certifyProduct: (p) => certifyProduct(p, CERTIFICATION, REQUEST, ADMIN, NOW),
  rejectCertification: (p) => rejectCertification(p, REQUEST, ADMIN, NOW),
  whitelistServices: (p) => whitelistServices(p, ['accounts.read'], REQUEST, ADMIN, NOW),
  removeServices: (p) => removeServices(p, ['clients.read'], REQUEST, ADMIN, NOW),
  setMinimumVersion: (p) => setMinimumVersion(p, '3.0.0', REQUEST, ADMIN, NOW),
  setKeyBinding: (p) => setKeyBinding(p, { required: true, thumbprints: ['0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'] }, REQUEST, ADMIN, NOW),
  suspendProduct: (p) => suspendProduct(p, REQUEST, ADMIN, NOW),
  reinstateProduct: (p) => reinstateProduct(p, REQUEST, ADMIN, NOW),
  revokeProduct: (p) => revokeProduct(p, REQUEST, ADMIN, NOW),
  submitOperationManifest: (p) => submitOperationManifest(p, ['query Q { __typename }'], REQUEST, 'dev-1 (dsp:developer)', NOW),
  approveOperationManifest: (p) => approveOperationManifest(withPendingManifest(p), 1, REQUEST, ADMIN, NOW),
  setTrustedDocuments: (p) => setTrustedDocuments(p, 'LOG', REQUEST, ADMIN, NOW),
};

describe('product state machine', () => {
  const legal = Object.entries(PRODUCT_TRANSITIONS).flatMap(([action, t]) => t.from.map((state) => ({ action: action as ProductAction, state, to: t.to })));

  test.each(legal)('$action from $state leads to $to', ({ action, state, to }) => {
    const before = productIn(state);
    const { next, note } = accepted(COMMANDS[action](before));
    const expected = to === 'UNCHANGED' ? state : to === 'RESUME' ? before.suspension!.resumeStatus : to;
    expect(next.status).toBe(expected);
    expect(note).toMatchObject({ action, reason: REQUEST.reason, ticket: REQUEST.ticket });
  });

  test.each(illegalPairs(PRODUCT_TRANSITIONS, PRODUCT_STATUSES))('refuses $action from $state with ILLEGAL_TRANSITION naming the state', ({ action, state }) => {
    const d = denied(COMMANDS[action](productIn(state)));
    expect(d.code).toBe('ILLEGAL_TRANSITION');
    expect(d.details).toMatchObject({ currentState: state, action });
  });

  test('the illegal pairs include the ones the issue names', () => {
    const pairs = illegalPairs(PRODUCT_TRANSITIONS, PRODUCT_STATUSES);
    expect(pairs).toContainEqual({ action: 'certifyProduct', state: 'REVOKED' });
    expect(pairs).toContainEqual({ action: 'certifyProduct', state: 'REGISTERED' }); // no self-certification yet
    expect(pairs).toContainEqual({ action: 'reinstateProduct', state: 'CERTIFIED' });
  });

  test('a revoked product never comes back: no action is legal from REVOKED', () => {
    for (const action of Object.keys(COMMANDS) as ProductAction[]) {
      expect(denied(COMMANDS[action](productIn('REVOKED'))).code).toBe('ILLEGAL_TRANSITION');
    }
  });

  test('an illegal transition is reported as such even with bad input', () => {
    const d = denied(certifyProduct(productIn('REVOKED'), { ...CERTIFICATION, services: ['nope'] }, REQUEST, ADMIN, NOW));
    expect(d.code).toBe('ILLEGAL_TRANSITION');
  });

  test('every change needs a reason', () => {
    expect(denied(suspendProduct(productIn('CERTIFIED'), { reason: '' }, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });
});

describe('suspension', () => {
  test('a suspended product is refused by the product check and served again after reinstatement', () => {
    const dev = developerIn('ACTIVE');
    const suspended = accepted(suspendProduct(productIn('CERTIFIED'), { reason: 'Fraud alert', ticket: 'INC-9' }, ADMIN, NOW)).next;
    expect(suspended.suspension).toMatchObject({ reason: 'Fraud alert', actor: ADMIN, resumeStatus: 'CERTIFIED', until: null });
    expect(productDenialAt(suspended, dev, '2.0.0', NOW)?.code).toBe('PRODUCT_SUSPENDED');
    const back = accepted(reinstateProduct(suspended, { reason: 'Cleared' }, ADMIN, NOW)).next;
    expect(back.suspension).toBeNull();
    expect(productDenialAt(back, dev, '2.0.0', NOW)).toBeNull();
  });

  test('a suspension with `until` lapses by itself; reinstating it afterwards is illegal and suspending again is legal', () => {
    const until = new Date(NOW + DAY).toISOString();
    const suspended = accepted(suspendProduct(productIn('CERTIFIED'), { reason: 'Cooling off', until }, ADMIN, NOW)).next;
    expect(suspended.suspension?.until).toBe(until);
    const later = NOW + 2 * DAY;
    expect(denied(reinstateProduct(suspended, REQUEST, ADMIN, later)).details).toMatchObject({ currentState: 'CERTIFIED' });
    const again = accepted(suspendProduct(suspended, REQUEST, ADMIN, later)).next;
    expect(again.suspension?.until).toBeNull();
  });

  test('a suspension in force can be replaced (extended, shortened, made indefinite) without the product being served in between', () => {
    const until = new Date(NOW + DAY).toISOString();
    const first = accepted(suspendProduct(productIn('CERTIFIED'), { reason: 'Investigation, 24 h', until }, 'admin-1 (ato:admin)', NOW)).next;
    const later = NOW + DAY / 2;
    const { next, note } = accepted(suspendProduct(first, { reason: 'Fraud confirmed: until further notice', until: null }, ADMIN, later));
    expect(next.status).toBe('SUSPENDED');
    expect(next.suspension).toEqual({ reason: 'Fraud confirmed: until further notice', since: first.suspension!.since, until: null, actor: ADMIN, resumeStatus: 'CERTIFIED' });
    expect(note).toMatchObject({ action: 'suspendProduct', reason: 'Fraud confirmed: until further notice' });
    // Past the first suspension's end the product is still refused.
    expect(productDenialAt(next, developerIn('ACTIVE'), '2.0.0', NOW + 2 * DAY)?.code).toBe('PRODUCT_SUSPENDED');
    // A shorter one lapses at its new end and resumes what the first suspension interrupted.
    const shorter = accepted(suspendProduct(next, { reason: 'Cleared early', until: new Date(later + 60_000).toISOString() }, ADMIN, later)).next;
    expect(shorter.suspension).toMatchObject({ since: first.suspension!.since, resumeStatus: 'CERTIFIED' });
    expect(productDenialAt(shorter, developerIn('ACTIVE'), '2.0.0', later + 120_000)).toBeNull();
  });

  test('a lapsed suspension is cleared from the record at the next change', () => {
    const suspended = accepted(suspendProduct(productIn('CERTIFIED'), { reason: 'Cooling off', until: new Date(NOW + DAY).toISOString() }, ADMIN, NOW)).next;
    const { next } = accepted(setMinimumVersion(suspended, '2.5.0', REQUEST, ADMIN, NOW + 2 * DAY));
    expect(next).toMatchObject({ status: 'CERTIFIED', suspension: null, minimumVersion: '2.5.0' });
  });

  test('refuses an `until` in the past', () => {
    expect(denied(suspendProduct(productIn('CERTIFIED'), { reason: 'r', until: new Date(NOW - DAY).toISOString() }, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });

  test('refuses an `until` that does not exist (month 13, 31 April)', () => {
    for (const until of ['2026-13-01T00:00:00Z', '2026-04-31T00:00:00Z']) expect(denied(suspendProduct(productIn('CERTIFIED'), { reason: 'r', until }, ADMIN, NOW)).details).toMatchObject({ field: 'until' });
  });

  test('refuses a suspension reason carrying an ANSI sequence, before anything changes', () => {
    expect(denied(suspendProduct(productIn('CERTIFIED'), { reason: 'Fraud\u001b[0m' }, ADMIN, NOW)).details).toMatchObject({ field: 'reason', problem: 'CONTROL_CHARACTER' });
  });

  test('a suspended developer blocks its certified product without touching the product record', () => {
    const product = productIn('CERTIFIED');
    expect(productDenialAt(product, developerIn('SUSPENDED'), '2.0.0', NOW)?.code).toBe('DEVELOPER_NOT_IN_GOOD_STANDING');
    expect(productDenialAt(product, developerIn('DEREGISTERED'), '2.0.0', NOW)?.code).toBe('DEVELOPER_NOT_IN_GOOD_STANDING');
  });
});

describe('revocation and minimum version', () => {
  test('revocation empties the whitelist and clears a suspension', () => {
    const { next } = accepted(revokeProduct(productIn('SUSPENDED'), REQUEST, ADMIN, NOW));
    expect(next).toMatchObject({ status: 'REVOKED', services: [], suspension: null, statusReason: REQUEST.reason });
    expect(productDenialAt(next, developerIn('ACTIVE'), '2.0.0', NOW)?.code).toBe('PRODUCT_REVOKED');
  });

  test('setMinimumVersion refuses a version that is not semver and makes older versions unsupported', () => {
    expect(denied(setMinimumVersion(productIn('CERTIFIED'), 'latest', REQUEST, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
    expect(denied(setMinimumVersion(productIn('CERTIFIED'), '3.1.0\n', REQUEST, ADMIN, NOW)).details).toMatchObject({ field: 'minimumVersion' });
    const { next } = accepted(setMinimumVersion(productIn('CERTIFIED'), '3.1.0', REQUEST, ADMIN, NOW));
    expect(productDenialAt(next, developerIn('ACTIVE'), '3.0.9', NOW)?.code).toBe('PRODUCT_VERSION_UNSUPPORTED');
    expect(productDenialAt(next, developerIn('ACTIVE'), '3.1.0', NOW)).toBeNull();
  });
});
