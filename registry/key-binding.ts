/**
 * Sender-constrained tokens on the register (DPoP, RFC 9449): the public keys a product's tokens
 * are bound to, by RFC 7638 JWK SHA-256 thumbprint, and whether binding is required. Pure: the
 * command gets the actor and the clock from its caller, like every other product command.
 *
 * Who decides: the ATO admin (with MFA), as part of certification. A developer's staff could
 * register keys for their own products, but a stolen developer login would then be enough to add
 * an attacker's key to a product and defeat the binding; keeping it with the admin keeps the two
 * secrets (the product's key and the admin's decision) apart. Developers ask through a ticket.
 */
import { denial, type Denial } from '../core/errors.js';
import { isDenial, type ChangeRequest, type Outcome } from './change-note.js';
import type { KeyBinding, Product } from './model.js';
import { transitionProduct } from './product-transitions.js';

/** An RFC 7638 SHA-256 thumbprint: 32 bytes, base64url without padding. */
export const THUMBPRINT_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Most keys one product may have registered at once (a current key and its successors during a rotation). */
export const MAX_THUMBPRINTS = 10;

export interface KeyBindingInput {
  required: boolean;
  thumbprints: readonly string[];
}

/** The binding to store for `input`, or why not: null when nothing is required and no key is listed. */
export function keyBindingOf(input: KeyBindingInput): KeyBinding | null | Denial {
  if (!Array.isArray(input.thumbprints)) return denial('BAD_USER_INPUT', 'thumbprints must be a list.', { field: 'thumbprints' });
  if (input.thumbprints.length > MAX_THUMBPRINTS) return denial('BAD_USER_INPUT', `At most ${MAX_THUMBPRINTS} thumbprints.`, { field: 'thumbprints', problem: 'TOO_MANY' });
  const seen = new Set<string>();
  for (const [i, raw] of input.thumbprints.entries()) {
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof value !== 'string' || !THUMBPRINT_PATTERN.test(value)) {
      return denial('BAD_USER_INPUT', 'A thumbprint is the RFC 7638 SHA-256 JWK thumbprint, base64url without padding (43 characters).', { field: `thumbprints.${i}`, problem: 'NOT_JWK_THUMBPRINT' });
    }
    seen.add(value);
  }
  // A required binding with no key would refuse every token of the product: suspension is the tool for that.
  if (input.required && seen.size === 0) return denial('BAD_USER_INPUT', 'A required key binding needs at least one thumbprint.', { field: 'thumbprints', problem: 'EMPTY' });
  if (!input.required && seen.size === 0) return null;
  return { required: input.required === true, thumbprints: [...seen] };
}

/** Same status, new key binding (or none); any status but REVOKED. */
export function setKeyBinding(product: Product, input: KeyBindingInput, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'setKeyBinding', request, actor, now, () => {
    const keyBinding = keyBindingOf(input);
    return isDenial(keyBinding) ? keyBinding : { keyBinding };
  });
}

/** Whether the product's tokens must be DPoP-bound. */
export function bindingRequired(product: Pick<Product, 'keyBinding'> | null | undefined): boolean {
  return product?.keyBinding?.required === true;
}
