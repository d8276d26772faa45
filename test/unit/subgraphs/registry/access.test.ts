import type { AssertionClaims } from '../../../../core/assertion.js';
import {
  activeDeveloper, ADMIN, ADMIN_NO_MFA, allMet, application, AUDITOR, certifiedProduct, CERTIFY, codeOf, createHarness, DAY, developerMutation, developerStaff,
  NOBODY, productMutation, REGISTER_DEVELOPER, REGISTER_PRODUCT, staff, SUBMIT_SELF_CERTIFICATION, type Harness,
} from './harness.js';

let h: Harness;
let devA: { id: string; revision: number };
let devB: { id: string; revision: number };
let productA: { id: string; revision: number };
let productB: { id: string; revision: number };
let staffA: AssertionClaims;

beforeAll(async () => {
  h = await createHarness();
  devA = await activeDeveloper(h);
  devB = await activeDeveloper(h);
  productA = await certifiedProduct(h, devA.id);
  productB = await certifiedProduct(h, devB.id);
  staffA = developerStaff(devA.id);
  await h.ok(ADMIN, 'mutation { grantClientAuthorisation(org: "12345679016", clientId: "C-000001", reason: "Practitioner engagement") { org } }');
});
afterAll(async () => {
  await h.close();
});

const PRODUCT = 'query($id: ID!) { product(id: $id) { id name } }';
const DEVELOPER = 'query($id: ID!) { developer(id: $id) { id legalName } }';
const PRODUCTS = 'query($dev: ID) { products(developerId: $dev) { id developerId } }';
const PRODUCT_HISTORY = 'query($id: ID!) { productHistory(productId: $id) { action } }';
const DEVELOPER_HISTORY = 'query($id: ID!) { developerHistory(developerId: $id) { action } }';
const AUTHORISATIONS = '{ clientAuthorisations { org clientId active } }';

describe('developer staff read only their own developer', () => {
  test('reads its own developer, product, products and history', async () => {
    expect((await h.ok(staffA, DEVELOPER, { id: devA.id })).developer.id).toBe(devA.id);
    expect((await h.ok(staffA, PRODUCT, { id: productA.id })).product.id).toBe(productA.id);
    expect((await h.ok(staffA, PRODUCTS, {})).products.map((p: any) => p.id)).toEqual([productA.id]);
    expect((await h.ok(staffA, PRODUCT_HISTORY, { id: productA.id })).productHistory.length).toBeGreaterThan(0);
    expect((await h.ok(staffA, DEVELOPER_HISTORY, { id: devA.id })).developerHistory.length).toBeGreaterThan(0);
  });

  test.each([
    ['product', PRODUCT, () => ({ id: productB.id })],
    ['developer', DEVELOPER, () => ({ id: devB.id })],
    ['products of another developer', PRODUCTS, () => ({ dev: devB.id })],
    ['productHistory', PRODUCT_HISTORY, () => ({ id: productB.id })],
    ['developerHistory', DEVELOPER_HISTORY, () => ({ id: devB.id })],
  ])('cannot read another developer’s %s (FORBIDDEN, no data)', async (_name, query, vars) => {
    const r = await h.run(staffA, query, vars());
    expect(codeOf(r)).toBe('FORBIDDEN');
    // A nullable root field answers null; a non-null list nulls the whole data.
    expect(Object.values(r.data ?? {}).filter((v) => v !== null)).toEqual([]);
  });

  test('an unknown product id is FORBIDDEN for developer staff (no existence oracle) but null for an admin', async () => {
    expect(codeOf(await h.run(staffA, PRODUCT, { id: 'PRD-NOPE' }))).toBe('FORBIDDEN');
    const admin = await h.run(ADMIN, PRODUCT, { id: 'PRD-NOPE' });
    expect(admin.errors).toBeUndefined();
    expect(admin.data?.['product']).toBeNull();
  });

  test('lists are filtered: developers shows only its own', async () => {
    expect((await h.ok(staffA, '{ developers { id } }')).developers).toEqual([{ id: devA.id }]);
  });

  test('staff without a developer id see no products', async () => {
    expect((await h.ok(staff('lost', ['dsp:developer']), PRODUCTS, {})).products).toEqual([]);
  });

  test('client authorisations are for ATO staff only', async () => {
    expect(codeOf(await h.run(staffA, AUTHORISATIONS))).toBe('FORBIDDEN');
    expect((await h.ok(AUDITOR, AUTHORISATIONS)).clientAuthorisations).toEqual([{ org: '12345679016', clientId: 'C-000001', active: true }]);
  });
});

describe('developer staff act only for their own developer', () => {
  test('cannot register a product under another developer', async () => {
    const r = await h.run(staffA, REGISTER_PRODUCT, { input: { developerId: devB.id, name: 'Trojan', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0' } });
    expect(codeOf(r)).toBe('FORBIDDEN');
    expect((await h.store.listProducts({ developerId: devB.id })).map((p) => p.id)).toEqual([productB.id]);
  });

  test('cannot submit a self-certification for another developer’s product', async () => {
    const other = (await h.ok(ADMIN, REGISTER_PRODUCT, { input: { developerId: devB.id, name: 'B2', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0' } })).registerProduct;
    const r = await h.run(staffA, SUBMIT_SELF_CERTIFICATION, { id: other.id, rev: other.revision, reason: 'r', assessments: allMet() });
    expect(codeOf(r)).toBe('FORBIDDEN');
    expect((await h.store.productById(other.id))?.status).toBe('REGISTERED');
  });

  test('may register and self-certify its own product', async () => {
    const own = (await h.ok(staffA, REGISTER_PRODUCT, { input: { developerId: devA.id, name: 'A2', deploymentModel: 'DESKTOP', dataHosting: ['AU'], minimumVersion: '1.0.0' } })).registerProduct;
    const s = (await h.ok(staffA, SUBMIT_SELF_CERTIFICATION, { id: own.id, rev: own.revision, reason: 'r', assessments: allMet() })).submitSelfCertification;
    expect(s.status).toBe('SELF_CERTIFIED');
  });
});

describe('only admins with MFA change the register', () => {
  const ADMIN_MUTATIONS: Array<[string, () => [string, Record<string, unknown>]]> = [
    ['approveDeveloper', () => [developerMutation('approveDeveloper'), { id: devA.id, rev: devA.revision, reason: 'r' }]],
    ['suspendDeveloper', () => [developerMutation('suspendDeveloper'), { id: devA.id, rev: devA.revision, reason: 'r' }]],
    ['deregisterDeveloper', () => [developerMutation('deregisterDeveloper'), { id: devA.id, rev: devA.revision, reason: 'r' }]],
    ['suspendProduct', () => [productMutation('suspendProduct'), { id: productA.id, rev: productA.revision, reason: 'r' }]],
    ['revokeProduct', () => [productMutation('revokeProduct'), { id: productA.id, rev: productA.revision, reason: 'r' }]],
    ['whitelistServices', () => [productMutation('whitelistServices', ', $s: [String!]!', ', services: $s'), { id: productA.id, rev: productA.revision, reason: 'r', s: ['accounts.read'] }]],
    ['certifyProduct', () => [CERTIFY, { id: productA.id, rev: productA.revision, reason: 'r', tier: 'ENHANCED', validFrom: new Date(h.clock.now).toISOString(), validUntil: new Date(h.clock.now + DAY).toISOString(), services: [] }]],
    ['grantClientAuthorisation', () => ['mutation { grantClientAuthorisation(org: "12345679016", clientId: "C-000002", reason: "r") { org } }', {}]],
  ];

  test.each(ADMIN_MUTATIONS)('%s: developer staff and auditors get ROLE_REQUIRED, an admin without MFA gets MFA_REQUIRED, and nothing changes', async (_name, make) => {
    const [query, vars] = make();
    const before = await h.store.currentRevision();
    for (const [identity, code] of [[staffA, 'ROLE_REQUIRED'], [AUDITOR, 'ROLE_REQUIRED'], [NOBODY, 'ROLE_REQUIRED'], [ADMIN_NO_MFA, 'MFA_REQUIRED']] as const) {
      const r = await h.run(identity, query, vars);
      expect([identity.sub, codeOf(r)]).toEqual([identity.sub, code]);
    }
    expect(await h.store.currentRevision()).toBe(before);
  });

  test('auditors may not register developers or products', async () => {
    expect(codeOf(await h.run(AUDITOR, REGISTER_DEVELOPER, { input: application() }))).toBe('ROLE_REQUIRED');
    expect(codeOf(await h.run(AUDITOR, REGISTER_PRODUCT, { input: { developerId: devA.id, name: 'X', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0' } }))).toBe('ROLE_REQUIRED');
  });
});

describe('reads need a registry role and MFA', () => {
  test('auditors read everything', async () => {
    expect((await h.ok(AUDITOR, PRODUCT, { id: productB.id })).product.id).toBe(productB.id);
    expect((await h.ok(AUDITOR, PRODUCTS, {})).products.length).toBeGreaterThanOrEqual(2);
    expect((await h.ok(AUDITOR, DEVELOPER_HISTORY, { id: devB.id })).developerHistory.length).toBeGreaterThan(0);
  });

  test('a caller without a registry role gets ROLE_REQUIRED; without MFA, MFA_REQUIRED', async () => {
    expect(codeOf(await h.run(NOBODY, PRODUCT, { id: productA.id }))).toBe('ROLE_REQUIRED');
    expect(codeOf(await h.run(ADMIN_NO_MFA, PRODUCT, { id: productA.id }))).toBe('MFA_REQUIRED');
    expect(codeOf(await h.run(staff('x', ['dsp:developer'], { developerId: devA.id, mfa: false }), PRODUCT, { id: productA.id }))).toBe('MFA_REQUIRED');
  });
});
