/**
 * Issue 20: every file in docs/operations (the operations the staff console sends) runs green
 * against the real system, as each user its header names; and the same operations show what
 * the console cannot do: a product token opens no console data, developer staff see only their
 * own developer's products, and an auditor changes nothing on the register.
 */
import { abnFromNumber } from '../../core/ids.js';
import { loadOperations, type ConsoleOperation, type OperationUser } from '../../console/operations.js';
import { REQUIREMENTS } from '../../registry/model.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

const operations = loadOperations();
const DAY = 86_400_000;
let sys: TestSystem;
let tokens: Record<OperationUser, string>;
/** Which users ran which operation green. */
const ranGreen = new Map<string, Set<OperationUser>>();

beforeAll(async () => {
  sys = await startTestSystem();
  tokens = {
    admin: await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'ops-admin' }),
    auditor: await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'ops-auditor' }),
    developer: await sys.token({ roles: ['dsp:developer'], developer: 'DEV-GOOD', mfa: true, sub: 'ops-developer' }),
    product: await sys.token({ product: 'PRD-CERTIFIED' }),
  };
});
afterAll(async () => {
  await sys?.close();
});

function op(id: string): ConsoleOperation {
  const found = operations.get(id);
  if (!found) throw new Error(`no docs/operations/${id}.graphql`);
  return found;
}
const send = (id: string, who: OperationUser | string, variables: Record<string, unknown> = {}): Promise<GraphQLResult> =>
  sys.gql(op(id).document, { token: (tokens as Record<string, string>)[who] ?? who, variables, operationName: op(id).name });

/** Runs the operation as `who` and expects it served whole; returns its data. */
async function green(id: string, who: OperationUser, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const r = await send(id, who, variables);
  if (r.status !== 200 || codesOf(r).length || !r.body.data) throw new Error(`${id} as ${who}: ${r.status} ${JSON.stringify(r.body.errors)}`);
  if (!ranGreen.has(id)) ranGreen.set(id, new Set());
  ranGreen.get(id)!.add(who);
  return r.body.data;
}

const assessments = (notMet: string[] = []) => REQUIREMENTS.map((requirement) => ({ requirement, outcome: notMet.includes(requirement) ? 'NOT_MET' : 'MET', evidence: `Evidence for ${requirement}` }));
const reason = { reason: 'Console operations test', ticket: 'OPS-1' };

describe('docs/operations', () => {
  it('holds operations for every console user, each file well formed', () => {
    const users = new Set([...operations.values()].flatMap((o) => o.users));
    expect([...users].sort()).toEqual(['admin', 'auditor', 'developer', 'product']);
    expect(operations.size).toBeGreaterThanOrEqual(30);
  });

  it('runs every read of the register green as every user it names', async () => {
    for (const who of ['admin', 'auditor', 'developer'] as const) {
      await green('register/Developers', who);
      await green('register/Products', who, { refused: false });
      await green('register/Product', who, { id: 'PRD-CERTIFIED' });
      await green('register/Developer', who, { id: 'DEV-GOOD' });
    }
    for (const who of ['admin', 'auditor'] as const) {
      await green('register/Attention', who, { withinDays: 365 });
      await green('register/RegistryHistory', who, { filter: { entityType: 'PRODUCT' }, first: 20 });
      await green('register/ClientAuthorisations', who, { org: '12345679016' });
    }
  });

  it('runs every register change green, in a lifecycle', async () => {
    // Developers: approve, review, suspend, reinstate; another rejected; a third deregistered.
    const apply = async (n: number) => (await green('admin/RegisterDeveloper', 'admin', { input: { abn: abnFromNumber(8_100_000 + n), legalName: `Console Ops ${n} Pty Ltd`, contact: { name: 'Ops', email: `ops${n}@example.com` }, roles: ['DEVELOPER'], declarationsAccepted: true, taxObligationsCurrent: true, ...reason } })).registerDeveloper;
    let dev = await apply(1);
    dev = (await green('admin/ApproveDeveloper', 'admin', { developerId: dev.id, expectedRevision: dev.revision, ...reason })).approveDeveloper;
    dev = (await green('admin/CompleteAnnualReview', 'admin', { developerId: dev.id, expectedRevision: dev.revision, ...reason })).completeAnnualReview;
    dev = (await green('admin/SuspendDeveloper', 'admin', { developerId: dev.id, expectedRevision: dev.revision, ...reason })).suspendDeveloper;
    dev = (await green('admin/ReinstateDeveloper', 'admin', { developerId: dev.id, expectedRevision: dev.revision, ...reason })).reinstateDeveloper;
    expect(dev.status).toBe('ACTIVE');
    const rejected = await apply(2);
    expect((await green('admin/RejectDeveloper', 'admin', { developerId: rejected.id, expectedRevision: rejected.revision, ...reason })).rejectDeveloper.status).toBe('REJECTED');
    let gone = await apply(3);
    gone = (await green('admin/ApproveDeveloper', 'admin', { developerId: gone.id, expectedRevision: gone.revision, ...reason })).approveDeveloper;
    expect((await green('admin/DeregisterDeveloper', 'admin', { developerId: gone.id, expectedRevision: gone.revision, ...reason })).deregisterDeveloper.status).toBe('DEREGISTERED');

    // Products: one by the admin, one by developer staff; self-certified by each.
    const product = async (who: 'admin' | 'developer', developerId: string, name: string) =>
      (await green('admin/RegisterProduct', who, { input: { developerId, name, deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0', ...reason } })).registerProduct;
    let a = await product('admin', dev.id, 'Ops Ledger');
    a = (await green('developer/SubmitSelfCertification', 'admin', { productId: a.id, expectedRevision: a.revision, assessments: assessments(), ...reason })).submitSelfCertification;
    let b = await product('developer', 'DEV-GOOD', 'Ops Payroll');
    b = (await green('developer/SubmitSelfCertification', 'developer', { productId: b.id, expectedRevision: b.revision, assessments: assessments(['ENCRYPTION_AT_REST']), ...reason })).submitSelfCertification;
    // Operation manifests: developer staff submit for their own product, an admin approves it.
    const documents = ['query ClientName($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    name\n  }\n}', 'query Two { __typename }\n'];
    b = (await green('admin/SubmitOperationManifest', 'developer', { productId: b.id, expectedRevision: b.revision, documents, ...reason })).submitOperationManifest;
    expect([b.manifest, b.pendingManifest.version, b.pendingManifest.operations.map((o: { operationNames: string[] }) => o.operationNames)]).toEqual([null, 1, [['ClientName'], ['Two']]]);
    b = (await green('admin/ApproveOperationManifest', 'admin', { productId: b.id, expectedRevision: b.revision, manifestVersion: 1, ...reason })).approveOperationManifest;
    expect([b.manifest.version, b.pendingManifest, b.effectiveTrustedDocuments]).toEqual([1, null, 'ENFORCE']);
    expect((await green('admin/RejectCertification', 'admin', { productId: b.id, expectedRevision: b.revision, ...reason })).rejectCertification.status).toBe('CERTIFICATION_REJECTED');
    a = (await green('admin/SubmitOperationManifest', 'admin', { productId: a.id, expectedRevision: a.revision, documents: documents.slice(0, 1), ...reason })).submitOperationManifest;

    const now = Date.now();
    a = (await green('admin/CertifyProduct', 'admin', { productId: a.id, expectedRevision: a.revision, tier: 'STANDARD', validFrom: new Date(now - DAY).toISOString(), validUntil: new Date(now + 365 * DAY).toISOString(), services: ['clients.read'], manifestVersion: 1, ...reason })).certifyProduct;
    expect([a.status, a.manifest.version, a.pendingManifest]).toEqual(['CERTIFIED', 1, null]);
    a = (await green('admin/SetTrustedDocuments', 'admin', { productId: a.id, expectedRevision: a.revision, mode: 'LOG', ...reason })).setTrustedDocuments;
    expect([a.trustedDocuments, a.effectiveTrustedDocuments]).toEqual(['LOG', 'LOG']);
    a = (await green('admin/SetTrustedDocuments', 'admin', { productId: a.id, expectedRevision: a.revision, mode: null, ...reason })).setTrustedDocuments;
    expect([a.trustedDocuments, a.effectiveTrustedDocuments]).toEqual([null, 'ENFORCE']);
    a = (await green('admin/SetKeyBinding', 'admin', { productId: a.id, expectedRevision: a.revision, required: true, thumbprints: ['0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'], ...reason })).setKeyBinding;
    expect(a.keyBinding).toEqual({ required: true, thumbprints: ['0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'] });
    a = (await green('admin/SetKeyBinding', 'admin', { productId: a.id, expectedRevision: a.revision, required: false, thumbprints: [], ...reason })).setKeyBinding;
    expect(a.keyBinding).toBeNull();
    a = (await green('admin/WhitelistServices', 'admin', { productId: a.id, expectedRevision: a.revision, services: ['accounts.read'], ...reason })).whitelistServices;
    expect(a.services).toEqual(expect.arrayContaining(['clients.read', 'accounts.read']));
    a = (await green('admin/RemoveServices', 'admin', { productId: a.id, expectedRevision: a.revision, services: ['accounts.read'], ...reason })).removeServices;
    a = (await green('admin/SetMinimumVersion', 'admin', { productId: a.id, expectedRevision: a.revision, minimumVersion: '1.2.0', ...reason })).setMinimumVersion;
    a = (await green('admin/SuspendProduct', 'admin', { productId: a.id, expectedRevision: a.revision, ...reason })).suspendProduct;
    expect([a.status, a.blockedBy]).toEqual(['SUSPENDED', 'PRODUCT_SUSPENDED']);
    a = (await green('admin/ReinstateProduct', 'admin', { productId: a.id, expectedRevision: a.revision, ...reason })).reinstateProduct;
    expect([a.status, a.blockedBy]).toEqual(['CERTIFIED', null]);
    expect((await green('admin/RevokeProduct', 'admin', { productId: a.id, expectedRevision: a.revision, ...reason })).revokeProduct.status).toBe('REVOKED');

    // Client authorisations.
    const granted = (await green('admin/GrantClientAuthorisation', 'admin', { org: '12345679016', clientId: 'C-000077', expectedRevision: null, ...reason })).grantClientAuthorisation;
    expect(granted.active).toBe(true);
    expect((await green('admin/RevokeClientAuthorisation', 'admin', { org: '12345679016', clientId: 'C-000077', expectedRevision: granted.revision, ...reason })).revokeClientAuthorisation.active).toBe(false);
  });

  it('runs the incident and alert operations green', async () => {
    const input = (what: string) => ({ input: { whatHappened: what, occurredAt: new Date(Date.now() - 3_600_000).toISOString(), productIds: ['PRD-CERTIFIED'], affectedRecords: 3, contact: 'Ops contact' } });
    const notified = (await green('developer/NotifyIncident', 'developer', input('A laptop was lost'))).notifyIncident;
    await green('developer/NotifyIncident', 'admin', input('Reported by phone on the DSP\'s behalf'));
    expect((await green('developer/MyIncidents', 'developer')).incidents.map((i: { id: string }) => i.id)).toContain(notified.id);
    for (const who of ['admin', 'auditor'] as const) {
      expect((await green('monitoring/Incidents', who, { status: 'OPEN' })).incidents.map((i: { id: string }) => i.id)).toContain(notified.id);
      await green('monitoring/Alerts', who, { status: 'OPEN' });
      expect((await green('monitoring/Incident', who, { id: notified.id })).incident.id).toBe(notified.id);
    }
    expect((await green('admin/TriageIncident', 'admin', { id: notified.id, expectedRevision: notified.revision, status: 'TRIAGED', note: 'Acknowledged' })).triageIncident.status).toBe('TRIAGED');
  });

  it('runs the auditor\'s operations and the product request green', async () => {
    expect((await green('product/ReadClient', 'product', { clientId: 'C-000001' })).client.id).toBe('C-000001');
    const page = (await green('auditor/AccessLog', 'auditor', { filter: {}, first: 100 })).accessLogs;
    expect(page.nodes.length).toBeGreaterThan(10);
    await green('auditor/AccessLog', 'auditor', { filter: { decision: 'ALLOWED' }, first: 100, after: page.pageInfo.endCursor });
    expect((await green('auditor/AccessSummary', 'auditor', { filter: {} })).accessSummary.total).toBeGreaterThan(10);
    expect((await green('auditor/VerifyAccessLogs', 'auditor')).verifyAccessLogs.ok).toBe(true);
  });

  it('ran every operation green as every user its header names', () => {
    const missing: string[] = [];
    for (const o of operations.values()) for (const u of o.users) if (!ranGreen.get(o.id)?.has(u)) missing.push(`${o.id} as ${u}`);
    expect(missing).toEqual([]);
  });
});

describe('what the console cannot do, through the API', () => {
  it('a product token opens no console data: every staff operation is refused whole', async () => {
    for (const o of operations.values()) {
      if (o.users.includes('product')) continue;
      const r = await send(o.id, 'product', o.exampleVariables);
      expect([o.id, r.status, codesOf(r)]).toEqual([o.id, 403, ['ROLE_REQUIRED']]);
      expect(r.body.data ?? null).toBeNull();
    }
  });

  it('an anonymous caller opens nothing', async () => {
    for (const o of operations.values()) {
      const r = await sys.gql(o.document, { token: null, variables: o.exampleVariables });
      expect([o.id, r.status, codesOf(r)]).toEqual([o.id, 401, ['UNAUTHENTICATED']]);
    }
  });

  it('developer staff see only their own developer\'s products', async () => {
    const mine = (await green('register/Products', 'developer')).products as Array<{ developerId: string }>;
    expect(mine.length).toBeGreaterThan(0);
    expect(new Set(mine.map((p) => p.developerId))).toEqual(new Set(['DEV-GOOD']));
    const other = await send('register/Product', 'developer', { id: 'PRD-NONCOMPLIANT-DEV' });
    // The product and its history are both withheld.
    expect(codesOf(other)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(other.body.data?.product ?? null).toBeNull();
    expect(other.body.data?.productHistory ?? null).toBeNull();
    expect(codesOf(await send('register/Developer', 'developer', { id: 'DEV-NONCOMPLIANT' }))).toContain('FORBIDDEN');
    const list = (await green('register/Developers', 'developer')).developers as Array<{ id: string }>;
    expect(list.map((d) => d.id)).toEqual(['DEV-GOOD']);
  });

  it('an auditor changes nothing on the register: every mutation is refused and the revision stands', async () => {
    const before = await sys.store.currentRevision();
    const mutations = [...operations.values()].filter((o) => o.type === 'mutation');
    expect(mutations.length).toBeGreaterThan(15);
    for (const o of mutations) {
      const r = await send(o.id, 'auditor', o.exampleVariables);
      expect([o.id, r.status, codesOf(r)]).toEqual([o.id, 403, ['ROLE_REQUIRED']]);
    }
    expect(await sys.store.currentRevision()).toBe(before);
  });
});
