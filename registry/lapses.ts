/**
 * Timed states as events. A suspension with `until`, a certification's `validFrom` (when it was
 * certified ahead of time) and `validUntil`, and a client authorisation's `expiresAt` change what
 * the register means at an instant nobody edits it. Enforcement has always read them from the
 * clock; the register records them too, so its stored state, its list filters, the transitions
 * it allows and its history agree at every instant: each passed instant becomes one change by
 * the actor `system`, effective at that instant, recorded before anything else reads or changes
 * the record (subgraphs/registry/lapses.ts does the recording). The next editor is never credited
 * with a lapse.
 *
 * A change's own `effectiveAt` cannot be in the future (registry/change-note.ts), so these are the
 * only scheduled states. Pure: the caller gives the instant.
 */
import type { ChangeNote } from './changes.js';
import type { ClientAuthorisation, Product } from './model.js';

/** The actor of every change the clock makes. */
export const SYSTEM_ACTOR = 'system';

export const LAPSE_ACTIONS = ['suspensionLapsed', 'certificationTookEffect', 'certificationExpired', 'authorisationExpired'] as const;
export type LapseAction = (typeof LAPSE_ACTIONS)[number];

/** One change the clock made: the record after it and its history note. */
export interface Lapse<T> {
  next: T;
  note: ChangeNote;
}

interface Due<T> {
  at: number;
  apply: () => Lapse<T>;
}

function note(action: LapseAction, at: number, reason: string): ChangeNote {
  return { action, actor: SYSTEM_ACTOR, reason, ticket: null, effectiveAt: new Date(at).toISOString() };
}

function pending(product: Product): Array<Due<Product>> {
  const out: Array<Due<Product>> = [];
  const { suspension, certification: c } = product;
  if (product.status === 'SUSPENDED' && suspension?.until) {
    const until = suspension.until;
    out.push({
      at: Date.parse(until),
      apply: () => ({
        next: { ...product, status: suspension.resumeStatus, statusReason: 'The suspension lapsed.', suspension: null },
        note: note('suspensionLapsed', Date.parse(until), `The suspension set to end at ${until} ended; the product is ${suspension.resumeStatus} again.`),
      }),
    });
  }
  if (c && product.status !== 'REVOKED') {
    const from = Date.parse(c.validFrom);
    if (!c.startRecorded && from > Date.parse(c.certifiedAt)) {
      out.push({
        at: from,
        apply: () => ({ next: { ...product, certification: { ...c, startRecorded: true } }, note: note('certificationTookEffect', from, `The certification took effect at ${c.validFrom}.`) }),
      });
    }
    if (!c.expiryRecorded) {
      const until = Date.parse(c.validUntil);
      out.push({
        at: until,
        apply: () => ({ next: { ...product, certification: { ...c, expiryRecorded: true } }, note: note('certificationExpired', until, `The certification expired at ${c.validUntil}.`) }),
      });
    }
  }
  return out;
}

function earliest<T>(due: Array<Due<T>>): Due<T> | null {
  let first: Due<T> | null = null;
  for (const d of due) if (!Number.isNaN(d.at) && (!first || d.at < first.at)) first = d;
  return first;
}

/** The earliest instant at which the clock will change this product, or null (nothing scheduled). */
export function productLapseInstant(product: Product): number | null {
  return earliest(pending(product))?.at ?? null;
}

/**
 * The first change the clock has made to the product by `now`, or null. Apply it and ask again:
 * a suspension that lapsed after the certification expired gives two changes, in time order.
 */
export function nextProductLapse(product: Product, now: number): Lapse<Product> | null {
  const first = earliest(pending(product));
  return first && first.at <= now ? first.apply() : null;
}

/** The instant the authorisation will expire, unless it is revoked or its expiry is on record. */
export function authorisationLapseInstant(a: ClientAuthorisation): number | null {
  if (a.revoked || a.expiryRecorded || !a.expiresAt) return null;
  const at = Date.parse(a.expiresAt);
  return Number.isNaN(at) ? null : at;
}

export function nextAuthorisationLapse(a: ClientAuthorisation, now: number): Lapse<ClientAuthorisation> | null {
  const at = authorisationLapseInstant(a);
  if (at === null || at > now) return null;
  return { next: { ...a, expiryRecorded: true }, note: note('authorisationExpired', at, `The authorisation expired at ${a.expiresAt}.`) };
}
