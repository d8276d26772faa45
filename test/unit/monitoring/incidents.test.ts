import type { Alert, Incident } from '../../../monitoring/incident-model.js';
import {
  DUE_SOON_MS, incidentFromAlert, incidentFromReport, isDueSoon, isOverdue, linkAlert, NOTIFY_WITHIN_MS, newIncidentId, riskFromAffectedRecords, transitionIncident,
} from '../../../monitoring/incidents.js';
import { isDenial } from '../../../registry/change-note.js';

const T0 = Date.parse('2030-03-01T10:00:00.000Z');
const HOUR = 3_600_000;

function alert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'ALR-1',
    detector: 'enumeration',
    risk: 'HIGH',
    key: 'product:PRD-X',
    productId: 'PRD-X',
    observed: 120,
    baseline: 60,
    message: 'at least 100 distinct clients accessed by product PRD-X within 5 min',
    evidence: ['REC-1', 'REC-2'],
    raisedAt: new Date(T0).toISOString(),
    lastSeenAt: new Date(T0).toISOString(),
    status: 'OPEN',
    incidentId: null,
    ...over,
  };
}

const report = (over: Record<string, unknown> = {}) => ({
  whatHappened: 'A laptop holding an export of client records was stolen.',
  occurredAt: new Date(T0 - 2 * HOUR).toISOString(),
  productIds: ['PRD-X'],
  affectedRecords: 40,
  contact: 'security@dsp.example, 02 9999 0000',
  ...over,
});

function expectIncident(value: Incident | { code: string }): Incident {
  if (isDenial(value)) throw new Error(`unexpected denial ${value.code}`);
  return value as Incident;
}

describe('incidents from alerts', () => {
  test('open with the alert risk, its product, and notifyBy 24 h after detection', () => {
    const i = incidentFromAlert(alert(), { id: 'INC-1', now: T0, developerId: 'DEV-X' });
    expect(i).toMatchObject({ id: 'INC-1', source: 'DETECTOR', risk: 'HIGH', status: 'OPEN', productIds: ['PRD-X'], developerId: 'DEV-X', alertIds: ['ALR-1'], report: null });
    expect(Date.parse(i.notifyBy) - Date.parse(i.detectedAt)).toBe(NOTIFY_WITHIN_MS);
    expect(i.detectedAt).toBe(new Date(T0).toISOString());
    expect(i.notes).toHaveLength(1);
    expect(i.title.length).toBeLessThanOrEqual(120);
  });

  test('a further alert joins an open incident (raising its risk), but not a resolved one', () => {
    const i = { ...incidentFromAlert(alert({ risk: 'MEDIUM' }), { id: 'INC-1', now: T0 }), revision: 1 };
    const linked = expectIncident(linkAlert(i, alert({ id: 'ALR-2', productId: 'PRD-Y', risk: 'HIGH' }), T0 + 1000));
    expect(linked.alertIds).toEqual(['ALR-1', 'ALR-2']);
    expect(linked.productIds).toEqual(['PRD-X', 'PRD-Y']);
    expect(linked.risk).toBe('HIGH');
    expect(linked.notifyBy).toBe(i.notifyBy);
    const resolved = { ...linked, status: 'RESOLVED' as const };
    const refused = linkAlert(resolved, alert({ id: 'ALR-3' }), T0);
    expect(isDenial(refused) && refused.code).toBe('ILLEGAL_TRANSITION');
  });
});

describe('incidents from DSP reports', () => {
  test('open with the report, risk from the affected records and notifyBy 24 h after notification', () => {
    const i = expectIncident(incidentFromReport(report(), { id: 'INC-2', now: T0, actor: 'sam (dsp:developer)', developerId: 'DEV-X' }));
    expect(i).toMatchObject({ source: 'DSP', status: 'OPEN', risk: 'MEDIUM', productIds: ['PRD-X'], developerId: 'DEV-X', alertIds: [] });
    expect(i.report).toEqual({ whatHappened: report().whatHappened, occurredAt: report().occurredAt, affectedRecords: 40, contact: report().contact });
    expect(i.notifyBy).toBe(new Date(T0 + NOTIFY_WITHIN_MS).toISOString());
    expect(i.notes[0]!.actor).toBe('sam (dsp:developer)');
  });

  test('risk follows the number of affected records unless given', () => {
    expect(riskFromAffectedRecords(5000)).toBe('HIGH');
    expect(riskFromAffectedRecords(1000)).toBe('HIGH');
    expect(riskFromAffectedRecords(10)).toBe('MEDIUM');
    expect(riskFromAffectedRecords(9)).toBe('LOW');
    expect(riskFromAffectedRecords(null)).toBe('MEDIUM');
    const given = expectIncident(incidentFromReport(report({ affectedRecords: 3, risk: 'HIGH' }), { id: 'INC-3', now: T0, actor: 'a', developerId: null }));
    expect(given.risk).toBe('HIGH');
  });

  test.each([
    ['whatHappened', { whatHappened: '   ' }],
    ['occurredAt', { occurredAt: 'yesterday' }],
    ['occurredAt', { occurredAt: new Date(T0 + HOUR).toISOString() }],
    ['productIds', { productIds: [] }],
    ['affectedRecords', { affectedRecords: -1 }],
    ['affectedRecords', { affectedRecords: 1.5 }],
    ['contact', { contact: '' }],
    ['whatHappened', { whatHappened: 'Nothing \u202ekaerb' }],
    ['whatHappened', { whatHappened: 'Line\rover' }],
    ['occurredAt', { occurredAt: '2030-02-30T00:00:00Z' }],
    ['occurredAt', { occurredAt: '2030-04-30' }],
    ['contact', { contact: 'sec@dsp.example\n[INFO] closed' }],
    ['productIds', { productIds: ['PRD-X\u0000'] }],
  ])('an incomplete or unclean report is refused (%s)', (field, over) => {
    const r = incidentFromReport(report(over), { id: 'INC-4', now: T0, actor: 'a', developerId: null });
    expect(isDenial(r)).toBe(true);
    expect(isDenial(r) && r.code).toBe('BAD_USER_INPUT');
    expect(isDenial(r) && r.details?.['field']).toBe(field);
  });
});

describe('triage', () => {
  const open = (): Incident => ({ ...incidentFromAlert(alert(), { id: 'INC-1', now: T0 }), revision: 1 });

  test('a note may span lines (CRLF stored as LF) but holds no other control character or bidi control', () => {
    expect(expectIncident(transitionIncident(open(), { to: 'TRIAGED', note: 'Looked:\r\n\t- logs', actor: 'ann' }, T0)).notes.at(-1)!.note).toBe('Looked:\n\t- logs');
    for (const note of ['ok\u001b[2J', 'ok\u2067', 'ok\rno', 'ok\u0000']) {
      const r = transitionIncident(open(), { to: 'TRIAGED', note, actor: 'ann' }, T0);
      expect(isDenial(r) && [r.code, r.details?.['field']]).toEqual(['BAD_USER_INPUT', 'note']);
    }
  });

  test('moves OPEN → TRIAGED → CONTAINED → RESOLVED, each step with its note', () => {
    let i = open();
    for (const to of ['TRIAGED', 'CONTAINED', 'RESOLVED'] as const) i = expectIncident(transitionIncident(i, { to, note: `now ${to}`, actor: 'ann (ato:admin)' }, T0 + HOUR));
    expect(i.status).toBe('RESOLVED');
    expect(i.notes.map((n) => [n.status, n.note])).toEqual([
      ['OPEN', expect.any(String)],
      ['TRIAGED', 'now TRIAGED'],
      ['CONTAINED', 'now CONTAINED'],
      ['RESOLVED', 'now RESOLVED'],
    ]);
    expect(i.updatedAt).toBe(new Date(T0 + HOUR).toISOString());
  });

  test('a triaged false positive may be resolved without containment', () => {
    const triaged = expectIncident(transitionIncident(open(), { to: 'TRIAGED', note: 'looking', actor: 'ann' }, T0));
    expect(expectIncident(transitionIncident(triaged, { to: 'RESOLVED', note: 'false positive', actor: 'ann' }, T0)).status).toBe('RESOLVED');
  });

  test.each([
    ['OPEN', 'CONTAINED'],
    ['OPEN', 'RESOLVED'],
    ['CONTAINED', 'TRIAGED'],
    ['RESOLVED', 'OPEN'],
    ['RESOLVED', 'RESOLVED'],
  ] as const)('%s → %s is an illegal transition', (from, to) => {
    const r = transitionIncident({ ...open(), status: from }, { to, note: 'n', actor: 'ann' }, T0);
    expect(isDenial(r) && r.code).toBe('ILLEGAL_TRANSITION');
  });

  test('a step needs a note; staying in a status adds a note and may re-assess the risk', () => {
    const noNote = transitionIncident(open(), { to: 'TRIAGED', note: ' ', actor: 'ann' }, T0);
    expect(isDenial(noNote) && noNote.code).toBe('BAD_USER_INPUT');
    const noted = expectIncident(transitionIncident(open(), { to: 'OPEN', note: 'called the DSP', actor: 'ann', risk: 'LOW' }, T0));
    expect(noted.status).toBe('OPEN');
    expect(noted.risk).toBe('LOW');
    expect(noted.notes).toHaveLength(2);
  });
});

describe('deadlines', () => {
  const i = { status: 'OPEN' as const, notifyBy: new Date(T0 + 24 * HOUR).toISOString() };

  test('an open incident is due soon within the last hours before notifyBy, and overdue after it', () => {
    expect(isDueSoon(i, T0)).toBe(false);
    expect(isDueSoon(i, T0 + 24 * HOUR - DUE_SOON_MS)).toBe(true);
    expect(isOverdue(i, T0 + 23 * HOUR)).toBe(false);
    expect(isOverdue(i, T0 + 25 * HOUR)).toBe(true);
    expect(isDueSoon(i, T0 + 25 * HOUR)).toBe(true);
  });

  test('a resolved incident is never due', () => {
    expect(isDueSoon({ ...i, status: 'RESOLVED' }, T0 + 25 * HOUR)).toBe(false);
    expect(isOverdue({ ...i, status: 'RESOLVED' }, T0 + 25 * HOUR)).toBe(false);
  });

  test('incident ids are unique and shaped INC-…', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newIncidentId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^INC-[0-9A-Z]{10}$/);
  });
});
