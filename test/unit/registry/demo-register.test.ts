import { isValidAbn } from '../../../core/ids.js';
import { DEMO_DEVELOPER_IDS, DEMO_ORGS, DEMO_PRODUCT_IDS, DEMO_PRODUCT_STATES, demoRegister } from '../../../registry/demo-register.js';
import { productDenialAt } from '../../../registry/effective-status.js';
import { REQUIREMENTS } from '../../../registry/model.js';

const NOW = new Date('2030-06-01T00:00:00.000Z');
const register = demoRegister(NOW);
const product = (id: string) => register.products.find((p) => p.id === id)!;
const developer = (id: string) => register.developers.find((d) => d.id === id)!;
const codeAt = (id: string, version: string | null, now = NOW.getTime()) => {
  const p = product(id);
  return productDenialAt(p, developer(p.developerId), version, now)?.code ?? null;
};

describe('demo register', () => {
  it('holds exactly the documented developers and products', () => {
    expect(register.developers.map((d) => d.id)).toEqual([...DEMO_DEVELOPER_IDS]);
    expect(register.products.map((p) => p.id)).toEqual([...DEMO_PRODUCT_IDS]);
    expect(Object.keys(DEMO_PRODUCT_STATES).sort()).toEqual([...DEMO_PRODUCT_IDS].sort());
  });

  it.each([
    ['PRD-CERTIFIED', '2.0.0', null],
    ['PRD-CERTIFIED', '1.9.9', 'PRODUCT_VERSION_UNSUPPORTED'],
    ['PRD-ENHANCED', '2.0.0', null],
    ['PRD-LIMITED', '2.0.0', null],
    ['PRD-SUSPENDED', '2.0.0', 'PRODUCT_SUSPENDED'],
    ['PRD-EXPIRED', '2.0.0', 'CERTIFICATION_EXPIRED'],
    ['PRD-PENDING', '2.0.0', 'PRODUCT_NOT_CERTIFIED'],
    ['PRD-OFFSHORE', '2.0.0', null],
    ['PRD-NONCOMPLIANT-DEV', '2.0.0', 'DEVELOPER_NOT_IN_GOOD_STANDING'],
  ])('%s at version %s gives %s', (id, version, code) => {
    expect(codeAt(id, version)).toBe(code);
  });

  it('keeps certified products certified for the coming year', () => {
    expect(codeAt('PRD-CERTIFIED', '2.0.0', NOW.getTime() + 300 * 86_400_000)).toBeNull();
  });

  it('gives each product the state its scenario needs', () => {
    expect(product('PRD-CERTIFIED')).toMatchObject({ developerId: 'DEV-GOOD', services: ['clients.read', 'lodgments.read', 'lodgments.write', 'accounts.read'], minimumVersion: '2.0.0', dataHosting: ['AU'] });
    expect(product('PRD-CERTIFIED').certification?.tier).toBe('STANDARD');
    expect(product('PRD-ENHANCED').certification?.tier).toBe('ENHANCED');
    expect(product('PRD-LIMITED').services).toEqual(['clients.read']);
    expect(product('PRD-LIMITED').selfCertification?.assessments.some((a) => a.outcome === 'NOT_MET')).toBe(true);
    expect(product('PRD-SUSPENDED').suspension).toMatchObject({ until: null, resumeStatus: 'CERTIFIED' });
    expect(product('PRD-PENDING')).toMatchObject({ status: 'SELF_CERTIFIED', certification: null });
    expect(product('PRD-OFFSHORE').dataHosting).toEqual(['AU', 'US']);
    expect(product('PRD-NONCOMPLIANT-DEV').developerId).toBe('DEV-NONCOMPLIANT');
    expect(developer('DEV-NONCOMPLIANT')).toMatchObject({ status: 'SUSPENDED', eligibility: { taxObligationsCurrent: false } });
    for (const p of register.products) {
      expect(p.rateTier).toBe('demo');
      expect(p.selfCertification?.assessments.map((a) => a.requirement)).toEqual([...REQUIREMENTS]);
      for (const a of p.selfCertification!.assessments) if (a.outcome === 'COMPENSATING_CONTROL') expect(a.compensatingControl).toBeTruthy();
    }
  });

  it('uses valid ABNs for developers and organisations', () => {
    for (const abn of [...register.developers.map((d) => d.abn), ...Object.values(DEMO_ORGS)]) expect(isValidAbn(abn)).toBe(true);
  });

  it('authorises the practitioner for C-000001 to C-000050 and the company only for C-000100', () => {
    const clientsOf = (org: string) => register.authorisations.filter((a) => a.org === org && !a.revoked).map((a) => a.clientId);
    expect(clientsOf(DEMO_ORGS.practitioner)).toEqual(Array.from({ length: 50 }, (_, i) => `C-${String(i + 1).padStart(6, '0')}`));
    expect(clientsOf(DEMO_ORGS.company)).toEqual(['C-000100']);
    expect(register.authorisations).toHaveLength(51);
  });

  it('binds the ENHANCED product to the demo DPoP key (binding required), and no other', () => {
    const jkt = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
    const bound = demoRegister(NOW, [jkt]);
    const enhanced = bound.products.filter((p) => p.certification?.tier === 'ENHANCED');
    expect(enhanced.map((p) => [p.id, p.keyBinding])).toEqual([['PRD-ENHANCED', { required: true, thumbprints: [jkt] }]]);
    expect(bound.products.filter((p) => p.keyBinding).map((p) => p.id)).toEqual(['PRD-ENHANCED']);
  });

  it('is a pure function of the time', () => {
    expect(demoRegister(new Date(NOW))).toEqual(register);
  });
});
