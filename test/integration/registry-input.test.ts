/**
 * Registry input is clean: through the real gateway, a mutation carrying a control character, a
 * bidirectional control or an impossible date is refused with BAD_USER_INPUT at its field, and
 * nothing is written (the register's revision and the entity's history are unchanged).
 */
import { REQUIREMENTS } from '../../registry/model.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { registryApi, type RegistryApi } from '../helpers/registry-api.js';

describe('registry input is refused unless clean, and nothing is written', () => {
  let sys: TestSystem;
  let api: RegistryApi;
  beforeAll(async () => {
    sys = await startTestSystem();
    api = registryApi(sys);
  });
  afterAll(async () => {
    await sys.close();
  });

  const contact = { name: 'Lee Citizen', email: 'lee@example.com' };
  const developerInput = (over: Record<string, unknown>) => ({ abn: '51 824 753 556', legalName: 'Clean Pty Ltd', contact, roles: ['DEVELOPER'], declarationsAccepted: true, taxObligationsCurrent: true, ...over });

  type Case = [label: string, field: string, send: () => Promise<ReturnType<RegistryApi['admin']> extends Promise<infer R> ? R : never>];
  const cases: Case[] = [
    ['NUL in a legal name', 'input.legalName', () => api.admin(`mutation ($i: RegisterDeveloperInput!) { registerDeveloper(input: $i) { id } }`, { i: developerInput({ legalName: 'Acme\u0000 Pty Ltd' }) })],
    ['an ANSI escape in a contact name', 'input.contact.name', () => api.admin(`mutation ($i: RegisterDeveloperInput!) { registerDeveloper(input: $i) { id } }`, { i: developerInput({ contact: { ...contact, name: 'Lee \u001b[31mCitizen' } }) })],
    ['CR/LF in a legal name (log-line forgery)', 'input.legalName', () => api.admin(`mutation ($i: RegisterDeveloperInput!) { registerDeveloper(input: $i) { id } }`, { i: developerInput({ legalName: 'Acme\r\nlevel=info msg=approved' }) })],
    ['a right-to-left override in a reason', 'reason', async () => api.admin(`mutation ($r: Int!) { suspendProduct(productId: "PRD-CERTIFIED", expectedRevision: $r, reason: "Fraud \u202Edetcepsus") { status } }`, { r: await api.revisionOf('product', 'PRD-CERTIFIED') })],
    ['a bidi isolate in a ticket', 'ticket', async () => api.admin(`mutation ($r: Int!) { suspendProduct(productId: "PRD-CERTIFIED", expectedRevision: $r, reason: "Review", ticket: "INC-\u20661\u2069") { status } }`, { r: await api.revisionOf('product', 'PRD-CERTIFIED') })],
    ['an impossible until (30 February)', 'until', async () => api.admin(`mutation ($r: Int!) { suspendProduct(productId: "PRD-CERTIFIED", expectedRevision: $r, reason: "Review", until: "2031-02-30T00:00:00Z") { status } }`, { r: await api.revisionOf('product', 'PRD-CERTIFIED') })],
    ['an impossible expiresAt (31 April)', 'expiresAt', () => api.admin(`mutation { grantClientAuthorisation(org: "12345679016", clientId: "C-000060", expiresAt: "2031-04-31T00:00:00Z", reason: "Engagement") { org } }`)],
    ['an ESC in self-certification evidence', 'assessments.0.evidence', async () =>
      api.developerStaff('DEV-GOOD', `mutation ($r: Int!, $a: [RequirementAssessmentInput!]!) { submitSelfCertification(productId: "PRD-PENDING", expectedRevision: $r, assessments: $a, reason: "Annual") { status } }`, {
        r: await api.revisionOf('product', 'PRD-PENDING'),
        a: REQUIREMENTS.map((requirement, i) => ({ requirement, outcome: 'MET', evidence: i === 0 ? 'Keys in an HSM\u001b]0;pwned\u0007' : 'ok' })),
      })],
    ['a NUL in an incident description', 'input.whatHappened', () =>
      api.developerStaff('DEV-GOOD', `mutation ($i: NotifyIncidentInput!) { notifyIncident(input: $i) { id } }`, { i: { whatHappened: 'Laptop stolen\u0000', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), productIds: ['PRD-CERTIFIED'], contact: 'security@example.com' } })],
    ['an impossible incident date', 'input.occurredAt', () =>
      api.developerStaff('DEV-GOOD', `mutation ($i: NotifyIncidentInput!) { notifyIncident(input: $i) { id } }`, { i: { whatHappened: 'Laptop stolen', occurredAt: '2026-02-30T00:00:00Z', productIds: ['PRD-CERTIFIED'], contact: 'security@example.com' } })],
    ['a CR in a triage note (LF is allowed)', 'note', () => api.admin(`mutation { triageIncident(id: "INC-NONE", expectedRevision: 1, status: TRIAGED, note: "seen\\r\\nby ops") { id } }`)],
  ];

  it.each(cases)('refuses %s with BAD_USER_INPUT at %s and writes nothing', async (_label, field, send) => {
    const revisionBefore = await sys.store.currentRevision();
    const historyBefore = (await sys.store.historyOf('PRODUCT', 'PRD-CERTIFIED')).length;
    const incidentsBefore = (await sys.store.listIncidents()).length;
    const r = await send();
    expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
    expect(r.body.errors![0]!.extensions!.field).toBe(field);
    expect(r.body.data ?? null).toBeNull();
    expect(await sys.store.currentRevision()).toBe(revisionBefore);
    expect((await sys.store.historyOf('PRODUCT', 'PRD-CERTIFIED')).length).toBe(historyBefore);
    expect((await sys.store.listIncidents()).length).toBe(incidentsBefore);
  });

  it('accepts clean text in any script, with line breaks in long free text', async () => {
    const r = await api.admin(`mutation ($i: RegisterDeveloperInput!) { registerDeveloper(input: $i) { legalName } }`, { i: developerInput({ legalName: 'Ngā Mahi Kaute Pty Ltd', reason: 'Registered at the counter.\nDocuments sighted.' }) });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data!.registerDeveloper.legalName).toBe('Ngā Mahi Kaute Pty Ltd');
  });
});
