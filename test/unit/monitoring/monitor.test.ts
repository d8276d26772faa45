import type { Alert, Incident } from '../../../monitoring/incident-model.js';
import { NOTIFY_WITHIN_MS } from '../../../monitoring/incidents.js';
import type { AlertCandidate, Detector } from '../../../monitoring/detectors/types.js';
import { createMonitor, type MonitorOptions } from '../../../monitoring/monitor.js';
import { createStore } from '../../../store/index.js';
import type { Store } from '../../../store/port.js';
import { badToken, digest, record, T0 } from './fixtures.js';

/** A detector that reports whatever the test scripts for the next records. */
function scripted(name = 'scripted'): Detector & { next: Array<Partial<AlertCandidate>> } {
  const d = {
    name,
    next: [] as Array<Partial<AlertCandidate>>,
    observe(r: { id: string }) {
      return d.next.map((c) => ({ detector: name, risk: 'MEDIUM', key: 'product:PRD-A', productId: 'PRD-A', developerId: 'DEV-A', observed: 1, baseline: null, message: 'scripted', evidence: [r.id], ...c }) as AlertCandidate);
    },
    trackedKeys: () => 0,
  };
  return d;
}

const clock = { now: T0 };
let store: Store;
const monitors: Array<ReturnType<typeof createMonitor>> = [];

function monitor(over: Partial<MonitorOptions> = {}) {
  const m = createMonitor({ store, config: { protectiveSuspension: 'off', detectors: {} }, now: () => clock.now, sweepIntervalMs: 0, ...over });
  monitors.push(m);
  return m;
}

beforeEach(async () => {
  clock.now = T0;
  store = await createStore('sqlite::memory:');
});
afterEach(async () => {
  for (const m of monitors.splice(0)) await m.close();
  await store.close();
});

describe('alerts', () => {
  test('a persisting condition keeps one alert, updated, instead of raising new ones', async () => {
    const d = scripted();
    const m = monitor({ detectors: [d] });
    d.next = [{ observed: 5 }];
    const first = record();
    m.observe([first]);
    clock.now += 1000;
    d.next = [{ observed: 9 }];
    const second = record();
    m.observe([second]);
    await m.flush();
    const stored = await store.listAlerts();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ detector: 'scripted', key: 'product:PRD-A', status: 'OPEN', observed: 9, raisedAt: new Date(T0).toISOString(), lastSeenAt: new Date(T0 + 1000).toISOString() });
    expect(stored[0]!.evidence).toEqual([first.id, second.id]);
    expect(m.openAlerts()).toHaveLength(1);
    expect(m.stats().alertsRaised).toBe(1);
  });

  test('different keys or detectors make different alerts', async () => {
    const d = scripted();
    const m = monitor({ detectors: [d, scripted('other')] });
    d.next = [{ key: 'product:PRD-A' }, { key: 'product:PRD-B', productId: 'PRD-B' }];
    m.observe([record()]);
    await m.flush();
    expect((await store.listAlerts()).map((a) => `${a.detector} ${a.key}`).sort()).toEqual(['scripted product:PRD-A', 'scripted product:PRD-B']);
  });

  test('an alert closes after the quiet period, and a recurrence is a new alert', async () => {
    const d = scripted();
    const m = monitor({ detectors: [d], quietPeriodMs: 60_000 });
    d.next = [{}];
    m.observe([record()]);
    clock.now += 61_000;
    m.sweep();
    await m.flush();
    const closed = await store.listAlerts();
    expect(closed.map((a) => a.status)).toEqual(['CLOSED']);
    expect(m.openAlerts()).toEqual([]);
    m.observe([record()]);
    await m.flush();
    const open = await store.listAlerts({ status: 'OPEN' });
    expect(open).toHaveLength(1);
    expect(open[0]!.id).not.toBe(closed[0]!.id);
  });

  test('evidence is capped at 50 record ids, the newest kept', async () => {
    const d = scripted();
    const m = monitor({ detectors: [d] });
    d.next = [{}];
    const records = Array.from({ length: 120 }, () => record());
    for (const r of records) m.observe([r]);
    await m.flush();
    const [alert] = await store.listAlerts();
    expect(alert!.evidence).toHaveLength(50);
    expect(alert!.evidence).toEqual(records.slice(-50).map((r) => r.id));
  });

  test('beyond maxOpenAlerts new alerts are dropped and counted', () => {
    const d = scripted();
    const m = monitor({ detectors: [d], maxOpenAlerts: 2 });
    d.next = [{ key: 'k1' }, { key: 'k2' }, { key: 'k3' }];
    m.observe([record()]);
    expect(m.openAlerts()).toHaveLength(2);
    expect(m.stats().alertsDropped).toBe(1);
  });

  test('normal traffic through the real detectors raises nothing', async () => {
    const m = monitor();
    for (let i = 0; i < 3000; i++) {
      clock.now = T0 + i * 200;
      m.observe([record({ clientDigests: [digest(i % 15)] })]);
    }
    await m.flush();
    expect(m.openAlerts()).toEqual([]);
    expect(await store.listAlerts()).toEqual([]);
    expect(m.stats().recordsObserved).toBe(3000);
  });
});

describe('incidents from high-risk alerts', () => {
  test('a HIGH alert opens an incident due 24 h after detection, linked both ways', async () => {
    const d = scripted();
    const m = monitor({ detectors: [d] });
    d.next = [{ risk: 'HIGH' }];
    clock.now = T0 + 5000;
    m.observe([record()]);
    await m.flush();
    const incidents = await store.listIncidents();
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    expect(incident).toMatchObject({ source: 'DETECTOR', risk: 'HIGH', status: 'OPEN', productIds: ['PRD-A'], developerId: 'DEV-A', detectedAt: new Date(T0 + 5000).toISOString() });
    expect(Date.parse(incident.notifyBy) - Date.parse(incident.detectedAt)).toBe(NOTIFY_WITHIN_MS);
    const [alert] = await store.listAlerts();
    expect(incident.alertIds).toEqual([alert!.id]);
    expect(alert!.incidentId).toBe(incident.id);
    expect(m.stats().incidentsOpened).toBe(1);
  });

  test('a MEDIUM alert opens no incident until it escalates to HIGH', async () => {
    const d = scripted();
    const m = monitor({ detectors: [d] });
    d.next = [{ risk: 'MEDIUM' }];
    m.observe([record()]);
    await m.flush();
    expect(await store.listIncidents()).toEqual([]);
    d.next = [{ risk: 'HIGH' }];
    m.observe([record()]);
    await m.flush();
    expect(await store.listIncidents()).toHaveLength(1);
    expect((await store.listAlerts()).map((a) => a.risk)).toEqual(['HIGH']);
  });

  test('a second HIGH alert on the same product joins the open incident', async () => {
    const a = scripted('detector-a');
    const b = scripted('detector-b');
    const m = monitor({ detectors: [a, b] });
    a.next = [{ risk: 'HIGH' }];
    m.observe([record()]);
    await m.flush();
    a.next = [];
    b.next = [{ risk: 'HIGH' }];
    m.observe([record()]);
    await m.flush();
    const incidents = await store.listIncidents();
    expect(incidents).toHaveLength(1);
    const alerts = await store.listAlerts();
    expect(incidents[0]!.alertIds.sort()).toEqual(alerts.map((x) => x.id).sort());
    expect(alerts.every((x) => x.incidentId === incidents[0]!.id)).toBe(true);
  });

  test('a burst of bad tokens (real detectors) raises a HIGH alert on the source with an incident', async () => {
    const m = monitor();
    const records = Array.from({ length: 100 }, () => badToken('203.0.113.50'));
    m.observe(records);
    await m.flush();
    const [alert] = (await store.listAlerts()) as [Alert];
    expect(alert).toMatchObject({ detector: 'denial-burst', risk: 'HIGH', key: 'ip:203.0.113.50', productId: null });
    expect(alert.evidence.every((id) => records.some((r) => r.id === id))).toBe(true);
    const [incident] = (await store.listIncidents()) as [Incident];
    expect(incident.alertIds).toEqual([alert.id]);
    expect(incident.productIds).toEqual([]);
  });
});

describe('protective suspension', () => {
  function enumerate(m: ReturnType<typeof createMonitor>, n: number) {
    for (let i = 0; i < n; i++) m.observe([record({ clientDigests: [digest(i)] })]);
  }

  test("'on': a HIGH alert on a product suspends it once, with the reason and the evidence", async () => {
    const calls: Array<{ productId: string; reason: string; evidence: string[] }> = [];
    const m = monitor({
      config: { protectiveSuspension: 'on', detectors: {} },
      suspendProduct: async (productId, reason, evidence) => {
        calls.push({ productId, reason, evidence });
      },
    });
    enumerate(m, 400);
    await m.flush();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.productId).toBe('PRD-A');
    expect(calls[0]!.reason.length).toBeGreaterThan(0);
    expect(calls[0]!.evidence.length).toBeGreaterThan(0);
    const alert = (await store.listAlerts({ productId: 'PRD-A' })).find((a) => a.key === 'product:PRD-A')!;
    // Developer staff read the reason (statusReason, history): the alert's opaque id, for an admin
    // to find it, but not how it was detected.
    expect(calls[0]!.reason).toBe(`Protective suspension by ATO monitoring after HIGH alert ${alert.id} on this product (ATO staff: the alert and its incident hold the details)`);
    for (const internal of [alert.detector, alert.key, alert.message, ...alert.evidence]) expect(calls[0]!.reason).not.toContain(internal);
    expect(m.stats().suspensionsRequested).toBe(1);
  });

  test("'log' and 'off' never suspend", async () => {
    for (const mode of ['log', 'off'] as const) {
      const suspended: string[] = [];
      const m = monitor({ config: { protectiveSuspension: mode, detectors: {} }, suspendProduct: async (id) => void suspended.push(id) });
      enumerate(m, 400);
      await m.flush();
      expect(suspended).toEqual([]);
      expect(m.stats().alertsRaised).toBeGreaterThan(0);
      expect(m.stats().suspensionsLogged).toBe(mode === 'log' ? 1 : 0);
    }
  });

  test('a HIGH alert on a source IP suspends nothing', async () => {
    const suspended: string[] = [];
    const m = monitor({ config: { protectiveSuspension: 'on', detectors: {} }, suspendProduct: async (id) => void suspended.push(id) });
    m.observe(Array.from({ length: 150 }, () => badToken('203.0.113.51')));
    await m.flush();
    expect(suspended).toEqual([]);
    expect(m.openAlerts().map((a) => a.risk)).toEqual(['HIGH']);
  });

  test('a HIGH alert keyed on an org, not the product, suspends nothing', async () => {
    const suspended: string[] = [];
    const d = scripted();
    const m = monitor({ detectors: [d], config: { protectiveSuspension: 'on', detectors: {} }, suspendProduct: async (id) => void suspended.push(id) });
    d.next = [{ risk: 'HIGH', key: 'org:12345679016', productId: 'PRD-A' }];
    m.observe([record()]);
    await m.flush();
    expect(suspended).toEqual([]);
    expect(await store.listIncidents()).toHaveLength(1);
  });

  test('a failed suspension is counted and logged, not thrown', async () => {
    const m = monitor({ config: { protectiveSuspension: 'on', detectors: {} }, suspendProduct: async () => Promise.reject(new Error('registry down')) });
    expect(() => enumerate(m, 400)).not.toThrow();
    await m.flush();
    expect(m.stats().suspensionFailures).toBe(1);
  });
});

describe('failures stay out of the request path', () => {
  test('a store that cannot save neither throws from observe nor hangs flush', async () => {
    const failing = { saveAlert: async () => Promise.reject(new Error('disk full')), saveIncident: async () => Promise.reject(new Error('disk full')), incidentById: async () => null };
    const d = scripted();
    const m = monitor({ store: failing, detectors: [d] });
    d.next = [{ risk: 'HIGH' }];
    expect(() => m.observe([record()])).not.toThrow();
    await m.flush();
    expect(m.stats().writeFailures).toBeGreaterThan(0);
    expect(m.openAlerts()).toHaveLength(1);
  });

  test('a detector that throws is counted and the others still run', () => {
    const broken: Detector = { name: 'broken', observe: () => { throw new Error('bug'); }, trackedKeys: () => 0 };
    const d = scripted();
    d.next = [{}];
    const m = monitor({ detectors: [broken, d] });
    expect(() => m.observe([record()])).not.toThrow();
    expect(m.stats().detectorErrors).toBe(1);
    expect(m.openAlerts()).toHaveLength(1);
  });
});

describe('rate history', () => {
  test('counts requests per product per minute and refusals by code', () => {
    const m = monitor({ detectors: [] });
    m.observe([record(), record(), record({ productId: 'PRD-B', decision: 'DENIED', errorCodes: ['PRODUCT_SUSPENDED'] }), badToken('203.0.113.1')]);
    const rates = m.rates();
    expect(rates.bucketStarts).toHaveLength(60);
    expect(rates.totals.at(-1)).toBe(4);
    expect(rates.series.find((s) => s.productId === 'PRD-A')!.counts.at(-1)).toBe(2);
    expect(rates.denialsByCode).toEqual([
      { code: 'PRODUCT_SUSPENDED', count: 1 },
      { code: 'UNAUTHENTICATED', count: 1 },
    ]);
    clock.now += 61 * 60_000;
    expect(m.rates().totals.every((n) => n === 0)).toBe(true);
  });
});
