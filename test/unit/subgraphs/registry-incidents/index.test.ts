import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { Alert } from '../../../../monitoring/incident-model.js';
import type { AssertionClaims } from '../../../../core/assertion.js';
import { abnFromNumber } from '../../../../core/ids.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { incidentResolvers } from '../../../../subgraphs/registry-incidents/index.js';
import { subgraphTypeDefs } from '../../../../subgraphs/shared/sdl.js';
import type { SubgraphContext } from '../../../../subgraphs/shared/server.js';
import { note, sampleDeveloper, sampleProduct } from '../../../contract/samples.js';

const T0 = Date.parse('2030-05-01T00:00:00.000Z');
const HOUR = 3_600_000;

const staff = (sub: string, roles: string[], options: { mfa?: boolean; developerId?: string | null } = {}): AssertionClaims => ({
  sub, org: null, softwareId: null, softwareVersion: null, developerId: options.developerId ?? null, tier: null, roles, mfa: options.mfa ?? true, requestId: null,
});
const ADMIN = staff('ann', ['ato:admin']);
const AUDITOR = staff('al', ['ato:auditor']);
const STAFF_A = staff('sam', ['dsp:developer'], { developerId: 'DEV-A' });
const STAFF_B = staff('bo', ['dsp:developer'], { developerId: 'DEV-B' });

interface Result {
  data: Record<string, any> | null | undefined;
  errors: Array<{ message: string; path?: ReadonlyArray<string | number>; extensions?: Record<string, any> }> | undefined;
}

let store: Store;
let server: ApolloServer<SubgraphContext>;
const clock = { now: T0 };
let seq = 0;

async function run(identity: AssertionClaims, query: string, variables?: Record<string, unknown>): Promise<Result> {
  const response = await server.executeOperation({ query, ...(variables ? { variables } : {}) }, { contextValue: { identity, requestId: null } });
  if (response.body.kind !== 'single') throw new Error('incremental response');
  return response.body.singleResult as Result;
}
const codeOf = (r: Result) => r.errors?.[0]?.extensions?.['code'];
async function ok(identity: AssertionClaims, query: string, variables?: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await run(identity, query, variables);
  if (r.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(r.errors)}`);
  return r.data!;
}

const FIELDS = 'id source title risk status detectedAt notifyBy dueSoon overdue productIds developerId revision report { whatHappened occurredAt affectedRecords contact } notes { actor status note }';
const NOTIFY = `mutation($input: NotifyIncidentInput!) { notifyIncident(input: $input) { ${FIELDS} } }`;
const TRIAGE = `mutation($id: ID!, $rev: Int!, $status: IncidentStatus!, $note: String!, $risk: RiskLevel) { triageIncident(id: $id, expectedRevision: $rev, status: $status, note: $note, risk: $risk) { ${FIELDS} } }`;
const INCIDENTS = 'query($status: IncidentStatus, $productId: ID) { incidents(status: $status, productId: $productId) { id developerId status productIds } }';
const INCIDENT = 'query($id: ID!) { incident(id: $id) { id developerId } }';

const report = (over: Record<string, unknown> = {}) => ({
  whatHappened: 'Credentials of a support engineer were phished.',
  occurredAt: new Date(T0 - 3 * HOUR).toISOString(),
  productIds: ['PRD-A1'],
  affectedRecords: 40,
  contact: 'security@a.example',
  ...over,
});

beforeAll(async () => {
  store = await createStore('sqlite::memory:');
  let abn = 500;
  for (const id of ['DEV-A', 'DEV-B']) await store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper(id, { abn: abnFromNumber(++abn) }), note: note() });
  for (const [id, dev] of [['PRD-A1', 'DEV-A'], ['PRD-A2', 'DEV-A'], ['PRD-B1', 'DEV-B']] as const) {
    await store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: null, next: sampleProduct(id, dev), note: note() });
  }
  server = new ApolloServer<SubgraphContext>({
    schema: buildSubgraphSchema({ typeDefs: subgraphTypeDefs('registry'), resolvers: incidentResolvers({ store, now: () => clock.now, newIncidentId: () => `INC-T${++seq}` }) as GraphQLResolverMap<unknown> }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
  await server.start();
});
afterAll(async () => {
  await server.stop();
  await store.close();
});

describe('notifyIncident', () => {
  test('developer staff notify an incident on their own product: OPEN, risk from affected records, due in 24 h', async () => {
    const i = (await ok(STAFF_A, NOTIFY, { input: report() })).notifyIncident;
    expect(i).toMatchObject({ source: 'DSP', risk: 'MEDIUM', status: 'OPEN', productIds: ['PRD-A1'], developerId: 'DEV-A', dueSoon: false, overdue: false, revision: 1 });
    expect(i.report).toEqual({ whatHappened: report().whatHappened, occurredAt: report().occurredAt, affectedRecords: 40, contact: 'security@a.example' });
    expect(Date.parse(i.notifyBy)).toBe(T0 + 24 * HOUR);
    expect(i.notes).toEqual([{ actor: 'sam (dsp:developer)', status: 'OPEN', note: expect.any(String) }]);
    expect((await ok(STAFF_A, NOTIFY, { input: report({ affectedRecords: 5000 }) })).notifyIncident.risk).toBe('HIGH');
    expect((await ok(STAFF_A, NOTIFY, { input: report({ affectedRecords: 2, risk: 'HIGH' }) })).notifyIncident.risk).toBe('HIGH');
  });

  test("developer staff may not notify for another developer's product, nor probe unknown ones", async () => {
    expect(codeOf(await run(STAFF_A, NOTIFY, { input: report({ productIds: ['PRD-B1'] }) }))).toBe('FORBIDDEN');
    expect(codeOf(await run(STAFF_A, NOTIFY, { input: report({ productIds: ['PRD-A1', 'PRD-B1'] }) }))).toBe('FORBIDDEN');
    expect(codeOf(await run(STAFF_A, NOTIFY, { input: report({ productIds: ['PRD-NOPE'] }) }))).toBe('FORBIDDEN');
  });

  test("an admin may notify on a DSP's behalf; the incident belongs to the products' developer", async () => {
    const i = (await ok(ADMIN, NOTIFY, { input: report({ productIds: ['PRD-B1'] }) })).notifyIncident;
    expect(i).toMatchObject({ developerId: 'DEV-B', productIds: ['PRD-B1'] });
    expect(codeOf(await run(ADMIN, NOTIFY, { input: report({ productIds: ['PRD-NOPE'] }) }))).toBe('NOT_FOUND');
    expect(codeOf(await run(ADMIN, NOTIFY, { input: report({ productIds: ['PRD-A1', 'PRD-B1'] }) }))).toBe('BAD_USER_INPUT');
  });

  test('refuses incomplete reports, callers without MFA, and auditors', async () => {
    expect(codeOf(await run(STAFF_A, NOTIFY, { input: report({ whatHappened: ' ' }) }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await run(STAFF_A, NOTIFY, { input: report({ occurredAt: new Date(T0 + HOUR).toISOString() }) }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await run(staff('sam', ['dsp:developer'], { developerId: 'DEV-A', mfa: false }), NOTIFY, { input: report() }))).toBe('MFA_REQUIRED');
    expect(codeOf(await run(AUDITOR, NOTIFY, { input: report() }))).toBe('ROLE_REQUIRED');
  });
});

describe('triageIncident', () => {
  test('an admin moves a DSP-notified incident to RESOLVED, one noted step at a time', async () => {
    let i = (await ok(STAFF_A, NOTIFY, { input: report() })).notifyIncident;
    for (const status of ['TRIAGED', 'CONTAINED', 'RESOLVED']) {
      clock.now += HOUR;
      i = (await ok(ADMIN, TRIAGE, { id: i.id, rev: i.revision, status, note: `step ${status}` })).triageIncident;
      expect(i.status).toBe(status);
    }
    clock.now = T0;
    expect(i.revision).toBe(4);
    expect(i.notes.map((n: any) => n.status)).toEqual(['OPEN', 'TRIAGED', 'CONTAINED', 'RESOLVED']);
    expect(i.notes.at(-1)).toEqual({ actor: 'ann (ato:admin)', status: 'RESOLVED', note: 'step RESOLVED' });
    expect(i.dueSoon).toBe(false);
    expect((await ok(AUDITOR, INCIDENTS, { status: 'RESOLVED' })).incidents.map((x: any) => x.id)).toContain(i.id);
  });

  test('refuses illegal transitions, stale revisions, unknown incidents and non-admins', async () => {
    const i = (await ok(STAFF_A, NOTIFY, { input: report() })).notifyIncident;
    expect(codeOf(await run(ADMIN, TRIAGE, { id: i.id, rev: i.revision, status: 'RESOLVED', note: 'skip' }))).toBe('ILLEGAL_TRANSITION');
    expect(codeOf(await run(ADMIN, TRIAGE, { id: i.id, rev: i.revision + 1, status: 'TRIAGED', note: 'stale' }))).toBe('REVISION_CONFLICT');
    expect(codeOf(await run(ADMIN, TRIAGE, { id: 'INC-NOPE', rev: 1, status: 'TRIAGED', note: 'x' }))).toBe('NOT_FOUND');
    expect(codeOf(await run(STAFF_A, TRIAGE, { id: i.id, rev: i.revision, status: 'TRIAGED', note: 'mine' }))).toBe('ROLE_REQUIRED');
    expect(codeOf(await run(AUDITOR, TRIAGE, { id: i.id, rev: i.revision, status: 'TRIAGED', note: 'x' }))).toBe('ROLE_REQUIRED');
    expect(codeOf(await run(staff('ann', ['ato:admin'], { mfa: false }), TRIAGE, { id: i.id, rev: i.revision, status: 'TRIAGED', note: 'x' }))).toBe('MFA_REQUIRED');
    const triaged = (await ok(ADMIN, TRIAGE, { id: i.id, rev: i.revision, status: 'TRIAGED', note: 'looking', risk: 'HIGH' })).triageIncident;
    expect(triaged).toMatchObject({ status: 'TRIAGED', risk: 'HIGH' });
  });

  test('flags an incident near its deadline', async () => {
    const i = (await ok(STAFF_A, NOTIFY, { input: report() })).notifyIncident;
    clock.now = T0 + 22 * HOUR;
    try {
      expect((await ok(AUDITOR, `query($id: ID!) { incident(id: $id) { dueSoon overdue } }`, { id: i.id })).incident).toEqual({ dueSoon: true, overdue: false });
    } finally {
      clock.now = T0;
    }
  });
});

describe('reading incidents and alerts', () => {
  let alert: Alert;
  let detectorIncidentId: string;

  beforeAll(async () => {
    detectorIncidentId = 'INC-DETECTED';
    alert = {
      id: 'ALR-T1', detector: 'enumeration', risk: 'HIGH', key: 'product:PRD-A2', productId: 'PRD-A2', observed: 120, baseline: 60, message: 'enumerating', evidence: ['REC-1'],
      raisedAt: new Date(T0).toISOString(), lastSeenAt: new Date(T0).toISOString(), status: 'OPEN', incidentId: detectorIncidentId,
    };
    await store.saveAlert(alert);
    await store.saveIncident({
      id: detectorIncidentId, source: 'DETECTOR', title: 'enumeration: 120 clients within 10 min', risk: 'HIGH', status: 'OPEN', detectedAt: new Date(T0).toISOString(), notifyBy: new Date(T0 + 24 * HOUR).toISOString(),
      productIds: ['PRD-A2'], developerId: 'DEV-A', alertIds: [alert.id], report: null,
      notes: [{ at: new Date(T0).toISOString(), actor: 'monitoring', status: 'OPEN', note: 'Opened automatically from HIGH alert ALR-T1 (enumeration on product:PRD-A2).' }],
      updatedAt: new Date(T0).toISOString(), revision: 0,
    }, null);
    await ok(STAFF_B, NOTIFY, { input: report({ productIds: ['PRD-B1'] }) });
  });

  test('auditors read every incident; developer staff only their own developer’s', async () => {
    const all = (await ok(AUDITOR, INCIDENTS)).incidents;
    expect(new Set(all.map((i: any) => i.developerId))).toEqual(new Set(['DEV-A', 'DEV-B']));
    const mine = (await ok(STAFF_B, INCIDENTS)).incidents;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((i: any) => i.developerId === 'DEV-B')).toBe(true);
    expect(codeOf(await run(STAFF_B, INCIDENT, { id: detectorIncidentId }))).toBe('FORBIDDEN');
    expect(codeOf(await run(STAFF_B, INCIDENT, { id: 'INC-NOPE' }))).toBe('FORBIDDEN');
    expect((await ok(AUDITOR, INCIDENT, { id: 'INC-NOPE' })).incident).toBeNull();
    expect(codeOf(await run(staff('x', []), INCIDENTS))).toBe('ROLE_REQUIRED');
  });

  test('filters by status and product', async () => {
    const byProduct = (await ok(ADMIN, INCIDENTS, { productId: 'PRD-A2' })).incidents;
    expect(byProduct.map((i: any) => i.id)).toEqual([detectorIncidentId]);
    expect((await ok(ADMIN, INCIDENTS, { status: 'CONTAINED', productId: 'PRD-A2' })).incidents).toEqual([]);
  });

  test('alerts are for ATO staff: auditors read them, with the incident link both ways', async () => {
    const alerts = (await ok(AUDITOR, '{ alerts(status: OPEN) { id detector risk key productId observed baseline evidence incidentId status } }')).alerts;
    expect(alerts).toEqual([{ id: 'ALR-T1', detector: 'enumeration', risk: 'HIGH', key: 'product:PRD-A2', productId: 'PRD-A2', observed: 120, baseline: 60, evidence: ['REC-1'], incidentId: detectorIncidentId, status: 'OPEN' }]);
    const withAlerts = (await ok(ADMIN, `query($id: ID!) { incident(id: $id) { alertIds alerts { id key } } }`, { id: detectorIncidentId })).incident;
    expect(withAlerts).toEqual({ alertIds: ['ALR-T1'], alerts: [{ id: 'ALR-T1', key: 'product:PRD-A2' }] });
  });

  test('developer staff read that monitoring opened their incident, not the detector, its threshold or the alert (review s17b F4)', async () => {
    const query = `query($id: ID!) { incident(id: $id) { title notes { actor note } } }`;
    expect((await ok(STAFF_A, query, { id: detectorIncidentId })).incident).toEqual({ title: 'Unusual activity detected by ATO monitoring', notes: [{ actor: 'monitoring', note: 'Recorded by ATO monitoring.' }] });
    expect((await ok(AUDITOR, query, { id: detectorIncidentId })).incident).toEqual({
      title: 'enumeration: 120 clients within 10 min',
      notes: [{ actor: 'monitoring', note: 'Opened automatically from HIGH alert ALR-T1 (enumeration on product:PRD-A2).' }],
    });
  });

  test('developer staff read neither alerts nor the alert links of their own incidents', async () => {
    expect(codeOf(await run(STAFF_A, '{ alerts { id } }'))).toBe('ROLE_REQUIRED');
    const r = await run(STAFF_A, `query($id: ID!) { incident(id: $id) { id alertIds } }`, { id: detectorIncidentId });
    expect(r.data?.['incident']).toEqual({ id: detectorIncidentId, alertIds: null });
    expect(codeOf(r)).toBe('ROLE_REQUIRED');
    expect(r.errors?.[0]?.path).toEqual(['incident', 'alertIds']);
  });
});
