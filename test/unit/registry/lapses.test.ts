import { nextAuthorisationLapse, nextProductLapse, productLapseInstant } from '../../../registry/lapses.js';
import type { Product } from '../../../registry/model.js';
import { DAY, NOW, productIn } from './fixtures.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Applies every lapse due at `now`, returning the actions in order. */
function drain(product: Product, now: number): { actions: string[]; last: Product } {
  const actions: string[] = [];
  let current = product;
  for (let lapse = nextProductLapse(current, now); lapse; lapse = nextProductLapse(current, now)) {
    actions.push(`${lapse.note.action}@${lapse.note.effectiveAt}`);
    expect(lapse.note.actor).toBe('system');
    current = lapse.next;
  }
  return { actions, last: current };
}

describe('the clock’s changes to a product', () => {
  const certification = { tier: 'STANDARD' as const, validFrom: iso(NOW - 10 * DAY), validUntil: iso(NOW + 2 * DAY), certifiedAt: iso(NOW - 10 * DAY), certifiedBy: 'a' };
  const suspendedUntil = (until: number) =>
    productIn('SUSPENDED', { certification, suspension: { reason: 'r', since: iso(NOW - DAY), until: iso(until), actor: 'a', resumeStatus: 'CERTIFIED' } });

  it('has nothing due before the instant and the lapse at it', () => {
    const p = suspendedUntil(NOW + DAY);
    expect(nextProductLapse(p, NOW + DAY - 1)).toBeNull();
    expect(productLapseInstant(p)).toBe(NOW + DAY);
    expect(nextProductLapse(p, NOW + DAY)?.next).toMatchObject({ status: 'CERTIFIED', suspension: null });
  });

  it('records a certification that expired during a suspension, then the suspension lapsing, in time order', () => {
    const { actions, last } = drain(suspendedUntil(NOW + 3 * DAY), NOW + 5 * DAY);
    expect(actions).toEqual([`certificationExpired@${iso(NOW + 2 * DAY)}`, `suspensionLapsed@${iso(NOW + 3 * DAY)}`]);
    expect(last).toMatchObject({ status: 'CERTIFIED', suspension: null, certification: { expiryRecorded: true } });
    expect(productLapseInstant(last)).toBeNull();
  });

  it('records nothing for an open-ended suspension or a revoked product', () => {
    expect(drain(productIn('SUSPENDED', { certification: { ...certification, validUntil: iso(NOW + 100 * DAY) } }), NOW + DAY).actions).toEqual([]);
    expect(drain(productIn('REVOKED', { certification }), NOW + 100 * DAY).actions).toEqual([]);
  });
});

describe('the clock’s changes to a client authorisation', () => {
  const a = { org: '51824753556', clientId: 'C-000001', grantedAt: iso(NOW - DAY), expiresAt: iso(NOW + DAY), revoked: false, revision: 3 };

  it('records the expiry once, and never for a revoked one', () => {
    const lapse = nextAuthorisationLapse(a, NOW + DAY)!;
    expect(lapse.note).toMatchObject({ action: 'authorisationExpired', actor: 'system', effectiveAt: a.expiresAt });
    expect(nextAuthorisationLapse(lapse.next, NOW + 2 * DAY)).toBeNull();
    expect(nextAuthorisationLapse({ ...a, revoked: true }, NOW + 2 * DAY)).toBeNull();
  });
});
