/**
 * Review (cert): the monitor remembers "this product was suspended for a HIGH alert" for as long
 * as that alert is open, and skips the protective suspension a second, different HIGH alert on
 * the same product asks for. The fact behind the skip (the product is suspended) does not hold
 * once an admin has reinstated the product: the new alert then leaves it served.
 */
import type { AlertCandidate, Detector } from '../../../monitoring/detectors/types.js';
import { createMonitor } from '../../../monitoring/monitor.js';
import { createStore } from '../../../store/index.js';
import type { Store } from '../../../store/port.js';
import { record, T0 } from './fixtures.js';

function scripted(name: string): Detector & { next: Array<Partial<AlertCandidate>> } {
  const d = {
    name,
    next: [] as Array<Partial<AlertCandidate>>,
    observe(r: { id: string }) {
      return d.next.map((c) => ({ detector: name, risk: 'HIGH', key: 'product:PRD-A', productId: 'PRD-A', developerId: 'DEV-A', observed: 1, baseline: null, message: name, evidence: [r.id], ...c }) as AlertCandidate);
    },
    trackedKeys: () => 0,
  };
  return d;
}

let store: Store;
beforeEach(async () => {
  store = await createStore('sqlite::memory:');
});
afterEach(async () => {
  await store.close();
});

test('a second, different HIGH alert on a product an admin has reinstated asks for its suspension again', async () => {
  const clock = { now: T0 };
  const volume = scripted('volume');
  const enumeration = scripted('enumeration');
  const asked: string[] = [];
  const m = createMonitor({ store, detectors: [volume, enumeration], config: { protectiveSuspension: 'on', detectors: {} }, now: () => clock.now, sweepIntervalMs: 0, suspendProduct: async (id, reason) => void asked.push(`${id}: ${reason}`) });
  try {
    volume.next = [{ key: 'product:PRD-A' }];
    m.observe([record()]);
    await m.flush();
    expect(asked).toHaveLength(1); // suspended; an admin looks at it and reinstates PRD-A (the volume alert stays open)
    volume.next = [];
    clock.now += 60_000;
    // Later, another detector sees something else, HIGH, on the same product.
    enumeration.next = [{ key: 'product:PRD-A:enumeration' }];
    m.observe([record()]);
    await m.flush();
    expect(m.openAlerts().filter((a) => a.risk === 'HIGH')).toHaveLength(2);
    expect(asked).toHaveLength(2);
  } finally {
    await m.close();
  }
});

test('a protective suspension that failed (the register unreachable) is asked for again while its HIGH alert persists', async () => {
  const clock = { now: T0 };
  const volume = scripted('volume');
  let calls = 0;
  const m = createMonitor({
    store,
    detectors: [volume],
    config: { protectiveSuspension: 'on', detectors: {} },
    now: () => clock.now,
    sweepIntervalMs: 0,
    suspendProduct: async () => {
      calls++;
      if (calls === 1) throw new Error('registry down');
    },
  });
  try {
    volume.next = [{ key: 'product:PRD-A' }];
    m.observe([record()]);
    await m.flush();
    expect(m.stats().suspensionFailures).toBe(1);
    // Not at every sighting: a second later the alert is seen again, and the register is not asked.
    clock.now += 1_000;
    m.observe([record()]);
    await m.flush();
    expect(calls).toBe(1);
    // The register is back; the condition persists (the same alert sees more records).
    clock.now += 60_000;
    m.observe([record()]);
    await m.flush();
    expect(calls).toBe(2);
  } finally {
    await m.close();
  }
});
