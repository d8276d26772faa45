/** Register ids: `DEV-` / `PRD-` + an uppercase random suffix (the demo register uses readable ones like DEV-GOOD). */
import { newPrefixedId } from '../core/random-id.js';

/** A new developer id, e.g. `DEV-7K2M9QX4D1`. 50 random bits: collisions are caught by the store on create anyway. */
export function newDeveloperId(): string {
  return newPrefixedId('DEV');
}

export function newProductId(): string {
  return newPrefixedId('PRD');
}

/** Ids the register accepts as arguments: the prefix plus uppercase letters, digits and dashes. */
export function isDeveloperId(s: unknown): s is string {
  return typeof s === 'string' && /^DEV-[A-Z0-9-]{1,40}$/.test(s);
}

export function isProductId(s: unknown): s is string {
  return typeof s === 'string' && /^PRD-[A-Z0-9-]{1,40}$/.test(s);
}
