/**
 * The effective status of a product at a given time: the product check of DESIGN.md §6 as one
 * pure function. Order matters and is the contract: register, developer standing, revoked,
 * suspended, certified, expired, version.
 */
import semver from 'semver';
import { denial, type Denial } from '../core/errors.js';
import type { Developer, Product, ProductStatus } from './model.js';

/** The product's status once lapsed suspensions are taken into account. Expiry is computed, never stored. */
export function currentProductStatus(product: Product, now: number): ProductStatus {
  if (product.status === 'SUSPENDED' && product.suspension?.until && Date.parse(product.suspension.until) <= now) {
    return product.suspension.resumeStatus;
  }
  return product.status;
}

export function certificationValidAt(product: Product, now: number): boolean {
  const c = product.certification;
  return !!c && Date.parse(c.validFrom) <= now && now < Date.parse(c.validUntil);
}

/**
 * The earliest instant after `now` at which the product's effective state changes by the clock
 * alone (a certification starting or ending, a suspension lapsing), or Infinity. Anything derived
 * from the product and cached must be dropped at that instant.
 */
export function productStateHoldsUntil(product: Product, now: number): number {
  let until = Number.POSITIVE_INFINITY;
  const consider = (iso: string | null | undefined): void => {
    if (!iso) return;
    const at = Date.parse(iso);
    if (at > now && at < until) until = at;
  };
  consider(product.certification?.validFrom);
  consider(product.certification?.validUntil);
  if (product.status === 'SUSPENDED') consider(product.suspension?.until);
  return until;
}

/** Versions are compared as semver; a version that is not semver is never supported. */
export function versionSupported(version: string | null, minimum: string): boolean {
  if (!version) return false;
  const v = semver.valid(version);
  const min = semver.valid(minimum);
  if (!v || !min) return false;
  return semver.gte(v, min);
}

/**
 * Null when the product may be served at `now` with `version`; otherwise the first failing
 * check, with its own code.
 */
export function productDenialAt(product: Product | null | undefined, developer: Developer | null | undefined, version: string | null, now: number): Denial | null {
  if (!product) return denial('PRODUCT_NOT_REGISTERED', 'The software is not on the register.');
  if (!developer || developer.status !== 'ACTIVE') {
    return denial('DEVELOPER_NOT_IN_GOOD_STANDING', 'The software developer is not in good standing.', { developerStatus: developer?.status ?? 'NOT_REGISTERED' });
  }
  const status = currentProductStatus(product, now);
  if (status === 'REVOKED') return denial('PRODUCT_REVOKED', 'The product has been revoked.');
  if (status === 'SUSPENDED') return denial('PRODUCT_SUSPENDED', 'The product is suspended.', product.suspension?.until ? { until: product.suspension.until } : undefined);
  if (status !== 'CERTIFIED' || !product.certification || Date.parse(product.certification.validFrom) > now) {
    return denial('PRODUCT_NOT_CERTIFIED', 'The product is not certified.', { productStatus: status });
  }
  if (!certificationValidAt(product, now)) return denial('CERTIFICATION_EXPIRED', 'The product certification has expired.', { validUntil: product.certification.validUntil });
  if (!versionSupported(version, product.minimumVersion)) {
    return denial('PRODUCT_VERSION_UNSUPPORTED', `Version ${version ?? '(none)'} is below the minimum supported version.`, { minimumVersion: product.minimumVersion });
  }
  return null;
}
