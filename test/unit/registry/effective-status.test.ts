import { currentProductStatus, productDenialAt, versionSupported } from '../../../registry/effective-status.js';
import { developer, NOW, product } from '../../helpers/registry.js';

const codeOf = (...args: Parameters<typeof productDenialAt>) => productDenialAt(...args)?.code ?? null;
const day = 86_400_000;

describe('productDenialAt', () => {
  it('serves a certified product of a developer in good standing at a supported version', () => {
    expect(codeOf(product(), developer(), '2.0.0', NOW)).toBeNull();
  });
  it('refuses an unknown product', () => {
    expect(codeOf(null, developer(), '2.0.0', NOW)).toBe('PRODUCT_NOT_REGISTERED');
  });
  it.each(['PENDING', 'SUSPENDED', 'DEREGISTERED', 'REJECTED'] as const)('refuses every product of a %s developer', (status) => {
    expect(codeOf(product(), developer({ status }), '2.0.0', NOW)).toBe('DEVELOPER_NOT_IN_GOOD_STANDING');
  });
  it('refuses a product whose developer is missing', () => {
    expect(codeOf(product(), null, '2.0.0', NOW)).toBe('DEVELOPER_NOT_IN_GOOD_STANDING');
  });
  it('refuses a revoked product', () => {
    expect(codeOf(product({ status: 'REVOKED' }), developer(), '2.0.0', NOW)).toBe('PRODUCT_REVOKED');
  });
  it('refuses a suspended product', () => {
    const suspension = { reason: 'r', since: new Date(NOW - day).toISOString(), until: null, actor: 'a', resumeStatus: 'CERTIFIED' as const };
    expect(codeOf(product({ status: 'SUSPENDED', suspension }), developer(), '2.0.0', NOW)).toBe('PRODUCT_SUSPENDED');
  });
  it('serves again once a suspension with an end date has lapsed', () => {
    const suspension = { reason: 'r', since: new Date(NOW - 2 * day).toISOString(), until: new Date(NOW - day).toISOString(), actor: 'a', resumeStatus: 'CERTIFIED' as const };
    const p = product({ status: 'SUSPENDED', suspension });
    expect(currentProductStatus(p, NOW)).toBe('CERTIFIED');
    expect(codeOf(p, developer(), '2.0.0', NOW)).toBeNull();
  });
  it.each(['REGISTERED', 'SELF_CERTIFIED', 'CERTIFICATION_REJECTED'] as const)('refuses a %s product as not certified', (status) => {
    expect(codeOf(product({ status, certification: null }), developer(), '2.0.0', NOW)).toBe('PRODUCT_NOT_CERTIFIED');
  });
  it('refuses a certification that is not yet valid', () => {
    const p = product();
    p.certification = { ...p.certification!, validFrom: new Date(NOW + day).toISOString() };
    expect(codeOf(p, developer(), '2.0.0', NOW)).toBe('PRODUCT_NOT_CERTIFIED');
  });
  it('refuses an expired certification (computed from validUntil, not stored)', () => {
    const p = product();
    p.certification = { ...p.certification!, validUntil: new Date(NOW - 1).toISOString() };
    expect(p.status).toBe('CERTIFIED');
    expect(codeOf(p, developer(), '2.0.0', NOW)).toBe('CERTIFICATION_EXPIRED');
  });
  it('refuses a version below the minimum, a missing version and a non-semver version', () => {
    expect(codeOf(product(), developer(), '1.9.9', NOW)).toBe('PRODUCT_VERSION_UNSUPPORTED');
    expect(codeOf(product(), developer(), null, NOW)).toBe('PRODUCT_VERSION_UNSUPPORTED');
    expect(codeOf(product(), developer(), 'latest', NOW)).toBe('PRODUCT_VERSION_UNSUPPORTED');
  });
  it('checks in the documented order: developer standing before product state', () => {
    expect(codeOf(product({ status: 'REVOKED' }), developer({ status: 'SUSPENDED' }), '1.0.0', NOW)).toBe('DEVELOPER_NOT_IN_GOOD_STANDING');
    expect(codeOf(product({ status: 'REVOKED' }), developer(), '1.0.0', NOW)).toBe('PRODUCT_REVOKED');
  });
});

describe('versionSupported', () => {
  it('compares as semver, not as strings', () => {
    expect(versionSupported('10.0.0', '2.0.0')).toBe(true);
    expect(versionSupported('2.0.0-beta.1', '2.0.0')).toBe(false);
    expect(versionSupported('2.0.1', '2.0.0')).toBe(true);
  });
});
