/**
 * Joins a verified token with the register into the Caller directive evaluators see, and runs the
 * product check (DESIGN.md §6) for third-party tokens. Pure: the registry view is in memory.
 */
import type { Denial } from '../core/errors.js';
import { denial } from '../core/errors.js';
import type { Caller } from './directives/caller.js';
import { productDenialAt, productStateHoldsUntil } from '../registry/effective-status.js';
import type { Developer, Product } from '../registry/model.js';
import type { VerifiedToken } from '../core/verified-token.js';
import type { AuthorisationAnswer } from '../registry/authorisations.js';

/** The register as the caller resolution reads it (the gateway's in-memory snapshot). */
export interface RegistryView {
  revision(): number;
  product(id: string): Product | undefined;
  developer(id: string): Developer | undefined;
  /** Whether an unexpired, unrevoked authorisation of the org for the client is on the register at `now`, and until when that answer holds. */
  clientAuthorisation(org: string, clientId: string, now: number): AuthorisationAnswer;
  products(): Iterable<Product>;
}

export interface ResolvedCaller {
  caller: Caller;
  product: Product | null;
  developer: Developer | null;
  /** The product check's refusal, or null. */
  denial: Denial | null;
  /** The instant the caller was resolved at (the register and clock facts are as of then). */
  at: number;
  /**
   * Key of every fact a field decision reads besides the document, the variables and the clock:
   * the register revision (product, developer and every authorisation), the token's product, org,
   * scopes, roles and MFA. The clock is not in the key: decisions carry the instant until which
   * they hold instead (see decision-cache.ts).
   */
  grantsKey: string;
}

const ONSHORE = new Set(['AU']);
const NOT_AUTHORISED = Object.freeze({ authorised: false, holdsUntil: Number.POSITIVE_INFINITY });

export function resolveCaller(token: VerifiedToken, registry: RegistryView, now: number): ResolvedCaller {
  const scopes = new Set(token.scopes);
  const roles = new Set(token.roles);
  const base = { sub: token.sub, org: token.org, scopes, roles, mfa: token.mfa };
  const revision = registry.revision();
  if (token.kind === 'staff') {
    return {
      caller: { kind: 'staff', ...base, product: null, clientAuthorisation: () => NOT_AUTHORISED, holdsUntil: Number.POSITIVE_INFINITY },
      product: null,
      developer: null,
      denial: null,
      at: now,
      grantsKey: JSON.stringify(['staff', [...roles].sort(), token.mfa, revision]),
    };
  }
  const product = token.softwareId ? registry.product(token.softwareId) : undefined;
  const developer = product ? registry.developer(product.developerId) : undefined;
  const productDenial = token.softwareId ? productDenialAt(product, developer, token.softwareVersion, now) : denial('PRODUCT_NOT_REGISTERED', 'The token names no software.');
  const org = token.org;
  const caller: Caller = {
    kind: 'product',
    ...base,
    product: product
      ? { id: product.id, services: new Set(product.services), tier: product.certification?.tier ?? null, onshore: product.dataHosting.length > 0 && product.dataHosting.every((c) => ONSHORE.has(c)) }
      : null,
    clientAuthorisation: (clientId) => (org ? registry.clientAuthorisation(org, clientId, now) : NOT_AUTHORISED),
    holdsUntil: product ? productStateHoldsUntil(product, now) : Number.POSITIVE_INFINITY,
  };
  return {
    caller,
    product: product ?? null,
    developer: developer ?? null,
    denial: productDenial,
    at: now,
    // The global revision covers the product, its developer and every authorisation.
    grantsKey: JSON.stringify(['product', token.softwareId, org, [...scopes].sort(), [...roles].sort(), token.mfa, revision]),
  };
}
