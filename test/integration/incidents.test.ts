/**
 * Issue 7: incidents through the gateway with real staff tokens. A DSP notifies a breach for its
 * own product; an admin triages it OPEN → TRIAGED → CONTAINED → RESOLVED against the revision
 * it read; auditors read it; developer staff cannot triage and cannot notify (or read) for
 * another developer's products.
 */
import { ok, registryApi } from '../helpers/registry-api.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

const DAY = 86_400_000;
const INCIDENT_FIELDS = 'id source title risk status detectedAt notifyBy dueSoon overdue productIds developerId report { whatHappened occurredAt affectedRecords contact } notes { actor status note } revision';
const NOTIFY = `mutation ($input: NotifyIncidentInput!) { notifyIncident(input: $input) { ${INCIDENT_FIELDS} } }`;
const TRIAGE = `mutation ($id: ID!, $rev: Int!, $status: IncidentStatus!, $note: String!, $risk: RiskLevel) {
  triageIncident(id: $id, expectedRevision: $rev, status: $status, note: $note, risk: $risk) { ${INCIDENT_FIELDS} }
}`;
const READ = `query ($id: ID!) { incident(id: $id) { ${INCIDENT_FIELDS} } }`;

describe('incidents: DSP notification, admin triage, auditor reads', () => {
  let sys: TestSystem;
  let staffOf: (developer: string) => Promise<string>;
  let admin: string;
  let auditor: string;
  let otherDeveloper: string;
  const asDevGood = async (query: string, variables: Record<string, unknown>): Promise<GraphQLResult> => sys.gql(query, { token: await staffOf('DEV-GOOD'), variables });
  const report = (over: Record<string, unknown> = {}) => ({
    whatHappened: 'A laptop holding an export of client records was stolen from a practice',
    occurredAt: new Date(Date.now() - 3 * 3_600_000).toISOString(),
    productIds: ['PRD-CERTIFIED'],
    affectedRecords: 40,
    contact: 'security@dsp.example',
    ...over,
  });

  beforeAll(async () => {
    sys = await startTestSystem();
    staffOf = (developer) => sys.token({ roles: ['dsp:developer'], developer, mfa: true, sub: `staff-${developer}` });
    admin = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'admin-alice' });
    auditor = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'auditor-ann' });
    otherDeveloper = await registryApi(sys).newApprovedDeveloper(81);
  });
  afterAll(async () => {
    await sys.close();
  });

  it('lets DEV-GOOD staff notify an incident for its product, due 24 h after the ATO was notified; an admin triages it to RESOLVED; an auditor reads every step', async () => {
    const before = Date.now();
    const notified = await asDevGood(NOTIFY, { input: report() });
    const incident = ok(notified).notifyIncident;
    const after = Date.now();
    expect(incident).toMatchObject({
      source: 'DSP',
      risk: 'MEDIUM', // 40 affected records
      status: 'OPEN',
      productIds: ['PRD-CERTIFIED'],
      developerId: 'DEV-GOOD',
      dueSoon: false,
      overdue: false,
      report: { affectedRecords: 40, contact: 'security@dsp.example' },
      revision: expect.any(Number),
    });
    const detectedAt = Date.parse(incident.detectedAt);
    expect(detectedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(detectedAt).toBeLessThanOrEqual(after + 1000);
    expect(Date.parse(incident.notifyBy) - detectedAt).toBe(DAY);
    expect(incident.notes).toEqual([{ actor: 'staff-DEV-GOOD (dsp:developer)', status: 'OPEN', note: expect.any(String) }]);
    const stored = await sys.store.incidentById(incident.id);
    expect(stored).toMatchObject({ id: incident.id, status: 'OPEN', detectedAt: incident.detectedAt, notifyBy: incident.notifyBy, source: 'DSP' });

    // A developer cannot triage (the gateway refuses the field before the subgraph sees it).
    const byDeveloper = await asDevGood(TRIAGE, { id: incident.id, rev: incident.revision, status: 'TRIAGED', note: 'we looked' });
    expect(codesOf(byDeveloper)).toEqual(['ROLE_REQUIRED']);
    // Nor can an admin without MFA.
    const noMfa = await sys.gql(TRIAGE, { token: await sys.token({ roles: ['ato:admin'], sub: 'admin-alice' }), variables: { id: incident.id, rev: incident.revision, status: 'TRIAGED', note: 'x' } });
    expect(codesOf(noMfa)).toEqual(['MFA_REQUIRED']);
    // OPEN cannot jump to CONTAINED.
    const skipped = await sys.gql(TRIAGE, { token: admin, variables: { id: incident.id, rev: incident.revision, status: 'CONTAINED', note: 'skip' } });
    expect(codesOf(skipped)).toEqual(['ILLEGAL_TRANSITION']);

    let revision = incident.revision as number;
    const steps: Array<[string, string, string | null]> = [
      ['TRIAGED', 'Confirmed with the DSP: 40 clients of one practice in the export.', 'HIGH'],
      ['CONTAINED', 'Product credentials rotated; the practice notified its clients.', null],
      ['RESOLVED', 'Police report lodged; no misuse seen in the access log.', null],
    ];
    for (const [status, note, risk] of steps) {
      const r = await sys.gql(TRIAGE, { token: admin, variables: { id: incident.id, rev: revision, status, note, risk } });
      const moved = ok(r).triageIncident;
      expect(moved.status).toBe(status);
      expect(moved.revision).toBeGreaterThan(revision);
      expect(moved.notes.at(-1)).toEqual({ actor: 'admin-alice (ato:admin)', status, note });
      // The deadline does not move with triage.
      expect([moved.detectedAt, moved.notifyBy]).toEqual([incident.detectedAt, incident.notifyBy]);
      // A stale revision is refused: the admin must reload and decide again.
      const stale = await sys.gql(TRIAGE, { token: admin, variables: { id: incident.id, rev: revision, status, note: 'again' } });
      expect(codesOf(stale)).toEqual(['REVISION_CONFLICT']);
      revision = moved.revision;

      const read = ok(await sys.gql(READ, { token: auditor, variables: { id: incident.id } })).incident;
      // Triage re-assessed the risk as HIGH at the first step; later steps keep it.
      expect(read).toMatchObject({ status, revision, risk: 'HIGH' });
    }

    const resolved = ok(await sys.gql(READ, { token: auditor, variables: { id: incident.id } })).incident;
    expect(resolved).toMatchObject({ status: 'RESOLVED', risk: 'HIGH', dueSoon: false, overdue: false });
    expect(resolved.notes.map((n: { status: string }) => n.status)).toEqual(['OPEN', 'TRIAGED', 'CONTAINED', 'RESOLVED']);
    expect(await sys.store.incidentById(incident.id)).toMatchObject({ status: 'RESOLVED', revision });

    // RESOLVED is final.
    const reopened = await sys.gql(TRIAGE, { token: admin, variables: { id: incident.id, rev: revision, status: 'TRIAGED', note: 'reopen' } });
    expect(codesOf(reopened)).toEqual(['ILLEGAL_TRANSITION']);

    // The auditor's list shows it; filtered by status too.
    const listed = ok(await sys.gql('{ all: incidents { id } resolved: incidents(status: RESOLVED, productId: "PRD-CERTIFIED") { id status } }', { token: auditor }));
    expect(listed.all.map((i: { id: string }) => i.id)).toContain(incident.id);
    expect(listed.resolved).toEqual(expect.arrayContaining([{ id: incident.id, status: 'RESOLVED' }]));
    // The developer that notified it sees it as well.
    expect(ok(await asDevGood('{ incidents { id } }', {})).incidents.map((i: { id: string }) => i.id)).toContain(incident.id);
  });

  it('derives the risk from the number of affected records when the DSP gives none', async () => {
    const risks: Array<[number | null, string]> = [
      [3, 'LOW'],
      [10, 'MEDIUM'],
      [1000, 'HIGH'],
      [null, 'MEDIUM'],
    ];
    for (const [affectedRecords, risk] of risks) {
      expect(ok(await asDevGood(NOTIFY, { input: report({ affectedRecords }) })).notifyIncident.risk).toBe(risk);
    }
    expect(ok(await asDevGood(NOTIFY, { input: report({ affectedRecords: 2, risk: 'HIGH' }) })).notifyIncident.risk).toBe('HIGH');
  });

  it("refuses another developer's staff: they cannot notify for DEV-GOOD's product (FORBIDDEN, same as an unknown product) nor read DEV-GOOD's incidents", async () => {
    const other = await staffOf(otherDeveloper);
    const forOthers = await sys.gql(NOTIFY, { token: other, variables: { input: report() } });
    expect(codesOf(forOthers)).toEqual(['FORBIDDEN']);
    expect(forOthers.body.data ?? null).toBeNull();
    const unknown = await sys.gql(NOTIFY, { token: other, variables: { input: report({ productIds: ['PRD-NO-SUCH'] }) } });
    expect(codesOf(unknown)).toEqual(['FORBIDDEN']);

    const own = ok(await asDevGood(NOTIFY, { input: report() })).notifyIncident;
    const read = await sys.gql(READ, { token: other, variables: { id: own.id } });
    expect(codesOf(read)).toEqual(['FORBIDDEN']);
    expect(read.body.data?.incident ?? null).toBeNull();
    const list = ok(await sys.gql('{ incidents { id developerId } }', { token: other })).incidents as Array<{ id: string }>;
    expect(list.map((i) => i.id)).not.toContain(own.id);
    // Nothing was stored for the refused notifications: DEV-GOOD's list holds only its own.
    const all = await sys.store.listIncidents({});
    expect(all.every((i) => i.developerId === 'DEV-GOOD')).toBe(true);
  });

  it('lets an admin notify on a DSP’s behalf; only ATO staff see alerts, only admins triage, and product tokens cannot touch incidents', async () => {
    const onBehalf = ok(await sys.gql(NOTIFY, { token: admin, variables: { input: report({ affectedRecords: 1500 }) } })).notifyIncident;
    expect(onBehalf).toMatchObject({ source: 'DSP', risk: 'HIGH', developerId: 'DEV-GOOD', notes: [{ actor: 'admin-alice (ato:admin)', status: 'OPEN', note: expect.any(String) }] });

    // An auditor reads alert ids; developer staff may not (alerts show how detection works).
    expect(ok(await sys.gql('query ($id: ID!) { incident(id: $id) { alertIds } }', { token: auditor, variables: { id: onBehalf.id } })).incident.alertIds).toEqual([]);
    const devAlerts = await asDevGood('query ($id: ID!) { incident(id: $id) { id alertIds } }', { id: onBehalf.id });
    expect(codesOf(devAlerts)).toEqual(['ROLE_REQUIRED']);
    expect(devAlerts.body.data?.incident?.id).toBe(onBehalf.id);
    expect(codesOf(await asDevGood('{ alerts { id } }', {}))).toEqual(['ROLE_REQUIRED']);
    // An auditor cannot triage.
    expect(codesOf(await sys.gql(TRIAGE, { token: auditor, variables: { id: onBehalf.id, rev: onBehalf.revision, status: 'TRIAGED', note: 'x' } })))
      .toEqual(['ROLE_REQUIRED']);
    // A product token (third-party software) has no role at all.
    const product = await sys.gql('{ incidents { id } }');
    expect(codesOf(product)).toEqual(['ROLE_REQUIRED']);
    expect(codesOf(await sys.gql(NOTIFY, { variables: { input: report() } }))).toEqual(['ROLE_REQUIRED']);
  });
});
