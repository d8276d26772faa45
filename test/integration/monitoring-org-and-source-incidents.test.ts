/**
 * Review s20b.
 * F1: an org alert (`org:<ABN>`, several products act for one org) named the product of the
 * record that raised it, never revised: product A reading 99 distinct clients of the org and
 * product B reading one made the org's HIGH alert, and the incident it opened, name B (and B's
 * developer, whose staff then read the incident) when B happened to send the 60th client.
 * F2: every HIGH alert keyed on a source address (no token needed: 100 bad tokens in 10 s, or 40
 * clients named without a valid token) opened an incident of its own, so address after address
 * opened incidents without bound and buried real ones on the incidents list and dashboard.
 */
import { createMonitor } from '../../monitoring/monitor.js';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { badToken, digest, record, T0 } from '../unit/monitoring/fixtures.js';

describe('monitoring: the product an org alert names, and incidents from source addresses (review s20b)', () => {
  const clock = { now: T0 };
  let store: Store;
  const monitors: Array<ReturnType<typeof createMonitor>> = [];
  function monitor(suspended: string[] = []) {
    const m = createMonitor({ store, config: { protectiveSuspension: 'on', detectors: {} }, now: () => clock.now, sweepIntervalMs: 0, suspendProduct: async (id) => void suspended.push(id) });
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

  test('F1: an org alert and its incident never name a product that did not show the condition alone', async () => {
    const suspended: string[] = [];
    const m = monitor(suspended);
    const org = '12345679016';
    const a = (n: number) => record({ productId: 'PRD-ENUM', developerId: 'DEV-ENUM', org, clientDigests: [digest(n)] });
    // PRD-ENUM reads 59 distinct clients of the org, PRD-INNOCENT (another developer's) one: the 60th.
    for (let i = 0; i < 59; i++) m.observe([a(i)]);
    m.observe([record({ productId: 'PRD-INNOCENT', developerId: 'DEV-INNOCENT', org, clientDigests: [digest(1000)] })]);
    // PRD-ENUM goes on to 99 (its own key stays under HIGH; the org's reaches 100).
    for (let i = 59; i < 99; i++) m.observe([a(i)]);
    await m.flush();
    const orgAlert = m.openAlerts().find((x) => x.key === `org:${org}`)!;
    expect(orgAlert.risk).toBe('HIGH');
    expect(orgAlert.productId).toBeNull();
    expect(orgAlert.message).toContain('through products PRD-ENUM, PRD-INNOCENT');
    const incident = (await store.listIncidents({})).find((i) => i.alertIds.includes(orgAlert.id))!;
    expect(incident.productIds).not.toContain('PRD-INNOCENT');
    expect(incident.developerId).not.toBe('DEV-INNOCENT');
    expect(await store.listIncidents({ developerId: 'DEV-INNOCENT' })).toEqual([]);
    expect(suspended).toEqual([]);
  });

  test('F1: an org alert raised on one product\'s clients stops naming it once another product brings the rest', async () => {
    const m = monitor();
    const org = '12345679016';
    // A busy practice's own product reads 60 clients: a MEDIUM org alert that may name it (every client came through it).
    for (let i = 0; i < 60; i++) m.observe([record({ productId: 'PRD-INNOCENT', developerId: 'DEV-INNOCENT', org, clientDigests: [digest(i)] })]);
    expect(m.openAlerts().find((x) => x.key === `org:${org}`)).toMatchObject({ risk: 'MEDIUM', productId: 'PRD-INNOCENT' });
    // Another product acting for the org reads 40 more: the org reaches HIGH.
    for (let i = 60; i < 100; i++) m.observe([record({ productId: 'PRD-ENUM', developerId: 'DEV-ENUM', org, clientDigests: [digest(i)] })]);
    await m.flush();
    const orgAlert = m.openAlerts().find((x) => x.key === `org:${org}`)!;
    expect(orgAlert).toMatchObject({ risk: 'HIGH', productId: null });
    const incident = (await store.listIncidents({})).find((i) => i.alertIds.includes(orgAlert.id))!;
    expect(incident).toMatchObject({ productIds: [], developerId: null });
  });

  test('F1: an org alert whose clients all came through one product still names it and joins its incident', async () => {
    const m = monitor();
    for (let i = 0; i < 150; i++) m.observe([record({ clientDigests: [digest(i)] })]);
    await m.flush();
    const orgAlert = m.openAlerts().find((x) => x.key === 'org:12345679016')!;
    expect(orgAlert).toMatchObject({ risk: 'HIGH', productId: 'PRD-A' });
    const incidents = await store.listIncidents({});
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.alertIds).toContain(orgAlert.id);
  });

  test('F2: HIGH alerts on source addresses, address after address for hours, share one incident per hour, each bounded', async () => {
    const m = monitor();
    // Every 10 minutes for 3 hours, 100 new source addresses each send 100 bad tokens (a HIGH
    // denial-burst alert on each ip:<address>; the anonymous quota allows 20 a second).
    let n = 0;
    for (let round = 0; round < 18; round++) {
      clock.now = T0 + round * 600_000;
      m.sweep();
      for (let k = 0; k < 100; k++, n++) {
        const ip = `2001:db8:${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}::1`;
        m.observe(Array.from({ length: 100 }, () => badToken(ip)));
      }
      await m.flush();
    }
    expect(m.stats().alertsRaised).toBe(18 * 100);
    const incidents = await store.listIncidents({});
    // One incident per merge window (1 h), each holding a bounded number of alerts (before the fix: 1800).
    expect(incidents).toHaveLength(3);
    expect(incidents.every((i) => i.risk === 'HIGH' && i.productIds.length === 0)).toBe(true);
    for (const i of incidents) {
      expect(i.alertIds).toHaveLength(100);
      expect(i.notes).toHaveLength(100);
    }
    expect(m.stats().sourceAlertsUnlinked).toBe(1800 - 300);
    // A product's real incident is not buried under them.
    for (let i = 0; i < 150; i++) m.observe([record({ productId: 'PRD-EVIL', developerId: 'DEV-EVIL', clientDigests: [digest(50_000 + i)] })]);
    await m.flush();
    const latest = await store.listIncidents({ limit: 5 });
    expect(latest.some((i) => i.productIds.includes('PRD-EVIL'))).toBe(true);
  });
});
