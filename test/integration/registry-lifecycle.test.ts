/**
 * Issue 5 through the real gateway with real tokens: the registry lifecycle end to end (and its
 * enforcement on product tokens), every illegal transition of both state machines, eligibility
 * failures, optimistic concurrency, and how fast a registry change reaches the gateway.
 */
import { isValidAbn } from '../../core/ids.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';
import { registryDocument, type RegistryField } from './support/registry-documents.js';
import {
  assessments, createRegistryClient, developerApplication, freshAbn, PRACTITIONER_ORG, productApplication, sleep, validity, withBadCheckDigit,
  type DeveloperState, type ProductState, type RegistryClient,
} from './support/registry-client.js';

const CLIENT_QUERY = 'query ($id: ID!) { client(clientId: $id) { id name lodgments(first: 1) { period } account { balance } } }';
const SERVICES = ['clients.read', 'lodgments.read', 'accounts.read'];

let sys: TestSystem;
let reg: RegistryClient;

beforeAll(async () => {
  sys = await startTestSystem();
  reg = await createRegistryClient(sys);
});
afterAll(async () => {
  await sys?.close();
});

/** A product token for `productId` asking for the three read services (version above the 2.0.0 minimum). */
const productToken = (productId: string) => sys.token({ product: productId, version: '2.1.0', org: PRACTITIONER_ORG, scope: SERVICES.join(' ') });
const askForClient = (token: string) => sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } });

function expectServed(r: GraphQLResult): void {
  expect([r.status, codesOf(r)]).toEqual([200, []]);
  expect(r.body.data!.client).toMatchObject({ id: 'C-000001', name: expect.any(String), lodgments: expect.any(Array), account: { balance: expect.any(Number) } });
}

function expectRefused(r: GraphQLResult, code: string): void {
  expect([r.status, codesOf(r)]).toEqual([403, [code]]);
  expect(r.body.data ?? null).toBeNull();
}

/** Polls every 20 ms until `done(response)`, up to `limitMs`; the ms it took, or Infinity. */
async function msUntil(token: string, done: (r: GraphQLResult) => boolean, limitMs = 3000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (done(await askForClient(token))) return Date.now() - started;
    await sleep(20);
  }
  return Number.POSITIVE_INFINITY;
}
const served = (r: GraphQLResult) => r.status === 200 && codesOf(r).length === 0;
const refusedWith = (code: string) => (r: GraphQLResult) => codesOf(r).includes(code);

describe('full lifecycle through the gateway', () => {
  test('register → approve → product → self-certify → certify → served → suspend → refused → reinstate → served; history has every step', async () => {
    // A new developer applies (developer staff without a developer id yet) and passes every check.
    const abn = freshAbn();
    const applied = await reg.ok(reg.applicant, 'registerDeveloper', { input: { ...developerApplication({ abn }), reason: 'New DSP application', ticket: 'APP-1' } });
    expect(applied).toMatchObject({
      abn,
      status: 'PENDING',
      eligibility: { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: true, abnUnique: true, reasons: [] },
    });

    const approved = await reg.ok(reg.admin, 'approveDeveloper', { developerId: applied.id, expectedRevision: applied.revision, reason: 'Eligibility confirmed', ticket: 'REG-1' });
    expect(approved).toMatchObject({ id: applied.id, status: 'ACTIVE', statusReason: 'Eligibility confirmed' });
    expect(approved.revision).toBeGreaterThan(applied.revision);

    // The developer's own staff register and self-certify a product.
    const staff = await reg.developerStaff(applied.id, { sub: 'sam' });
    const registered = await reg.ok(staff, 'registerProduct', { input: { ...productApplication(applied.id), reason: 'New product', ticket: 'PRD-REQ-1' } });
    expect(registered).toMatchObject({ developerId: applied.id, status: 'REGISTERED', blockedBy: 'PRODUCT_NOT_CERTIFIED', services: [] });
    const selfCertified = await reg.ok(staff, 'submitSelfCertification', {
      productId: registered.id,
      expectedRevision: registered.revision,
      assessments: assessments(),
      reason: 'Initial self-assessment',
    });
    expect(selfCertified.status).toBe('SELF_CERTIFIED');
    expect(selfCertified.selfCertification.submittedBy).toBe('sam (dsp:developer)');
    expect(selfCertified.selfCertification.assessments).toHaveLength(11);
    expect(selfCertified.selfCertification.assessments.every((a: { outcome: string }) => a.outcome === 'MET')).toBe(true);

    const certified = await reg.ok(reg.admin, 'certifyProduct', {
      productId: registered.id,
      expectedRevision: selfCertified.revision,
      tier: 'STANDARD',
      ...validity(),
      services: SERVICES,
      reason: 'Evidence reviewed',
      ticket: 'CERT-1',
    });
    expect(certified).toMatchObject({ status: 'CERTIFIED', blockedBy: null, services: SERVICES, certification: { tier: 'STANDARD', expired: false, certifiedBy: 'admin-ann (ato:admin)' } });

    // A token for the new product is served once the gateway has picked the change up (the poll
    // loop would within REGISTRY_POLL_MS; the test asks the snapshot to catch up now instead).
    const token = await productToken(registered.id);
    await sys.gateway.snapshot.refresh();
    expectServed(await askForClient(token));

    const suspended = await reg.ok(reg.admin, 'suspendProduct', { productId: registered.id, expectedRevision: certified.revision, reason: 'Suspicious volume', ticket: 'INC-1' });
    expect(suspended).toMatchObject({ status: 'SUSPENDED', blockedBy: 'PRODUCT_SUSPENDED', suspension: { reason: 'Suspicious volume', until: null, actor: 'admin-ann (ato:admin)', resumeStatus: 'CERTIFIED' } });
    await sys.gateway.snapshot.refresh();
    expectRefused(await askForClient(token), 'PRODUCT_SUSPENDED');

    const reinstated = await reg.ok(reg.admin, 'reinstateProduct', { productId: registered.id, expectedRevision: suspended.revision, reason: 'False positive' });
    expect(reinstated).toMatchObject({ status: 'CERTIFIED', blockedBy: null, suspension: null, services: SERVICES });
    await sys.gateway.snapshot.refresh();
    expectServed(await askForClient(token));

    // History: every transition, in order, with actor and reason; read by the developer's own staff.
    const history = await reg.ok(staff, 'productHistory', { productId: registered.id });
    expect(history.map((e: any) => [e.action, e.actor, e.reason, e.ticket, e.fromStatus, e.toStatus])).toEqual([
      ['registerProduct', 'sam (dsp:developer)', 'New product', 'PRD-REQ-1', null, 'REGISTERED'],
      ['submitSelfCertification', 'sam (dsp:developer)', 'Initial self-assessment', null, 'REGISTERED', 'SELF_CERTIFIED'],
      ['certifyProduct', 'admin-ann (ato:admin)', 'Evidence reviewed', 'CERT-1', 'SELF_CERTIFIED', 'CERTIFIED'],
      ['suspendProduct', 'admin-ann (ato:admin)', 'Suspicious volume', 'INC-1', 'CERTIFIED', 'SUSPENDED'],
      ['reinstateProduct', 'admin-ann (ato:admin)', 'False positive', null, 'SUSPENDED', 'CERTIFIED'],
    ]);
    const revisions: number[] = history.map((e: any) => e.revision);
    expect(revisions).toEqual([registered.revision, selfCertified.revision, certified.revision, suspended.revision, reinstated.revision]);
    for (let i = 1; i < revisions.length; i++) expect(revisions[i]).toBeGreaterThan(revisions[i - 1]!);
    expect(history.every((e: any) => e.entityType === 'PRODUCT' && e.entityId === registered.id)).toBe(true);
    // Each entry's before is the previous entry's after: nothing happened in between that history missed.
    for (let i = 1; i < history.length; i++) expect(JSON.parse(history[i].beforeJson)).toEqual(JSON.parse(history[i - 1].afterJson));
    expect(history[0].beforeJson).toBeNull();
    expect(JSON.parse(history[3].afterJson)).toMatchObject({ status: 'SUSPENDED', suspension: { reason: 'Suspicious volume' } });

    const developerHistory = await reg.ok(reg.auditor, 'developerHistory', { developerId: applied.id });
    expect(developerHistory.map((e: any) => [e.action, e.actor, e.reason, e.ticket, e.fromStatus, e.toStatus])).toEqual([
      ['registerDeveloper', 'applicant-sam (dsp:developer)', 'New DSP application', 'APP-1', null, 'PENDING'],
      ['approveDeveloper', 'admin-ann (ato:admin)', 'Eligibility confirmed', 'REG-1', 'PENDING', 'ACTIVE'],
    ]);
    expect(developerHistory.map((e: any) => e.revision)).toEqual([applied.revision, approved.revision]);
    expect(approved.revision).toBeGreaterThan(applied.revision);
  });
});

// How fast a change reaches the gateway is a timing figure: bench/micro/suspension-propagation.ts
// measures it (npm run bench). Here: the poll loop alone, unaided, picks each change up.
describe('a registry change reaches the gateway through its poll loop', () => {
  let developer: any;
  let token: string;
  beforeAll(async () => {
    developer = await reg.developerIn('ACTIVE');
    const product = await reg.productIn('CERTIFIED', developer.id, SERVICES);
    token = await productToken(product.id);
    expect(await msUntil(token, served)).toBeLessThan(Number.POSITIVE_INFINITY);
  });

  test('suspending and reinstating a product takes effect without anyone asking the snapshot', async () => {
    const [product] = await reg.ok(reg.admin, 'products', { developerId: developer.id });
    await reg.ok(reg.admin, 'suspendProduct', { productId: product.id, expectedRevision: product.revision, reason: 'Measured suspension' });
    expect(await msUntil(token, refusedWith('PRODUCT_SUSPENDED'))).toBeLessThan(Number.POSITIVE_INFINITY);
    const current = await reg.ok(reg.admin, 'product', { id: product.id });
    await reg.ok(reg.admin, 'reinstateProduct', { productId: product.id, expectedRevision: current.revision, reason: 'Measured reinstatement' });
    expect(await msUntil(token, served)).toBeLessThan(Number.POSITIVE_INFINITY);
  });

  test('suspending the developer blocks its product (cascade) and reinstating it serves the product again', async () => {
    const before = await reg.ok(reg.admin, 'developer', { id: developer.id });
    const suspended = await reg.ok(reg.admin, 'suspendDeveloper', { developerId: developer.id, expectedRevision: before.revision, reason: 'Tax obligations overdue' });
    expect(await msUntil(token, refusedWith('DEVELOPER_NOT_IN_GOOD_STANDING'))).toBeLessThan(Number.POSITIVE_INFINITY);
    // The cascade is computed, not written: the product record itself did not change.
    const [product] = await reg.ok(reg.admin, 'products', { developerId: developer.id });
    expect(product).toMatchObject({ status: 'CERTIFIED', blockedBy: 'DEVELOPER_NOT_IN_GOOD_STANDING' });
    await reg.ok(reg.admin, 'reinstateDeveloper', { developerId: developer.id, expectedRevision: suspended.revision, reason: 'Obligations met' });
    expect(await msUntil(token, served)).toBeLessThan(Number.POSITIVE_INFINITY);
  });
});

// An admin's change takes effect at once: on the gateway that carried the mutation it holds before
// the answer leaves, whatever the poll interval (here an hour, so only the mutation's own refresh
// can have read it). Each request below follows the previous answer with no wait.
describe('a registry change takes effect on the gateway that carried it before its answer leaves', () => {
  let local: TestSystem;
  let admin: RegistryClient;
  beforeAll(async () => {
    local = await startTestSystem({ registry: { pollMs: 3_600_000 }, operationLimits: { allowBatchedRequests: true } });
    admin = await createRegistryClient(local);
  });
  afterAll(async () => {
    await local?.close();
  });
  const ask = (token: string) => local.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } });

  test('certify, suspend, reinstate (the last as the second operation of a batch): the next request sees each', async () => {
    const developer = await admin.developerIn('ACTIVE');
    const product = await admin.productIn('CERTIFIED', developer.id, SERVICES);
    const token = await local.token({ product: product.id, version: '2.1.0', org: PRACTITIONER_ORG, scope: SERVICES.join(' ') });
    expectServed(await ask(token));
    const suspended = await admin.ok(admin.admin, 'suspendProduct', { productId: product.id, expectedRevision: product.revision, reason: 'At once' });
    expectRefused(await ask(token), 'PRODUCT_SUSPENDED');
    // A batch whose first operation is a query: the mutation after it counts all the same.
    const reinstate = { productId: product.id, expectedRevision: suspended.revision, reason: 'At once, in a batch' };
    const res = await fetch(local.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.admin}` },
      body: JSON.stringify([
        { query: registryDocument('product', { id: product.id }), variables: { id: product.id } },
        { query: registryDocument('reinstateProduct', reinstate), variables: reinstate },
      ]),
    });
    const text = await res.text();
    if (!text.startsWith("[")) throw new Error(`batch answered ${res.status}: ${text.slice(0, 300)}`);
    const answers = JSON.parse(text) as Array<{ data?: Record<string, { status?: string }>; errors?: unknown[] }>;
    expect([res.status, answers.map((a) => a.errors ?? a.data?.['reinstateProduct']?.status ?? a.data?.['product']?.status)]).toEqual([200, ['SUSPENDED', 'CERTIFIED']]);
    expectServed(await ask(token));
  });
});

/**
 * The legal transitions as the schema documents them; every other (action, state) pair must be
 * refused. Written out here rather than imported from registry/, so a wrong table there fails.
 */
const PRODUCT_STATES: ProductState[] = ['REGISTERED', 'SELF_CERTIFIED', 'CERTIFIED', 'CERTIFICATION_REJECTED', 'SUSPENDED', 'REVOKED'];
const NOT_REVOKED = PRODUCT_STATES.filter((s) => s !== 'REVOKED');
const LEGAL_PRODUCT_TRANSITIONS: Record<string, ProductState[]> = {
  submitSelfCertification: ['REGISTERED', 'CERTIFICATION_REJECTED'],
  certifyProduct: ['SELF_CERTIFIED', 'CERTIFIED'],
  rejectCertification: ['SELF_CERTIFIED'],
  whitelistServices: ['CERTIFIED'],
  removeServices: ['CERTIFIED', 'SUSPENDED'],
  setMinimumVersion: NOT_REVOKED,
  suspendProduct: ['CERTIFIED', 'SUSPENDED'],
  reinstateProduct: ['SUSPENDED'],
  revokeProduct: NOT_REVOKED,
};
const DEVELOPER_STATES: DeveloperState[] = ['PENDING', 'REJECTED', 'ACTIVE', 'SUSPENDED', 'DEREGISTERED'];
const LEGAL_DEVELOPER_TRANSITIONS: Record<string, DeveloperState[]> = {
  approveDeveloper: ['PENDING'],
  rejectDeveloper: ['PENDING'],
  suspendDeveloper: ['ACTIVE'],
  reinstateDeveloper: ['SUSPENDED'],
  deregisterDeveloper: ['ACTIVE', 'SUSPENDED'],
  completeAnnualReview: ['ACTIVE'],
};

function illegal<S extends string>(legal: Record<string, S[]>, states: S[]): Array<[string, S]> {
  return Object.entries(legal).flatMap(([action, from]) => states.filter((s) => !from.includes(s)).map((s): [string, S] => [action, s]));
}

/** Valid arguments for each product action besides id, revision and reason, so only the state can be wrong. */
const PRODUCT_ACTION_ARGS: Record<string, () => Record<string, unknown>> = {
  submitSelfCertification: () => ({ assessments: assessments() }),
  certifyProduct: () => ({ tier: 'STANDARD', ...validity(), services: ['clients.read'] }),
  rejectCertification: () => ({}),
  whitelistServices: () => ({ services: ['lodgments.read'] }),
  removeServices: () => ({ services: ['clients.read'] }),
  setMinimumVersion: () => ({ minimumVersion: '3.0.0' }),
  suspendProduct: () => ({}),
  reinstateProduct: () => ({}),
  revokeProduct: () => ({}),
};

function expectIllegal(r: GraphQLResult, field: string, currentState: string, action: string): void {
  expect(codesOf(r)).toEqual(['ILLEGAL_TRANSITION']);
  expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'ILLEGAL_TRANSITION', currentState, action });
  // The registry subgraph's own error, passed on whole: its path, and nothing about the subgraph's address.
  expect(r.body.errors![0]!.path).toEqual([field]);
  expect(r.body.errors![0]!.extensions).not.toHaveProperty('response');
  expect(r.body.data?.[field] ?? null).toBeNull();
}

describe('illegal transitions are refused with ILLEGAL_TRANSITION naming the current state', () => {
  const products = {} as Record<ProductState, { id: string }>;
  const developers = {} as Record<DeveloperState, { id: string }>;

  beforeAll(async () => {
    const owner = await reg.developerIn('ACTIVE');
    for (const state of PRODUCT_STATES) products[state] = await reg.productIn(state, owner.id);
    for (const state of DEVELOPER_STATES) developers[state] = await reg.developerIn(state);
  });

  test('the fixtures are in the states they stand for', async () => {
    for (const state of PRODUCT_STATES) expect((await reg.ok(reg.auditor, 'product', { id: products[state].id })).status).toBe(state);
    for (const state of DEVELOPER_STATES) expect((await reg.ok(reg.auditor, 'developer', { id: developers[state].id })).status).toBe(state);
  });

  test.each([
    ['certifying a revoked product', 'REVOKED', 'certifyProduct'],
    ['reinstating a product that is not suspended', 'CERTIFIED', 'reinstateProduct'],
    ['certifying without a self-certification', 'REGISTERED', 'certifyProduct'],
    ['suspending a revoked product', 'REVOKED', 'suspendProduct'],
    ['whitelisting services on a revoked product (it never comes back)', 'REVOKED', 'whitelistServices'],
    ['self-certifying a revoked product', 'REVOKED', 'submitSelfCertification'],
  ] as Array<[string, ProductState, string]>)('%s', async (_name, state, action) => {
    const { id } = products[state];
    const before = await reg.ok(reg.admin, 'product', { id });
    const r = await reg.call(reg.admin, action as RegistryField, { productId: id, expectedRevision: before.revision, reason: 'Should be refused', ...PRODUCT_ACTION_ARGS[action]!() });
    expectIllegal(r, action, state, action);
  });

  test.each([
    ['suspending a self-certified demo product (PRD-PENDING)', 'PRD-PENDING', 'SELF_CERTIFIED', 'suspendProduct'],
    ['certifying a suspended demo product (PRD-SUSPENDED)', 'PRD-SUSPENDED', 'SUSPENDED', 'certifyProduct'],
    ['reinstating a certified demo product (PRD-CERTIFIED)', 'PRD-CERTIFIED', 'CERTIFIED', 'reinstateProduct'],
  ])('%s', async (_name, id, state, action) => {
    const before = await reg.ok(reg.admin, 'product', { id });
    const r = await reg.call(reg.admin, action as RegistryField, { productId: id, expectedRevision: before.revision, reason: 'Should be refused', ...PRODUCT_ACTION_ARGS[action]!() });
    expectIllegal(r, action, state, action);
  });

  test('approving a deregistered developer', async () => {
    const { id } = developers.DEREGISTERED;
    const before = await reg.ok(reg.admin, 'developer', { id });
    const r = await reg.call(reg.admin, 'approveDeveloper', { developerId: id, expectedRevision: before.revision, reason: 'Should be refused' });
    expectIllegal(r, 'approveDeveloper', 'DEREGISTERED', 'approveDeveloper');
  });

  test.each([
    ['a suspended developer (DEV-NONCOMPLIANT)', () => 'DEV-NONCOMPLIANT', 'SUSPENDED'],
    ['a pending developer', () => developers.PENDING.id, 'PENDING'],
    ['a rejected developer', () => developers.REJECTED.id, 'REJECTED'],
    ['a deregistered developer', () => developers.DEREGISTERED.id, 'DEREGISTERED'],
  ] as Array<[string, () => string, DeveloperState]>)('registering a product under %s', async (_name, developerId, state) => {
    const r = await reg.call(reg.admin, 'registerProduct', { input: productApplication(developerId()) });
    expectIllegal(r, 'registerProduct', state, 'registerProduct');
    expect(await reg.ok(reg.admin, 'products', { developerId: developerId() })).toEqual(
      developerId() === 'DEV-NONCOMPLIANT' ? [expect.objectContaining({ id: 'PRD-NONCOMPLIANT-DEV' })] : [],
    );
  });

  const illegalProductPairs = illegal(LEGAL_PRODUCT_TRANSITIONS, PRODUCT_STATES);
  test.each(illegalProductPairs)('product: %s from %s, with nothing changed', async (action, state) => {
    const { id } = products[state];
    const before = await reg.ok(reg.admin, 'product', { id });
    const historyBefore = await reg.ok(reg.admin, 'productHistory', { productId: id });
    const r = await reg.call(reg.admin, action as RegistryField, { productId: id, expectedRevision: before.revision, reason: 'Should be refused', ...PRODUCT_ACTION_ARGS[action]!() });
    expectIllegal(r, action, state, action);
    expect(await reg.ok(reg.admin, 'product', { id })).toEqual(before);
    expect(await reg.ok(reg.admin, 'productHistory', { productId: id })).toHaveLength(historyBefore.length);
  });

  const illegalDeveloperPairs = illegal(LEGAL_DEVELOPER_TRANSITIONS, DEVELOPER_STATES);
  test.each(illegalDeveloperPairs)('developer: %s from %s, with nothing changed', async (action, state) => {
    const { id } = developers[state];
    const before = await reg.ok(reg.admin, 'developer', { id });
    const r = await reg.call(reg.admin, action as RegistryField, { developerId: id, expectedRevision: before.revision, reason: 'Should be refused' });
    expectIllegal(r, action, state, action);
    expect(await reg.ok(reg.admin, 'developer', { id })).toEqual(before);
  });

  test('the sweep covers every action in each table and refuses something from every state', () => {
    expect(illegalProductPairs).toHaveLength(33);
    expect(illegalDeveloperPairs).toHaveLength(23);
    // A revoked product never comes back: every product action is refused from REVOKED.
    expect(illegalProductPairs.filter(([, s]) => s === 'REVOKED').map(([a]) => a).sort()).toEqual(Object.keys(LEGAL_PRODUCT_TRANSITIONS).sort());
  });
});

describe('eligibility failures give a REJECTED developer with the reasons', () => {
  const ELIGIBLE = { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: true, abnUnique: true };

  async function expectRejected(application: Record<string, unknown>, failed: Partial<typeof ELIGIBLE>) {
    const developer = await reg.ok(reg.applicant, 'registerDeveloper', { input: developerApplication(application) });
    expect(developer.status).toBe('REJECTED');
    expect(developer.eligibility).toMatchObject({ ...ELIGIBLE, ...failed });
    expect(developer.eligibility.reasons).toHaveLength(Object.keys(failed).length);
    expect(developer.statusReason).toEqual(expect.any(String));
    // The refusal is on record, and a rejected application cannot be approved.
    const history = await reg.ok(reg.auditor, 'developerHistory', { developerId: developer.id });
    expect(history.map((e: any) => [e.action, e.toStatus])).toEqual([['registerDeveloper', 'REJECTED']]);
    const approve = await reg.call(reg.admin, 'approveDeveloper', { developerId: developer.id, expectedRevision: developer.revision, reason: 'Should be refused' });
    expectIllegal(approve, 'approveDeveloper', 'REJECTED', 'approveDeveloper');
    return developer;
  }

  test('a bad ABN check digit', async () => {
    const abn = withBadCheckDigit(freshAbn());
    expect(isValidAbn(abn)).toBe(false);
    await expectRejected({ abn }, { abnValid: false });
  });

  test('a duplicate ABN: DEV-GOOD’s, as read through the developer query, with and without grouping spaces', async () => {
    const good = await reg.ok(reg.admin, 'developer', { id: 'DEV-GOOD' });
    expect(isValidAbn(good.abn)).toBe(true);
    await expectRejected({ abn: good.abn }, { abnUnique: false });
    const spaced = `${good.abn.slice(0, 2)} ${good.abn.slice(2, 5)} ${good.abn.slice(5, 8)} ${good.abn.slice(8)}`;
    await expectRejected({ abn: spaced }, { abnUnique: false });
  });

  test('a duplicate of a pending application’s ABN', async () => {
    const pending = await reg.registerDeveloper();
    expect(pending.status).toBe('PENDING');
    await expectRejected({ abn: pending.abn }, { abnUnique: false });
  });

  test('declarations not accepted', async () => {
    await expectRejected({ declarationsAccepted: false }, { declarationsAccepted: false });
  });

  test('tax obligations not current', async () => {
    await expectRejected({ taxObligationsCurrent: false }, { taxObligationsCurrent: false });
  });

  test('every failed check is listed', async () => {
    await expectRejected({ abn: withBadCheckDigit(freshAbn()), declarationsAccepted: false, taxObligationsCurrent: false }, { abnValid: false, declarationsAccepted: false, taxObligationsCurrent: false });
  });

  test('a rejected application does not hold its ABN: the fixed application is PENDING', async () => {
    const rejected = await expectRejected({ declarationsAccepted: false }, { declarationsAccepted: false });
    const fixed = await reg.registerDeveloper({ abn: rejected.abn });
    expect(fixed).toMatchObject({ status: 'PENDING', eligibility: { ...ELIGIBLE, reasons: [] } });
    expect(fixed.id).not.toBe(rejected.id);
  });
});

describe('optimistic concurrency: two updates expecting the same revision', () => {
  let developerId: string;
  beforeAll(async () => {
    developerId = (await reg.developerIn('ACTIVE')).id;
  });

  function oneWinner(results: GraphQLResult[], field: string) {
    const winners = results.filter((r) => codesOf(r).length === 0 && r.body.data?.[field]);
    const losers = results.filter((r) => codesOf(r).length > 0);
    expect([winners.length, losers.length]).toEqual([1, 1]);
    expect(codesOf(losers[0]!)).toEqual(['REVISION_CONFLICT']);
    return { winner: winners[0]!.body.data![field], loser: losers[0]! };
  }

  test('setMinimumVersion twice in parallel: exactly one success and one REVISION_CONFLICT, five rounds', async () => {
    const product = await reg.productIn('CERTIFIED', developerId);
    for (let round = 0; round < 5; round++) {
      const before = await reg.ok(reg.admin, 'product', { id: product.id });
      const historyBefore = await reg.ok(reg.admin, 'productHistory', { productId: product.id });
      const versions = [`2.${round}.1`, `2.${round}.2`];
      const results = await Promise.all(
        versions.map((minimumVersion, i) =>
          reg.call(reg.admin, 'setMinimumVersion', { productId: product.id, expectedRevision: before.revision, minimumVersion, reason: `Admin ${i + 1} raises the minimum` }),
        ),
      );
      const { winner, loser } = oneWinner(results, 'setMinimumVersion');
      expect(loser.body.errors![0]!.extensions).toMatchObject({ expectedRevision: before.revision, actualRevision: winner.revision });
      expect(winner.revision).toBeGreaterThan(before.revision);
      const after = await reg.ok(reg.admin, 'product', { id: product.id });
      expect(after).toMatchObject({ minimumVersion: winner.minimumVersion, revision: winner.revision });
      expect(versions).toContain(winner.minimumVersion);
      const history = await reg.ok(reg.admin, 'productHistory', { productId: product.id });
      expect(history).toHaveLength(historyBefore.length + 1);
      expect(history.at(-1)).toMatchObject({ action: 'setMinimumVersion', revision: winner.revision });
    }
  });

  test('two different admin decisions on one product (suspend and revoke) in parallel: one wins', async () => {
    const product = await reg.productIn('CERTIFIED', developerId);
    const results = await Promise.all([
      reg.call(reg.admin, 'suspendProduct', { productId: product.id, expectedRevision: product.revision, reason: 'Admin 1 suspends' }),
      reg.call(reg.admin, 'revokeProduct', { productId: product.id, expectedRevision: product.revision, reason: 'Admin 2 revokes' }),
    ]);
    const winnerField = codesOf(results[0]!).length === 0 ? 'suspendProduct' : 'revokeProduct';
    const { winner } = oneWinner(results, winnerField);
    expect((await reg.ok(reg.admin, 'product', { id: product.id })).status).toBe(winner.status);
  });

  test('two decisions on one developer (suspend and deregister) in parallel: one wins', async () => {
    const developer = await reg.developerIn('ACTIVE');
    const results = await Promise.all([
      reg.call(reg.admin, 'suspendDeveloper', { developerId: developer.id, expectedRevision: developer.revision, reason: 'Admin 1 suspends' }),
      reg.call(reg.admin, 'deregisterDeveloper', { developerId: developer.id, expectedRevision: developer.revision, reason: 'Admin 2 deregisters' }),
    ]);
    const winnerField = codesOf(results[0]!).length === 0 ? 'suspendDeveloper' : 'deregisterDeveloper';
    const { winner } = oneWinner(results, winnerField);
    expect((await reg.ok(reg.admin, 'developer', { id: developer.id })).status).toBe(winner.status);
    expect(await reg.ok(reg.admin, 'developerHistory', { developerId: developer.id })).toHaveLength(3);
  });

  test('a stale revision is refused even when nothing races', async () => {
    const product = await reg.productIn('CERTIFIED', developerId);
    await reg.ok(reg.admin, 'setMinimumVersion', { productId: product.id, expectedRevision: product.revision, minimumVersion: '2.5.0', reason: 'First change' });
    const stale = await reg.call(reg.admin, 'setMinimumVersion', { productId: product.id, expectedRevision: product.revision, minimumVersion: '2.6.0', reason: 'Based on an old read' });
    expect(codesOf(stale)).toEqual(['REVISION_CONFLICT']);
    expect((await reg.ok(reg.admin, 'product', { id: product.id })).minimumVersion).toBe('2.5.0');
  });
});
