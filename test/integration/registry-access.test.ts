/**
 * Issue 5 access rules, field by field, through the real gateway with real tokens: every root
 * field of schema/registry.graphql against every kind of caller (admin, admin without MFA,
 * auditor, developer staff of the record's own developer and of another, a product token).
 * The gateway's directives refuse roles and MFA; the registry subgraph limits developer staff to
 * their own developer (FORBIDDEN, or lists filtered to their own).
 */
import { readFileSync } from 'node:fs';
import { Kind, parse, type ObjectTypeDefinitionNode } from 'graphql';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';
import type { RegistryField } from './support/registry-documents.js';
import { assessments, createRegistryClient, developerApplication, PRACTITIONER_ORG, productApplication, validity, type RegistryClient } from './support/registry-client.js';

let sys: TestSystem;
let reg: RegistryClient;

/** Records the rules are tested on. "Own" belongs to developer A; "other" to DEV-GOOD (demo). */
const ctx = {} as {
  devA: any;
  productA: any;
  otherRegistered: any;
  pendingDeveloper: any;
  activeDeveloper: any;
  suspendedDeveloper: any;
  selfCertified: any;
  manifestPending: any;
  certified: any;
  suspendedProduct: any;
  staffA: string;
  staffANoMfa: string;
  staffOfGood: string;
  productToken: string;
};

beforeAll(async () => {
  sys = await startTestSystem();
  reg = await createRegistryClient(sys);
  ctx.devA = await reg.developerIn('ACTIVE');
  ctx.productA = await reg.productIn('CERTIFIED', ctx.devA.id);
  ctx.otherRegistered = await reg.productIn('REGISTERED', 'DEV-GOOD');
  ctx.pendingDeveloper = await reg.developerIn('PENDING');
  ctx.activeDeveloper = await reg.developerIn('ACTIVE');
  ctx.suspendedDeveloper = await reg.developerIn('SUSPENDED');
  ctx.selfCertified = await reg.productIn('SELF_CERTIFIED', ctx.devA.id);
  ctx.certified = await reg.productIn('CERTIFIED', ctx.devA.id);
  const toApprove = await reg.productIn('CERTIFIED', ctx.devA.id);
  ctx.manifestPending = await reg.ok(reg.admin, 'submitOperationManifest', { productId: toApprove.id, expectedRevision: toApprove.revision, documents: ['{ __typename }'], reason: 'Fixture: manifest' });
  ctx.suspendedProduct = await reg.productIn('SUSPENDED', ctx.devA.id);
  ctx.staffA = await reg.developerStaff(ctx.devA.id, { sub: 'staff-a' });
  ctx.staffANoMfa = await reg.developerStaff(ctx.devA.id, { sub: 'staff-a', mfa: false });
  ctx.staffOfGood = await reg.developerStaff('DEV-GOOD', { sub: 'staff-good' });
  ctx.productToken = await sys.token({ product: 'PRD-CERTIFIED' });
});
afterAll(async () => {
  await sys?.close();
});

/** Root fields declared in schema/registry.graphql, by operation type. */
function schemaRootFields(type: 'Query' | 'Mutation'): string[] {
  const doc = parse(readFileSync(new URL('../../schema/registry.graphql', import.meta.url), 'utf8'));
  const def = doc.definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === type);
  return (def?.fields ?? []).map((f) => f.name.value).sort();
}

function expectAllowed(r: GraphQLResult, field: string): void {
  expect([r.status, codesOf(r)]).toEqual([200, []]);
  expect(r.body.data?.[field]).not.toBeUndefined();
  expect(r.body.data?.[field]).not.toBeNull();
}

/** Refused with exactly `code`, and nothing of the field leaked. */
function expectRefused(r: GraphQLResult, field: string, code: string): void {
  expect(codesOf(r)).toEqual([code]);
  expect(r.body.data?.[field] ?? null).toBeNull();
}

type QueryOutcome = 'ALLOWED' | 'FILTERED' | 'FORBIDDEN' | 'ROLE_REQUIRED';

/**
 * Each registry query with variables naming another developer's records (DEV-GOOD's) and the
 * caller's own (developer A's), and what developer staff of A get for each.
 */
const QUERY_RULES: Array<{ field: RegistryField; other: () => Record<string, unknown>; own: () => Record<string, unknown>; staffOther: QueryOutcome; staffOwn: QueryOutcome }> = [
  { field: 'developer', other: () => ({ id: 'DEV-GOOD' }), own: () => ({ id: ctx.devA.id }), staffOther: 'FORBIDDEN', staffOwn: 'ALLOWED' },
  { field: 'developers', other: () => ({}), own: () => ({ status: 'ACTIVE' }), staffOther: 'FILTERED', staffOwn: 'ALLOWED' },
  { field: 'product', other: () => ({ id: 'PRD-CERTIFIED' }), own: () => ({ id: ctx.productA.id }), staffOther: 'FORBIDDEN', staffOwn: 'ALLOWED' },
  { field: 'products', other: () => ({ developerId: 'DEV-GOOD' }), own: () => ({ developerId: ctx.devA.id }), staffOther: 'FORBIDDEN', staffOwn: 'ALLOWED' },
  { field: 'productHistory', other: () => ({ productId: 'PRD-CERTIFIED' }), own: () => ({ productId: ctx.productA.id }), staffOther: 'FORBIDDEN', staffOwn: 'ALLOWED' },
  { field: 'developerHistory', other: () => ({ developerId: 'DEV-GOOD' }), own: () => ({ developerId: ctx.devA.id }), staffOther: 'FORBIDDEN', staffOwn: 'ALLOWED' },
  { field: 'clientAuthorisations', other: () => ({ org: PRACTITIONER_ORG }), own: () => ({}), staffOther: 'ROLE_REQUIRED', staffOwn: 'ROLE_REQUIRED' },
  { field: 'clientAuthorisationHistory', other: () => ({ org: PRACTITIONER_ORG, clientId: 'C-000001' }), own: () => ({ org: PRACTITIONER_ORG, clientId: 'C-000002' }), staffOther: 'ROLE_REQUIRED', staffOwn: 'ROLE_REQUIRED' },
  // Register-wide questions (what is expiring, who is due, who changed what) are for ATO staff.
  { field: 'certificationsExpiring', other: () => ({ withinDays: 400 }), own: () => ({ withinDays: 400 }), staffOther: 'ROLE_REQUIRED', staffOwn: 'ROLE_REQUIRED' },
  { field: 'reviewsDue', other: () => ({ withinDays: 400 }), own: () => ({ withinDays: 400 }), staffOther: 'ROLE_REQUIRED', staffOwn: 'ROLE_REQUIRED' },
  { field: 'registryHistory', other: () => ({ filter: { ticket: 'INC-1' } }), own: () => ({}), staffOther: 'ROLE_REQUIRED', staffOwn: 'ROLE_REQUIRED' },
];

describe('registry reads, field by field', () => {
  test('the table covers every Query field of schema/registry.graphql', () => {
    expect(QUERY_RULES.map((r) => r.field).sort()).toEqual(schemaRootFields('Query'));
  });

  describe.each(QUERY_RULES)('Query.$field', ({ field, other, own, staffOther, staffOwn }) => {
    test('admin (MFA) reads it', async () => {
      expectAllowed(await reg.call(reg.admin, field, other()), field);
    });

    test('auditor (MFA) reads it', async () => {
      expectAllowed(await reg.call(reg.auditor, field, other()), field);
    });

    test('admin without MFA: MFA_REQUIRED', async () => {
      expectRefused(await reg.call(reg.adminNoMfa, field, other()), field, 'MFA_REQUIRED');
    });

    // The role is checked first: where developer staff have no business, MFA does not matter.
    const withoutMfa = staffOwn === 'ROLE_REQUIRED' ? 'ROLE_REQUIRED' : 'MFA_REQUIRED';
    test(`developer staff without MFA, even on their own records: ${withoutMfa}`, async () => {
      expectRefused(await reg.call(ctx.staffANoMfa, field, own()), field, withoutMfa);
    });

    test('a product token: ROLE_REQUIRED', async () => {
      expectRefused(await reg.call(ctx.productToken, field, other()), field, 'ROLE_REQUIRED');
    });

    test(`developer staff on another developer’s records: ${staffOther}`, async () => {
      const r = await reg.call(ctx.staffA, field, other());
      if (staffOther === 'FILTERED') {
        expectAllowed(r, field);
        const list = r.body.data![field] as Array<{ id: string; developerId?: string }>;
        expect(list.map((x) => x.developerId ?? x.id)).toEqual([ctx.devA.id]);
      } else {
        expectRefused(r, field, staffOther);
      }
    });

    test(`developer staff on their own developer’s records: ${staffOwn}`, async () => {
      const r = await reg.call(ctx.staffA, field, own());
      if (staffOwn === 'ALLOWED') expectAllowed(r, field);
      else expectRefused(r, field, staffOwn);
    });
  });

  test('developer staff listing products without a developer see only their own developer’s', async () => {
    const mine = await reg.ok(ctx.staffA, 'products', {});
    const all = await reg.ok(reg.admin, 'products', {});
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((p: any) => p.developerId === ctx.devA.id)).toBe(true);
    expect(mine.map((p: any) => p.id).sort()).toEqual(all.filter((p: any) => p.developerId === ctx.devA.id).map((p: any) => p.id).sort());
    expect(all.some((p: any) => p.id === 'PRD-CERTIFIED')).toBe(true);
    // And the other way round: DEV-GOOD's staff do not see developer A's products.
    const theirs = await reg.ok(ctx.staffOfGood, 'products', {});
    expect(theirs.some((p: any) => p.developerId !== 'DEV-GOOD')).toBe(false);
    expect(theirs.map((p: any) => p.id)).toContain('PRD-CERTIFIED');
  });

  test('developer staff cannot probe product ids: an unknown id is FORBIDDEN to them and null to an admin', async () => {
    expectRefused(await reg.call(ctx.staffA, 'product', { id: 'PRD-DOES-NOT-EXIST' }), 'product', 'FORBIDDEN');
    const r = await reg.call(reg.admin, 'product', { id: 'PRD-DOES-NOT-EXIST' });
    expect([codesOf(r), r.body.data]).toEqual([[], { product: null }]);
  });

  test('a product token asking for client data and a registry field gets the client and ROLE_REQUIRED at the registry field', async () => {
    const r = await sys.gql('query { client(clientId: "C-000001") { id } product(id: "PRD-CERTIFIED") { id status } }', { token: ctx.productToken });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ client: { id: 'C-000001' }, product: null });
    expect(r.body.errors!.map((e) => [e.path?.join('.'), e.extensions?.code])).toEqual([['product', 'ROLE_REQUIRED']]);
  });

  test('developer staff reading their own developer reach only their own products through nested fields', async () => {
    const r = await sys.gql('query ($id: ID!) { developer(id: $id) { id products { id developerId developer { id } } } }', { token: ctx.staffA, variables: { id: ctx.devA.id } });
    expect(codesOf(r)).toEqual([]);
    const products = r.body.data!.developer.products as Array<{ developerId: string; developer: { id: string } }>;
    expect(products.length).toBeGreaterThan(0);
    expect(products.every((p) => p.developerId === ctx.devA.id && p.developer.id === ctx.devA.id)).toBe(true);
  });
});

/** Arguments that would succeed for an admin, so a refusal can only come from the access rules. */
const ADMIN_MUTATIONS: Array<{ field: RegistryField; vars: () => Promise<Record<string, unknown>> }> = [];
const rev = async (kind: 'developer' | 'product', id: string) => (await reg.ok(reg.admin, kind, { id })).revision as number;
const onDeveloper = (field: RegistryField, target: () => any) =>
  ADMIN_MUTATIONS.push({ field, vars: async () => ({ developerId: target().id, expectedRevision: await rev('developer', target().id), reason: 'Access rule test' }) });
const onProduct = (field: RegistryField, target: () => any, extra: () => Record<string, unknown> = () => ({})) =>
  ADMIN_MUTATIONS.push({ field, vars: async () => ({ productId: target().id, expectedRevision: await rev('product', target().id), reason: 'Access rule test', ...extra() }) });
onDeveloper('approveDeveloper', () => ctx.pendingDeveloper);
onDeveloper('rejectDeveloper', () => ctx.pendingDeveloper);
onDeveloper('suspendDeveloper', () => ctx.activeDeveloper);
onDeveloper('reinstateDeveloper', () => ctx.suspendedDeveloper);
onDeveloper('deregisterDeveloper', () => ctx.activeDeveloper);
onDeveloper('completeAnnualReview', () => ctx.activeDeveloper);
onProduct('certifyProduct', () => ctx.selfCertified, () => ({ tier: 'STANDARD', ...validity(), services: ['clients.read'] }));
onProduct('rejectCertification', () => ctx.selfCertified);
onProduct('whitelistServices', () => ctx.certified, () => ({ services: ['lodgments.read'] }));
onProduct('removeServices', () => ctx.certified, () => ({ services: ['clients.read'] }));
onProduct('setMinimumVersion', () => ctx.certified, () => ({ minimumVersion: '3.0.0' }));
onProduct('suspendProduct', () => ctx.certified);
onProduct('reinstateProduct', () => ctx.suspendedProduct);
onProduct('revokeProduct', () => ctx.certified);
onProduct('approveOperationManifest', () => ctx.manifestPending, () => ({ manifestVersion: 1 }));
onProduct('setTrustedDocuments', () => ctx.certified, () => ({ mode: 'ENFORCE' }));
ADMIN_MUTATIONS.push({
  field: 'changeProducts',
  vars: async () => ({ action: 'SUSPEND', products: [{ productId: ctx.certified.id, expectedRevision: await rev('product', ctx.certified.id) }], reason: 'Access rule test' }),
});
ADMIN_MUTATIONS.push({ field: 'grantClientAuthorisation', vars: async () => ({ org: PRACTITIONER_ORG, clientId: 'C-000060', reason: 'Access rule test' }) });
ADMIN_MUTATIONS.push({
  field: 'revokeClientAuthorisation',
  vars: async () => {
    const [auth] = await reg.ok(reg.admin, 'clientAuthorisations', { org: PRACTITIONER_ORG, clientId: 'C-000050' });
    return { org: PRACTITIONER_ORG, clientId: 'C-000050', expectedRevision: auth.revision, reason: 'Access rule test' };
  },
});

/** What an admin could change, read as the admin sees it: equal before and after means nothing changed. */
async function registerState() {
  const [developers, products, authorisations] = await Promise.all([
    reg.ok(reg.admin, 'developers', {}),
    reg.ok(reg.admin, 'products', {}),
    reg.ok(reg.admin, 'clientAuthorisations', { org: PRACTITIONER_ORG }),
  ]);
  return { developers, products, authorisations };
}

describe('registry changes, field by field: refused without changing anything', () => {
  let before: Awaited<ReturnType<typeof registerState>>;
  beforeAll(async () => {
    before = await registerState();
  });

  test('the tables cover every Mutation field of schema/registry.graphql', () => {
    const covered = [...ADMIN_MUTATIONS.map((m) => m.field), 'registerDeveloper', 'registerProduct', 'submitSelfCertification', 'submitOperationManifest'].sort();
    expect(covered).toEqual(schemaRootFields('Mutation'));
  });

  describe.each(ADMIN_MUTATIONS)('admin-only Mutation.$field', ({ field, vars }) => {
    test('auditor: ROLE_REQUIRED', async () => {
      expectRefused(await reg.call(reg.auditor, field, await vars()), field, 'ROLE_REQUIRED');
    });
    test('developer staff, even of the record’s own developer: ROLE_REQUIRED', async () => {
      const variables = await vars();
      const owner = (variables.developerId as string | undefined) ?? ctx.devA.id;
      expectRefused(await reg.call(await reg.developerStaff(owner), field, variables), field, 'ROLE_REQUIRED');
    });
    test('a product token: ROLE_REQUIRED', async () => {
      expectRefused(await reg.call(ctx.productToken, field, await vars()), field, 'ROLE_REQUIRED');
    });
    test('admin without MFA: MFA_REQUIRED', async () => {
      expectRefused(await reg.call(reg.adminNoMfa, field, await vars()), field, 'MFA_REQUIRED');
    });
  });

  describe('Mutation.registerDeveloper', () => {
    const input = () => ({ input: developerApplication() });
    test.each([
      ['auditor', () => reg.auditor, 'ROLE_REQUIRED'],
      ['a product token', () => ctx.productToken, 'ROLE_REQUIRED'],
      ['admin without MFA', () => reg.adminNoMfa, 'MFA_REQUIRED'],
      ['developer staff without MFA', () => ctx.staffANoMfa, 'MFA_REQUIRED'],
    ] as Array<[string, () => string, string]>)('%s: %s', async (_who, token, code) => {
      expectRefused(await reg.call(token(), 'registerDeveloper', input()), 'registerDeveloper', code);
    });
  });

  describe('Mutation.registerProduct', () => {
    test.each([
      ['auditor', () => reg.auditor, () => ctx.devA.id, 'ROLE_REQUIRED'],
      ['a product token', () => ctx.productToken, () => 'DEV-GOOD', 'ROLE_REQUIRED'],
      ['admin without MFA', () => reg.adminNoMfa, () => ctx.devA.id, 'MFA_REQUIRED'],
      ['developer staff under another developer', () => ctx.staffA, () => 'DEV-GOOD', 'FORBIDDEN'],
      ['developer staff without MFA under their own developer', () => ctx.staffANoMfa, () => ctx.devA.id, 'MFA_REQUIRED'],
    ] as Array<[string, () => string, () => string, string]>)('%s: %s', async (_who, token, developerId, code) => {
      expectRefused(await reg.call(token(), 'registerProduct', { input: productApplication(developerId()) }), 'registerProduct', code);
    });
  });

  describe('Mutation.submitSelfCertification', () => {
    const on = async (product: () => any) => ({ productId: product().id, expectedRevision: await rev('product', product().id), assessments: assessments(), reason: 'Access rule test' });
    test.each([
      ['auditor', () => reg.auditor, () => ctx.otherRegistered, 'ROLE_REQUIRED'],
      ['a product token', () => ctx.productToken, () => ctx.otherRegistered, 'ROLE_REQUIRED'],
      ['admin without MFA', () => reg.adminNoMfa, () => ctx.otherRegistered, 'MFA_REQUIRED'],
      ['developer staff on another developer’s product', () => ctx.staffA, () => ctx.otherRegistered, 'FORBIDDEN'],
    ] as Array<[string, () => string, () => any, string]>)('%s: %s', async (_who, token, product, code) => {
      expectRefused(await reg.call(token(), 'submitSelfCertification', await on(product)), 'submitSelfCertification', code);
    });
    test('developer staff on an unknown product id: FORBIDDEN (no probing)', async () => {
      const r = await reg.call(ctx.staffA, 'submitSelfCertification', { productId: 'PRD-DOES-NOT-EXIST', expectedRevision: 0, assessments: assessments(), reason: 'Probe' });
      expectRefused(r, 'submitSelfCertification', 'FORBIDDEN');
    });
  });

  describe('Mutation.submitOperationManifest', () => {
    const on = async (product: () => any) => ({ productId: product().id, expectedRevision: await rev('product', product().id), documents: ['{ __typename }'], reason: 'Access rule test' });
    test.each([
      ['auditor', () => reg.auditor, () => ctx.otherRegistered, 'ROLE_REQUIRED'],
      ['a product token', () => ctx.productToken, () => ctx.otherRegistered, 'ROLE_REQUIRED'],
      ['admin without MFA', () => reg.adminNoMfa, () => ctx.otherRegistered, 'MFA_REQUIRED'],
      ['developer staff on another developer’s product', () => ctx.staffA, () => ctx.otherRegistered, 'FORBIDDEN'],
      ['developer staff without MFA on their own product', () => ctx.staffANoMfa, () => ctx.certified, 'MFA_REQUIRED'],
    ] as Array<[string, () => string, () => any, string]>)('%s: %s', async (_who, token, product, code) => {
      expectRefused(await reg.call(token(), 'submitOperationManifest', await on(product)), 'submitOperationManifest', code);
    });
    test('developer staff on an unknown product id: FORBIDDEN (no probing)', async () => {
      const r = await reg.call(ctx.staffA, 'submitOperationManifest', { productId: 'PRD-DOES-NOT-EXIST', expectedRevision: 0, documents: ['{ __typename }'], reason: 'Probe' });
      expectRefused(r, 'submitOperationManifest', 'FORBIDDEN');
    });
  });

  test('after every refusal above the register is exactly as it was', async () => {
    expect(await registerState()).toEqual(before);
  });
});

describe('what developer staff may do', () => {
  test('register a product under their own developer and self-certify it; the history names them', async () => {
    const product = await reg.ok(ctx.staffA, 'registerProduct', { input: productApplication(ctx.devA.id) });
    expect(product).toMatchObject({ developerId: ctx.devA.id, status: 'REGISTERED' });
    const certified = await reg.ok(ctx.staffA, 'submitSelfCertification', { productId: product.id, expectedRevision: product.revision, assessments: assessments(), reason: 'Self-assessed' });
    expect(certified.status).toBe('SELF_CERTIFIED');
    const history = await reg.ok(ctx.staffA, 'productHistory', { productId: product.id });
    expect(history.map((e: any) => [e.action, e.actor])).toEqual([
      ['registerProduct', 'staff-a (dsp:developer)'],
      ['submitSelfCertification', 'staff-a (dsp:developer)'],
    ]);
    // Another developer's staff can neither read it nor its history.
    expectRefused(await reg.call(ctx.staffOfGood, 'product', { id: product.id }), 'product', 'FORBIDDEN');
    expectRefused(await reg.call(ctx.staffOfGood, 'productHistory', { productId: product.id }), 'productHistory', 'FORBIDDEN');
  });
});
