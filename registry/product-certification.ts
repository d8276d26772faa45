/**
 * The admin's certification decisions: certify (or recertify) with a tier, a validity period
 * and the services to whitelist; widen or narrow the whitelist later. Every whitelist is checked
 * against the self-certification's NOT_MET requirements (certification-rules.ts). Expiry is
 * never stored: `validUntil` is compared with the clock at enforcement time.
 */
import { denial } from '../core/errors.js';
import { isDenial, type ChangeRequest, type Outcome } from './change-note.js';
import { certificationDenial, validateServiceNames } from './certification-rules.js';
import { INSTANT_EXAMPLE, parseInstant, toIso } from './instants.js';
import { CERTIFICATION_TIERS, type CertificationTier, type Product } from './model.js';
import { approvedManifest } from './operation-manifest.js';
import { transitionProduct } from './product-transitions.js';

export interface CertificationInput {
  tier: CertificationTier;
  validFrom: string;
  validUntil: string;
  services: string[];
  /** A pending operation-manifest version to approve with the certification (operation-manifest.ts). */
  manifestVersion?: number | null;
}

/** SELF_CERTIFIED → CERTIFIED, or CERTIFIED → CERTIFIED (recertification, replacing tier, validity and whitelist). */
export function certifyProduct(product: Product, input: CertificationInput, request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'certifyProduct', request, actor, now, () => {
    // The table only lets self-certified (or already certified) products here; a record without
    // one would be corrupt, and certifying it would bypass the requirement checks.
    if (!product.selfCertification) {
      return denial('ILLEGAL_TRANSITION', 'The product has no self-certification to certify.', { entityType: 'PRODUCT', currentState: product.status, action: 'certifyProduct' });
    }
    if (!(CERTIFICATION_TIERS as readonly string[]).includes(input.tier)) return denial('BAD_USER_INPUT', 'Unknown certification tier.', { field: 'tier' });
    const from = parseInstant(input.validFrom);
    const until = parseInstant(input.validUntil);
    if (from === null) return denial('BAD_USER_INPUT', `validFrom must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { field: 'validFrom' });
    if (until === null) return denial('BAD_USER_INPUT', `validUntil must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { field: 'validUntil' });
    if (until <= from) return denial('BAD_USER_INPUT', 'validUntil must be after validFrom.', { field: 'validUntil' });
    if (until <= now) return denial('BAD_USER_INPUT', 'validUntil is already past: the certification would be born expired.', { field: 'validUntil' });
    const services = validateServiceNames(input.services, { allowEmpty: true });
    if (isDenial(services)) return services;
    const blocked = certificationDenial(product.selfCertification, input.tier, services);
    if (blocked) return blocked;
    const manifest = input.manifestVersion == null ? {} : approvedManifest(product, input.manifestVersion, actor, now);
    if (isDenial(manifest)) return manifest;
    return {
      certification: { tier: input.tier, validFrom: toIso(from), validUntil: toIso(until), certifiedAt: toIso(now), certifiedBy: actor },
      services,
      ...manifest,
    };
  });
}

/** CERTIFIED → CERTIFIED with more services (each new one checked against NOT_MET requirements). */
export function whitelistServices(product: Product, services: string[], request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'whitelistServices', request, actor, now, () => {
    const added = validateServiceNames(services, { allowEmpty: false });
    if (isDenial(added)) return added;
    const already = added.filter((s) => product.services.includes(s));
    if (already.length) return denial('BAD_USER_INPUT', 'Some services are already whitelisted.', { field: 'services', alreadyWhitelisted: already });
    if (!product.selfCertification) return denial('ILLEGAL_TRANSITION', 'The product has no self-certification.', { entityType: 'PRODUCT', currentState: product.status, action: 'whitelistServices' });
    const blocked = certificationDenial(product.selfCertification, null, added);
    if (blocked) return blocked;
    const all = validateServiceNames([...product.services, ...added], { allowEmpty: false });
    return isDenial(all) ? all : { services: all };
  });
}

/** CERTIFIED or SUSPENDED, same status, fewer services. */
export function removeServices(product: Product, services: string[], request: ChangeRequest, actor: string, now: number): Outcome<Product> {
  return transitionProduct(product, 'removeServices', request, actor, now, () => {
    const removed = validateServiceNames(services, { allowEmpty: false });
    if (isDenial(removed)) return removed;
    const missing = removed.filter((s) => !product.services.includes(s));
    if (missing.length) return denial('BAD_USER_INPUT', 'Some services are not whitelisted.', { field: 'services', notWhitelisted: missing });
    const gone = new Set<string>(removed);
    return { services: product.services.filter((s) => !gone.has(s)) };
  });
}
