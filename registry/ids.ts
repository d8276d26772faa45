/** Register ids: `DEV-` / `PRD-` + an uppercase random suffix (the demo register uses readable ones like DEV-GOOD). */
import { randomBytes } from 'node:crypto';

// Crockford base32 without I, L, O, U: readable aloud and never ambiguous in a ticket.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function randomSuffix(length: number): string {
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 31];
  return s;
}

/** A new developer id, e.g. `DEV-7K2M9QX4D1`. 50 random bits: collisions are caught by the store on create anyway. */
export function newDeveloperId(): string {
  return `DEV-${randomSuffix(10)}`;
}

export function newProductId(): string {
  return `PRD-${randomSuffix(10)}`;
}

/** Ids the register accepts as arguments: the prefix plus uppercase letters, digits and dashes. */
export function isDeveloperId(s: unknown): s is string {
  return typeof s === 'string' && /^DEV-[A-Z0-9-]{1,40}$/.test(s);
}

export function isProductId(s: unknown): s is string {
  return typeof s === 'string' && /^PRD-[A-Z0-9-]{1,40}$/.test(s);
}
