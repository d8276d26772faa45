import { createRegistrySnapshot } from '../../../gateway/registry-snapshot.js';
import type { RegistryChanges } from '../../../registry/changes.js';
import { DAY, NOW, developerIn, productIn } from '../registry/fixtures.js';

function feed() {
  const calls: number[] = [];
  let next: RegistryChanges = { revision: 1, developers: [developerIn('ACTIVE')], products: [productIn('CERTIFIED')], authorisations: [] };
  let failing = false;
  let release: (() => void) | null = null;
  return {
    calls,
    set: (c: RegistryChanges) => (next = c),
    fail: (f: boolean) => (failing = f),
    hold: () => new Promise<void>((r) => (release = r)),
    release: () => release?.(),
    store: {
      async changesSince(revision: number) {
        calls.push(revision);
        if (failing) throw new Error('store down');
        return next;
      },
    },
  };
}

describe('registry snapshot', () => {
  it('applies the changes since its revision and asks from there next time', async () => {
    const f = feed();
    const clock = { now: NOW };
    const snapshot = createRegistrySnapshot({ store: f.store, now: () => clock.now });
    await snapshot.refresh();
    expect([snapshot.revision(), snapshot.product('PRD-TEST')?.status]).toEqual([1, 'CERTIFIED']);
    f.set({ revision: 2, developers: [], products: [productIn('SUSPENDED')], authorisations: [] });
    await snapshot.refresh();
    expect([snapshot.revision(), snapshot.product('PRD-TEST')?.status, snapshot.developer('DEV-TEST')?.status]).toEqual([2, 'SUSPENDED', 'ACTIVE']);
    expect(f.calls).toEqual([0, 1]);
  });

  it('turns stale (checks fail closed) once the store has not answered for the staleness bound, on the injected clock', async () => {
    const f = feed();
    const clock = { now: NOW };
    const snapshot = createRegistrySnapshot({ store: f.store, now: () => clock.now, stalenessMs: 30_000 });
    expect(snapshot.fresh()).toBe(false);
    await snapshot.refresh();
    expect(snapshot.fresh()).toBe(true);
    f.fail(true);
    clock.now += 30_000;
    await snapshot.refresh();
    expect(snapshot.fresh()).toBe(true);
    clock.now += 1;
    expect([snapshot.fresh(), snapshot.ageMs()]).toEqual([false, 30_001]);
    f.fail(false);
    await snapshot.refresh();
    expect(snapshot.fresh()).toBe(true);
  });

  it('counts the age of what it holds from when the store was asked, so a slow answer does not extend the staleness bound (review s17a F4)', async () => {
    let answer: ((c: RegistryChanges) => void) | null = null;
    const first: RegistryChanges = { revision: 1, developers: [developerIn('ACTIVE')], products: [productIn('CERTIFIED')], authorisations: [] };
    let calls = 0;
    const store = { changesSince: () => (++calls === 1 ? Promise.resolve(first) : new Promise<RegistryChanges>((resolve) => (answer = resolve))) };
    const clock = { now: NOW };
    const snapshot = createRegistrySnapshot({ store, now: () => clock.now, stalenessMs: 30_000 });
    await snapshot.refresh();
    clock.now = NOW + 1_000;
    const polling = snapshot.refresh(); // the store reads its state now …
    clock.now = NOW + 26_000; // … and answers 25 s later
    answer!({ ...first, revision: 2 });
    await polling;
    expect(snapshot.ageMs()).toBe(25_000);
    clock.now = NOW + 31_000;
    expect(snapshot.fresh()).toBe(true);
    clock.now = NOW + 31_001;
    expect(snapshot.fresh()).toBe(false);
  });

  it('answers client access with the domain rule, and the instant the answer lapses', async () => {
    const f = feed();
    const expires = NOW + DAY;
    f.set({ revision: 3, developers: [], products: [], authorisations: [{ org: '12345679016', clientId: 'C-000001', grantedAt: new Date(NOW).toISOString(), expiresAt: new Date(expires).toISOString(), revoked: false, revision: 3 }] });
    const snapshot = createRegistrySnapshot({ store: f.store, now: () => NOW });
    await snapshot.refresh();
    expect(snapshot.clientAuthorisation('12345679016', 'C-000001', expires - 1)).toEqual({ authorised: true, holdsUntil: expires });
    expect(snapshot.clientAuthorisation('12345679016', 'C-000001', expires).authorised).toBe(false);
    expect(snapshot.clientAuthorisation('12345679016', 'C-000002', NOW).authorised).toBe(false);
  });

  it('runs a refresh asked for mid-refresh once more afterwards, and only once', async () => {
    const f = feed();
    let releaseFirst!: () => void;
    let first = true;
    const store = {
      async changesSince(revision: number) {
        f.calls.push(revision);
        if (first) {
          first = false;
          await new Promise<void>((r) => (releaseFirst = r));
        }
        return { revision: revision + 1, developers: [], products: [], authorisations: [] };
      },
    };
    const snapshot = createRegistrySnapshot({ store, now: () => NOW });
    const a = snapshot.refresh();
    const b = snapshot.refresh();
    const c = snapshot.refresh();
    releaseFirst();
    await Promise.all([a, b, c]);
    expect(f.calls).toEqual([0, 1]);
    expect(snapshot.revision()).toBe(2);
  });
});
