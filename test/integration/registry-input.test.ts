/**
 * Issue 13, "registry input is clean", through the real gateway with real admin and developer
 * tokens: free text holding control characters (NUL, ESC/ANSI, CR, forged line breaks) or bidi
 * overrides, and dates that do not exist or carry no offset, are refused with BAD_USER_INPUT at
 * the mutation's path naming the argument, and nothing is written (register revision, record,
 * history and incidents unchanged). Multi-line prose is still accepted, with CRLF stored as LF.
 */
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';
import { assessments, createRegistryClient, developerApplication, freshAbn, productApplication, PRACTITIONER_ORG, validity, type RegistryClient } from './support/registry-client.js';
import type { RegistryField } from './support/registry-documents.js';

const INCIDENT_FIELDS = 'id status revision report { whatHappened contact } notes { note }';
const NOTIFY = `mutation ($input: NotifyIncidentInput!) { notifyIncident(input: $input) { ${INCIDENT_FIELDS} } }`;
const TRIAGE = `mutation ($id: ID!, $rev: Int!, $status: IncidentStatus!, $note: String!) { triageIncident(id: $id, expectedRevision: $rev, status: $status, note: $note) { ${INCIDENT_FIELDS} } }`;

let sys: TestSystem;
let reg: RegistryClient;
let staffToken: string;
let developer: { id: string; revision: number };
let pending: { id: string; revision: number };
let registered: { id: string };
let selfCertified: { id: string };
let certified: { id: string };
let incident: { id: string; revision: number };

beforeAll(async () => {
  sys = await startTestSystem();
  reg = await createRegistryClient(sys);
  developer = await reg.developerIn('ACTIVE');
  pending = await reg.developerIn('PENDING');
  staffToken = await reg.developerStaff(developer.id, { sub: 'sam' });
  registered = await reg.productIn('REGISTERED', developer.id);
  selfCertified = await reg.productIn('SELF_CERTIFIED', developer.id);
  certified = await reg.productIn('CERTIFIED', developer.id);
  const notified = await sys.gql(NOTIFY, { token: staffToken, variables: { input: report() } });
  incident = notified.body.data!.notifyIncident;
});
afterAll(async () => {
  await sys?.close();
});

function report(over: Record<string, unknown> = {}) {
  return { whatHappened: 'A support laptop was stolen.', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), productIds: [registered.id], affectedRecords: 3, contact: 'security@dsp.example', ...over };
}

/** Everything a refused mutation could have written: the register, the developer and product records with their history, the DSP incidents. */
async function everythingWritable(): Promise<unknown> {
  const store = sys.store;
  const [revision, developers, products, incidents] = await Promise.all([store.currentRevision(), store.listDevelopers(), store.listProducts(), store.listIncidents({ limit: 500 })]);
  const histories = await Promise.all([...developers.map((d) => store.historyOf('DEVELOPER', d.id)), ...products.map((p) => store.historyOf('PRODUCT', p.id))]);
  return { revision, developers, products, histories: histories.map((h) => h.length), incidents: incidents.filter((i) => i.source === 'DSP') };
}

function expectRefused(r: GraphQLResult, mutation: string, field: string): void {
  expect(codesOf(r)).toEqual(['BAD_USER_INPUT']);
  expect(r.body.errors![0]!.path).toEqual([mutation]);
  expect(r.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  expect(r.body.data?.[mutation] ?? null).toBeNull();
}

type Attempt = () => Promise<GraphQLResult>;
const asAdmin = (field: RegistryField, variables: () => Record<string, unknown>): Attempt => () => reg.call(reg.admin, field, variables());
const asStaff = (field: RegistryField, variables: () => Record<string, unknown>): Attempt => () => reg.call(staffToken, field, variables());
const revisionOf = async (entity: 'product' | 'developer', id: string) => (await reg.ok(reg.admin, entity, { id })).revision as number;

describe('refused with BAD_USER_INPUT at the argument, nothing written', () => {
  const cases: Array<[string, string, string, Attempt]> = [
    ['an ANSI escape in a legal name', 'registerDeveloper', 'input.legalName', asStaff('registerDeveloper', () => ({ input: developerApplication({ legalName: 'Ledger\u001b[31m Pty Ltd' }) }))],
    ['a bidi override in a contact name', 'registerDeveloper', 'input.contact.name', asAdmin('registerDeveloper', () => ({ input: developerApplication({ contact: { name: 'Sam \u202eeeL', email: 'sam@ledger.example' } }) }))],
    ['a header injection in a contact email', 'registerDeveloper', 'input.contact.email', asAdmin('registerDeveloper', () => ({ input: developerApplication({ contact: { name: 'Sam', email: 'sam@ledger.example\r\nBcc: all@example.com' } }) }))],
    // An ineligible application is stored (REJECTED), so this NUL would have reached every reader of the register.
    ['a NUL in the ABN of an ineligible application', 'registerDeveloper', 'input.abn', asAdmin('registerDeveloper', () => ({ input: developerApplication({ abn: `${freshAbn()}\u0000`, declarationsAccepted: false }) }))],
    ['a lone CR in a reason (overwrites a terminal line)', 'approveDeveloper', 'reason', asAdmin('approveDeveloper', () => ({ developerId: pending.id, expectedRevision: pending.revision, reason: 'Approved\rRejected' }))],
    ['30 February as the next review date', 'approveDeveloper', 'reviewDueAt', asAdmin('approveDeveloper', () => ({ developerId: pending.id, expectedRevision: pending.revision, reason: 'ok', reviewDueAt: '2027-02-30T00:00:00Z' }))],
    ['a line break in a ticket', 'suspendDeveloper', 'ticket', asAdmin('suspendDeveloper', () => ({ developerId: developer.id, expectedRevision: developer.revision, reason: 'ok', ticket: 'INC-1\nINC-2' }))],
    ['a NUL in a product name', 'registerProduct', 'input.name', asStaff('registerProduct', () => ({ input: productApplication(developer.id, { name: 'Ledger\u0000Cloud' }) }))],
    ['an isolate in one requirement’s evidence', 'submitSelfCertification', 'assessments.4.evidence', async () =>
      reg.call(staffToken, 'submitSelfCertification', { productId: registered.id, expectedRevision: await revisionOf('product', registered.id), reason: 'self-assessed', assessments: assessments().map((a, i) => (i === 4 ? { ...a, evidence: 'Patched \u2066monthly\u2069' } : a)) })],
    ['30 February as the end of a certification (Date.parse made it 2 March)', 'certifyProduct', 'validUntil', async () =>
      reg.call(reg.admin, 'certifyProduct', { productId: selfCertified.id, expectedRevision: await revisionOf('product', selfCertified.id), tier: 'STANDARD', validFrom: validity().validFrom, validUntil: '2027-02-30T00:00:00Z', services: ['clients.read'], reason: 'assessed' })],
    ['a start of certification without an offset', 'certifyProduct', 'validFrom', async () =>
      reg.call(reg.admin, 'certifyProduct', { productId: selfCertified.id, expectedRevision: await revisionOf('product', selfCertified.id), tier: 'STANDARD', validFrom: '2026-01-01T00:00:00', validUntil: validity().validUntil, services: ['clients.read'], reason: 'assessed' })],
    ['an OSC title sequence in a suspension reason', 'suspendProduct', 'reason', async () =>
      reg.call(reg.admin, 'suspendProduct', { productId: certified.id, expectedRevision: await revisionOf('product', certified.id), reason: 'Fraud\u001b]0;all clear\u0007' })],
    ['month 13 as the end of a suspension', 'suspendProduct', 'until', async () =>
      reg.call(reg.admin, 'suspendProduct', { productId: certified.id, expectedRevision: await revisionOf('product', certified.id), reason: 'Fraud', until: '2030-13-01T00:00:00Z' })],
    ['a C1 control in a minimum version', 'setMinimumVersion', 'minimumVersion', async () =>
      reg.call(reg.admin, 'setMinimumVersion', { productId: certified.id, expectedRevision: await revisionOf('product', certified.id), minimumVersion: '3.0.0\u0085', reason: 'raise' })],
    ['29 February of a common year as effectiveAt', 'revokeProduct', 'effectiveAt', async () =>
      reg.call(reg.admin, 'revokeProduct', { productId: registered.id, expectedRevision: await revisionOf('product', registered.id), reason: 'gone', effectiveAt: '2025-02-29T00:00:00Z' })],
    ['a CR in an org (white space removal would have swallowed it)', 'grantClientAuthorisation', 'org', asAdmin('grantClientAuthorisation', () => ({ org: `${PRACTITIONER_ORG}\r`, clientId: 'C-000051', reason: 'engaged' }))],
    ['an expiry on 29 February 2030', 'grantClientAuthorisation', 'expiresAt', asAdmin('grantClientAuthorisation', () => ({ org: PRACTITIONER_ORG, clientId: 'C-000051', reason: 'engaged', expiresAt: '2030-02-29T00:00:00Z' }))],
  ];

  test.each(cases)('%s', async (_name, mutation, field, attempt) => {
    const before = await everythingWritable();
    expectRefused(await attempt(), mutation, field);
    expect(await everythingWritable()).toEqual(before);
  });

  test.each([
    ['a bidi override in what happened', 'input.whatHappened', { whatHappened: 'Nothing \u202Ekaerb' }],
    ['30 February as when it happened', 'input.occurredAt', { occurredAt: '2026-02-30T00:00:00Z' }],
    ['a forged line in the contact', 'input.contact', { contact: 'security@dsp.example\n[INFO] incident closed' }],
  ])('notifyIncident: %s', async (_name, field, over) => {
    const before = await everythingWritable();
    expectRefused(await sys.gql(NOTIFY, { token: staffToken, variables: { input: report(over) } }), 'notifyIncident', field);
    expect(await everythingWritable()).toEqual(before);
  });

  test('triageIncident: an ANSI clear-screen in a note', async () => {
    const before = await everythingWritable();
    expectRefused(await sys.gql(TRIAGE, { token: reg.admin, variables: { id: incident.id, rev: incident.revision, status: 'TRIAGED', note: 'Looked\u001b[2J' } }), 'triageIncident', 'note');
    expect(await everythingWritable()).toEqual(before);
    expect(await sys.store.incidentById(incident.id)).toMatchObject({ status: 'OPEN', revision: incident.revision });
  });

  test('the refusal names the character by code point and never echoes it', async () => {
    const r = await asAdmin('registerDeveloper', () => ({ input: developerApplication({ legalName: 'Ledger\u001b[31m Pty Ltd' }) }))();
    expect(r.body.errors![0]!.extensions).toMatchObject({ problem: 'CONTROL_CHARACTER', codePoint: 'U+001B', position: 6 });
    expect(JSON.stringify(r.body)).not.toContain('\\u001b');
  });
});

describe('clean text still goes in', () => {
  test('a multi-line reason with tabs and CRLF is stored with LF; mixed-direction names keep their marks', async () => {
    const legalName = 'שלום\u200F Ledger Pty Ltd';
    const applied = await reg.ok(reg.applicant, 'registerDeveloper', { input: developerApplication({ legalName }) });
    expect(applied.legalName).toBe(legalName);
    const approved = await reg.ok(reg.admin, 'approveDeveloper', { developerId: applied.id, expectedRevision: applied.revision, reason: 'Checks passed:\r\n\t- ABN\r\n\t- declarations', effectiveAt: '2025-02-28T23:00:00+10:00' });
    expect(approved.statusReason).toBe('Checks passed:\n\t- ABN\n\t- declarations');
    const history = await reg.ok(reg.admin, 'developerHistory', { developerId: applied.id });
    expect(history.at(-1)).toMatchObject({ action: 'approveDeveloper', reason: 'Checks passed:\n\t- ABN\n\t- declarations', effectiveAt: '2025-02-28T13:00:00.000Z' });
  });
});
