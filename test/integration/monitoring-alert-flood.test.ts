/**
 * Review s19c F2: the monitor holds at most maxOpenAlerts (1000) open alerts and drops every
 * candidate for a new one beyond that. Callers without any token choose which alerts are open:
 * two refused requests naming ten clients each, from one source address, raise a MEDIUM
 * `ip:<address>:unauthenticated` alert, so 1000 addresses (an IPv6 /64 holds 2^64) fill the table,
 * and a request or two per address every few minutes keeps it full. A product then enumerating
 * taxpayers raised no alert, no incident and no protective suspension.
 */
import { createMonitor } from '../../monitoring/monitor.js';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { digest, record, T0 } from '../unit/monitoring/fixtures.js';

/** A request without a valid token from `ip` naming ten clients (refused; its attempt recorded). */
function anonymousAttempt(ip: string, from: number) {
  return record({
    productId: null, productVersion: null, developerId: null, sub: null, org: null, jti: null,
    decision: 'DENIED', errorCodes: ['UNAUTHENTICATED'], httpStatus: 401, clientIp: ip, subgraphs: [],
    clientDigests: Array.from({ length: 10 }, (_, i) => digest(from + i)),
  });
}

describe('review s19c: anonymous callers fill the open-alert table', () => {
  const clock = { now: T0 };
  let store: Store;
  beforeEach(async () => {
    store = await createStore('sqlite::memory:');
  });
  afterEach(async () => {
    await store.close();
  });

  test('a product enumerating taxpayers is still alerted on, suspended and given an incident', async () => {
    const suspended: string[] = [];
    const m = createMonitor({
      store,
      config: { protectiveSuspension: 'on', detectors: {} },
      now: () => clock.now,
      sweepIntervalMs: 0,
      suspendProduct: async (productId) => {
        suspended.push(productId);
      },
    });
    // 1000 source addresses, two anonymous requests each.
    for (let n = 0; n < 1000; n++) {
      const ip = `2001:db8::${n.toString(16)}`;
      m.observe([anonymousAttempt(ip, 0), anonymousAttempt(ip, 10)]);
    }
    expect(m.stats().alertsOpen).toBeGreaterThanOrEqual(500); // (before the fix: 1000, the whole table)
    clock.now += 1000;
    // The attacker's certified product reads 150 distinct clients within a minute.
    for (let i = 0; i < 150; i++) m.observe([record({ productId: 'PRD-EVIL', developerId: 'DEV-EVIL', clientDigests: [digest(100_000 + i)] })]);
    await m.flush();
    const onProduct = m.openAlerts().filter((a) => a.productId === 'PRD-EVIL');
    expect(onProduct.map((a) => `${a.detector} ${a.key} ${a.risk}`)).toContain('enumeration product:PRD-EVIL HIGH');
    expect(suspended).toEqual(['PRD-EVIL']);
    expect((await store.listIncidents({})).some((i) => i.productIds.includes('PRD-EVIL'))).toBe(true);
    await m.close();
  });
});
