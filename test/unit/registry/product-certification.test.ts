import { certificationValidAt, productDenialAt } from '../../../registry/effective-status.js';
import { allowedServices, REQUIREMENT_DEPENDENCIES } from '../../../registry/certification-rules.js';
import { REQUIREMENTS, SERVICES, type Product } from '../../../registry/model.js';
import { certifyProduct, removeServices, whitelistServices } from '../../../registry/product-certification.js';
import { accepted, ADMIN, assessments, DAY, denied, developerIn, NOW, productIn, REQUEST } from './fixtures.js';

const YEAR = { validFrom: new Date(NOW).toISOString(), validUntil: new Date(NOW + 365 * DAY).toISOString() };

function selfCertifiedWith(outcomes: Parameters<typeof assessments>[0]): Product {
  const p = productIn('SELF_CERTIFIED');
  return { ...p, selfCertification: { ...p.selfCertification!, assessments: assessments(outcomes) } };
}

describe('certifyProduct', () => {
  test('records tier, validity, certifier and whitelist; the product is then served', () => {
    const { next } = accepted(certifyProduct(productIn('SELF_CERTIFIED'), { tier: 'ENHANCED', ...YEAR, services: ['lodgments.read', 'clients.read', 'clients.read'] }, REQUEST, ADMIN, NOW));
    expect(next.status).toBe('CERTIFIED');
    expect(next.certification).toMatchObject({ tier: 'ENHANCED', ...YEAR, certifiedBy: ADMIN });
    expect(next.services).toEqual(['clients.read', 'lodgments.read']);
    expect(productDenialAt(next, developerIn('ACTIVE'), '2.0.0', NOW)).toBeNull();
  });

  test('expiry is computed from validUntil, not stored', () => {
    const { next } = accepted(certifyProduct(productIn('SELF_CERTIFIED'), { tier: 'STANDARD', ...YEAR, services: ['clients.read'] }, REQUEST, ADMIN, NOW));
    expect(next.status).toBe('CERTIFIED');
    expect(certificationValidAt(next, NOW + 366 * DAY)).toBe(false);
    expect(productDenialAt(next, developerIn('ACTIVE'), '2.0.0', NOW + 366 * DAY)?.code).toBe('CERTIFICATION_EXPIRED');
  });

  test('recertifying a certified product replaces validity and whitelist', () => {
    const validUntil = new Date(NOW + 700 * DAY).toISOString();
    const { next } = accepted(certifyProduct(productIn('CERTIFIED'), { tier: 'STANDARD', validFrom: YEAR.validFrom, validUntil, services: ['accounts.read'] }, REQUEST, ADMIN, NOW));
    expect(next.certification?.validUntil).toBe(validUntil);
    expect(next.services).toEqual(['accounts.read']);
  });

  test.each([
    ['validUntil before validFrom', { validFrom: YEAR.validUntil, validUntil: YEAR.validFrom }, 'validUntil'],
    ['validUntil already past', { validFrom: new Date(NOW - 10 * DAY).toISOString(), validUntil: new Date(NOW - DAY).toISOString() }, 'validUntil'],
    ['a validFrom that is not RFC 3339', { validFrom: 'next Tuesday', validUntil: YEAR.validUntil }, 'validFrom'],
    ['a validUntil on 30 February (Date.parse would make it 2 March)', { validFrom: YEAR.validFrom, validUntil: '2026-02-30T00:00:00Z' }, 'validUntil'],
    ['a validFrom without an offset', { validFrom: '2025-03-01T00:00:00', validUntil: YEAR.validUntil }, 'validFrom'],
    ['a validUntil at hour 24', { validFrom: YEAR.validFrom, validUntil: '2026-01-01T24:00:00Z' }, 'validUntil'],
  ])('refuses %s', (_name, validity, field) => {
    const d = denied(certifyProduct(productIn('SELF_CERTIFIED'), { tier: 'STANDARD', ...validity, services: [] }, REQUEST, ADMIN, NOW));
    expect(d.code).toBe('BAD_USER_INPUT');
    expect(d.details).toMatchObject({ field });
  });

  test('refuses an unknown service or tier', () => {
    expect(denied(certifyProduct(productIn('SELF_CERTIFIED'), { tier: 'STANDARD', ...YEAR, services: ['tfn.harvest'] }, REQUEST, ADMIN, NOW)).details).toMatchObject({ unknown: ['tfn.harvest'] });
    expect(denied(certifyProduct(productIn('SELF_CERTIFIED'), { tier: 'GOLD' as never, ...YEAR, services: [] }, REQUEST, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });

  test('refuses a record that claims SELF_CERTIFIED without a self-certification', () => {
    const corrupt = { ...productIn('SELF_CERTIFIED'), selfCertification: null };
    expect(denied(certifyProduct(corrupt, { tier: 'STANDARD', ...YEAR, services: [] }, REQUEST, ADMIN, NOW)).code).toBe('ILLEGAL_TRANSITION');
  });
});

describe('NOT_MET requirements limit the certification', () => {
  test.each(['MULTIFACTOR_AUTHENTICATION', 'ENCRYPTION_AT_REST', 'DATA_HOSTING'] as const)('NOT_MET %s blocks ENHANCED (restricted data), listing the requirement', (requirement) => {
    const d = denied(certifyProduct(selfCertifiedWith({ [requirement]: 'NOT_MET' }), { tier: 'ENHANCED', ...YEAR, services: ['clients.read'] }, REQUEST, ADMIN, NOW));
    expect(d.code).toBe('BAD_USER_INPUT');
    expect(d.details).toMatchObject({ blockedTier: { tier: 'ENHANCED', requirements: [requirement] } });
  });

  test('NOT_MET blocks the services that depend on it, listing which requirement blocks which service', () => {
    const d = denied(certifyProduct(selfCertifiedWith({ MULTIFACTOR_AUTHENTICATION: 'NOT_MET', AUDIT_LOGGING: 'NOT_MET' }), { tier: 'STANDARD', ...YEAR, services: ['clients.read', 'lodgments.write'] }, REQUEST, ADMIN, NOW));
    expect(d.details?.['blockedServices']).toEqual([{ service: 'lodgments.write', requirements: ['MULTIFACTOR_AUTHENTICATION', 'AUDIT_LOGGING'] }]);
  });

  test('the same product may be certified STANDARD without the blocked services (scenario 2)', () => {
    const { next } = accepted(certifyProduct(selfCertifiedWith({ MULTIFACTOR_AUTHENTICATION: 'NOT_MET' }), { tier: 'STANDARD', ...YEAR, services: ['clients.read', 'lodgments.read'] }, REQUEST, ADMIN, NOW));
    expect(next.services).toEqual(['clients.read', 'lodgments.read']);
  });

  test('a compensating control counts as met', () => {
    const out = certifyProduct(selfCertifiedWith({ MULTIFACTOR_AUTHENTICATION: 'COMPENSATING_CONTROL' }), { tier: 'ENHANCED', ...YEAR, services: [...SERVICES] }, REQUEST, ADMIN, NOW);
    expect(accepted(out).next.certification?.tier).toBe('ENHANCED');
  });

  test('NOT_MET encryption in transit leaves no service', () => {
    const p = selfCertifiedWith({ ENCRYPTION_IN_TRANSIT: 'NOT_MET' });
    expect(allowedServices(p.selfCertification!)).toEqual([]);
  });

  test('the dependency table covers every requirement and names only known services', () => {
    expect(Object.keys(REQUIREMENT_DEPENDENCIES).sort()).toEqual([...REQUIREMENTS].sort());
    for (const dep of Object.values(REQUIREMENT_DEPENDENCIES)) for (const s of dep.services) expect(SERVICES).toContain(s);
  });

  test('whitelisting later is checked against NOT_MET requirements too', () => {
    const p = { ...selfCertifiedWith({ DATA_HOSTING: 'NOT_MET' }), status: 'CERTIFIED' as const, services: ['clients.read'] };
    const d = denied(whitelistServices(p, ['accounts.read'], REQUEST, ADMIN, NOW));
    expect(d.details?.['blockedServices']).toEqual([{ service: 'accounts.read', requirements: ['DATA_HOSTING'] }]);
    expect(accepted(whitelistServices(p, ['lodgments.write'], REQUEST, ADMIN, NOW)).next.services).toEqual(['clients.read', 'lodgments.write']);
  });
});

describe('whitelist changes', () => {
  test('refuses to whitelist a service twice or to remove one that is not whitelisted', () => {
    const p = productIn('CERTIFIED');
    expect(denied(whitelistServices(p, ['clients.read'], REQUEST, ADMIN, NOW)).details).toMatchObject({ alreadyWhitelisted: ['clients.read'] });
    expect(denied(removeServices(p, ['accounts.read'], REQUEST, ADMIN, NOW)).details).toMatchObject({ notWhitelisted: ['accounts.read'] });
    expect(denied(removeServices(p, [], REQUEST, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });

  test('removing a service keeps the status and the rest of the whitelist', () => {
    const { next } = accepted(removeServices(productIn('CERTIFIED'), ['clients.read'], REQUEST, ADMIN, NOW));
    expect(next).toMatchObject({ status: 'CERTIFIED', services: ['lodgments.read'] });
  });
});
