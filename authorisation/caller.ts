/**
 * Joins a verified token with the register into the Caller directive evaluators see, and runs the
 * product check (DESIGN.md §6) for third-party tokens. Pure: the registry view is in memory.
 * `createCallerResolver` memoises the result per (verified token, register revision) for as long
 * as the clock leaves it true, so a caller's sets, grants key and product view are built once per
 * token and register change rather than on every request.
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
  /**
   * The request's instant: the product check holds at it, and field decisions are taken at it
   * (the caller's own facts may have been resolved earlier, see createCallerResolver).
   */
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
      caller: Object.freeze({ kind: 'staff', ...base, product: null, clientAuthorisation: () => NOT_AUTHORISED, holdsUntil: Number.POSITIVE_INFINITY }),
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
    // Asked at the decision's instant, not the resolution's: a memoised caller serves later requests.
    clientAuthorisation: (clientId, at) => (org ? registry.clientAuthorisation(org, clientId, at) : NOT_AUTHORISED),
    holdsUntil: product ? productStateHoldsUntil(product, now) : Number.POSITIVE_INFINITY,
  };
  return {
    caller: Object.freeze(caller),
    product: product ?? null,
    developer: developer ?? null,
    denial: productDenial,
    at: now,
    // The global revision covers the product, its developer and every authorisation.
    grantsKey: JSON.stringify(['product', token.softwareId, org, [...scopes].sort(), [...roles].sort(), token.mfa, revision]),
  };
}

/** A resolution, reused while the register's revision is unchanged and the clock stays in [from, until). */
interface MemoisedCaller {
  revision: number;
  from: number;
  until: number;
  resolved: ResolvedCaller;
}

/**
 * `resolveCaller` over one registry view, memoised per (verified token, register revision): the
 * token cache hands every request with the same token the same frozen VerifiedToken, so that
 * object is the key (held weakly: an entry lives exactly as long as the token cache, or a request
 * in flight, holds the token; the token cache's bound therefore bounds this memo in entries, but
 * its bytes, and those of the assertion claims the data source keeps per caller, are not counted
 * in TOKEN_CACHE_MIB: a few times a token's own size per cached token).
 *
 * What a resolution reads, and how the memo keeps each fact:
 * - the token's claims: the token object itself is the key (frozen; a different token is a different key);
 * - the register (product, developer, every authorisation): its global revision, compared on every use;
 * - the clock: the product check and the caller's `holdsUntil` hold from the instant of resolution
 *   until the product's state next changes by the clock alone (`caller.holdsUntil`: a certification
 *   starting or ending, a suspension lapsing); outside [from, until) the caller is resolved afresh.
 *   Client authorisations are not resolved here at all: the caller asks the register at the instant
 *   of each decision (`clientAuthorisation(clientId, now)`).
 * The returned object is per request (its `at` is the request's instant); the rest is shared and frozen.
 */
export function createCallerResolver(registry: RegistryView): (token: VerifiedToken, now: number) => ResolvedCaller {
  const memo = new WeakMap<VerifiedToken, MemoisedCaller>();
  return (token, now) => {
    const revision = registry.revision();
    const hit = memo.get(token);
    if (hit && hit.revision === revision && now >= hit.from && now < hit.until) return { ...hit.resolved, at: now };
    const resolved = resolveCaller(token, registry, now);
    memo.set(token, { revision, from: now, until: resolved.caller.holdsUntil, resolved });
    return resolved;
  };
}
