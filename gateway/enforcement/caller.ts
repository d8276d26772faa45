/**
 * Joins a verified token with the register into the Caller directive evaluators see, and runs the
 * product check (DESIGN.md §6) for third-party tokens. Pure: the registry view is in memory.
 */
import type { Denial } from '../../core/errors.js';
import { denial } from '../../core/errors.js';
import type { Caller } from '../../directives/caller.js';
import { productDenialAt } from '../../registry/effective-status.js';
import type { Developer, Product } from '../../registry/model.js';
import type { VerifiedToken } from '../auth/verified-token.js';
import type { RegistryView } from '../registry/snapshot.js';

export interface ResolvedCaller {
  caller: Caller;
  product: Product | null;
  developer: Developer | null;
  /** The product check's refusal, or null. */
  denial: Denial | null;
  /** Key of everything a field decision depends on besides the document and variables. */
  grantsKey: string;
}

const ONSHORE = new Set(['AU']);

export function resolveCaller(token: VerifiedToken, registry: RegistryView, now: number): ResolvedCaller {
  const scopes = new Set(token.scopes);
  const roles = new Set(token.roles);
  const base = { sub: token.sub, org: token.org, scopes, roles, mfa: token.mfa };
  const revision = registry.revision();
  if (token.kind === 'staff') {
    return {
      caller: { kind: 'staff', ...base, product: null, mayActFor: () => false },
      product: null,
      developer: null,
      denial: null,
      grantsKey: `staff|${[...roles].sort().join(',')}|${token.mfa}|r${revision}`,
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
    mayActFor: (clientId) => !!org && registry.mayActFor(org, clientId, now),
  };
  return {
    caller,
    product: product ?? null,
    developer: developer ?? null,
    denial: productDenial,
    // The global revision covers the product, its developer and every authorisation.
    grantsKey: `product|${token.softwareId}|${org}|${[...scopes].sort().join(' ')}|${token.mfa}|r${revision}`,
  };
}
