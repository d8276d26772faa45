/**
 * What a self-certification with gaps may still be certified for (framework scenario 2: "limited
 * services, no restricted data"). A requirement assessed NOT_MET blocks the services that depend
 * on it and, for the controls protecting stored or restricted data, the ENHANCED tier (restricted
 * data needs ENHANCED). A COMPENSATING_CONTROL counts as met: the assessor accepted it.
 */
import { denial, type Denial } from '../core/errors.js';
import { SERVICES, type CertificationTier, type Requirement, type SelfCertification, type Service } from './model.js';

export interface RequirementDependency {
  /** Services that may not be whitelisted while the requirement is NOT_MET. */
  services: readonly Service[];
  /** Whether a NOT_MET blocks the ENHANCED tier (and with it restricted data). */
  blocksEnhanced: boolean;
}

const ALL: readonly Service[] = SERVICES;
const WRITE: readonly Service[] = ['lodgments.write'];

/**
 * The dependency table. Why each row:
 * - transit encryption protects every response, so without it nothing may be served;
 * - key management, MFA and indirect access guard who can act and what they reach: without
 *   them a product may not lodge or see account balances;
 * - at-rest encryption and data hosting govern where copies of ATO data live: no bulk financial
 *   data (accounts) and no restricted data;
 * - server configuration, vulnerability management, cookie handling, audit logging and security
 *   monitoring are what detect or prevent a hijacked session: reads may go on, lodging may not.
 */
export const REQUIREMENT_DEPENDENCIES: Readonly<Record<Requirement, RequirementDependency>> = {
  ENCRYPTION_KEY_MANAGEMENT: { services: [...WRITE, 'accounts.read'], blocksEnhanced: true },
  ENCRYPTION_IN_TRANSIT: { services: ALL, blocksEnhanced: true },
  MULTIFACTOR_AUTHENTICATION: { services: [...WRITE, 'accounts.read'], blocksEnhanced: true },
  INDIRECT_ACCESS_TO_DATA: { services: [...WRITE, 'accounts.read'], blocksEnhanced: false },
  APP_SERVER_CONFIGURATION: { services: WRITE, blocksEnhanced: false },
  VULNERABILITY_MANAGEMENT: { services: WRITE, blocksEnhanced: true },
  COOKIE_MANAGEMENT: { services: WRITE, blocksEnhanced: false },
  ENCRYPTION_AT_REST: { services: ['accounts.read'], blocksEnhanced: true },
  AUDIT_LOGGING: { services: WRITE, blocksEnhanced: false },
  DATA_HOSTING: { services: ['accounts.read'], blocksEnhanced: true },
  SECURITY_MONITORING_PRACTICE: { services: WRITE, blocksEnhanced: true },
};

export function notMetRequirements(selfCertification: SelfCertification): Requirement[] {
  return selfCertification.assessments.filter((a) => a.outcome === 'NOT_MET').map((a) => a.requirement);
}

/** For each service in `services` that a NOT_MET blocks, the requirements blocking it. */
export function blockedServices(selfCertification: SelfCertification, services: readonly string[]): Array<{ service: string; requirements: Requirement[] }> {
  const notMet = notMetRequirements(selfCertification);
  return services
    .map((service) => ({ service, requirements: notMet.filter((r) => (REQUIREMENT_DEPENDENCIES[r].services as readonly string[]).includes(service)) }))
    .filter((b) => b.requirements.length > 0);
}

/** The services a product with this self-certification may be whitelisted for. */
export function allowedServices(selfCertification: SelfCertification): Service[] {
  const blocked = new Set(blockedServices(selfCertification, SERVICES).map((b) => b.service));
  return SERVICES.filter((s) => !blocked.has(s));
}

export function tierBlockedBy(selfCertification: SelfCertification, tier: CertificationTier): Requirement[] {
  if (tier !== 'ENHANCED') return [];
  return notMetRequirements(selfCertification).filter((r) => REQUIREMENT_DEPENDENCIES[r].blocksEnhanced);
}

/** Known service names, each once; BAD_USER_INPUT listing the unknown ones otherwise. */
export function validateServiceNames(services: readonly string[], options: { allowEmpty: boolean }): Service[] | Denial {
  const unique = [...new Set(services ?? [])];
  const unknown = unique.filter((s) => !(SERVICES as readonly string[]).includes(s));
  if (unknown.length) return denial('BAD_USER_INPUT', `Unknown services: ${unknown.join(', ')}.`, { field: 'services', unknown, known: [...SERVICES] });
  if (!options.allowEmpty && unique.length === 0) return denial('BAD_USER_INPUT', 'At least one service is required.', { field: 'services' });
  // Stored in the canonical order so equal whitelists compare equal.
  return SERVICES.filter((s) => unique.includes(s));
}

/**
 * Null when `tier` and `services` are compatible with the self-certification's NOT_MET
 * requirements; otherwise BAD_USER_INPUT listing what blocks what.
 */
export function certificationDenial(selfCertification: SelfCertification, tier: CertificationTier | null, services: readonly string[]): Denial | null {
  const blocked = blockedServices(selfCertification, services);
  const tierBlockers = tier ? tierBlockedBy(selfCertification, tier) : [];
  if (!blocked.length && !tierBlockers.length) return null;
  return denial('BAD_USER_INPUT', 'Requirements assessed NOT_MET block part of this certification.', {
    blockedServices: blocked,
    ...(tierBlockers.length ? { blockedTier: { tier, requirements: tierBlockers } } : {}),
    allowedServices: allowedServices(selfCertification),
  });
}
