/**
 * A protective suspension records what the clock changed first (review s19a F3): a timed
 * suspension that lapsed, or a certification that ended, unrecorded because nobody changed the
 * product since, is written by `system` at its instant before the monitor's suspension, as the
 * registry subgraph does before any change. The monitor is never credited with a lapse.
 */
import type { Logger } from '../../../core/logger.js';
import { createProtectiveSuspension } from '../../../monitoring/protective-suspension.js';
import { activeDeveloper, ADMIN, certifiedProduct, createHarness, DAY, productMutation, type Harness } from '../subgraphs/registry/harness.js';

const SUSPEND_UNTIL = productMutation('suspendProduct', ', $until: String', ', until: $until');
const HISTORY = 'query($id: ID!) { productHistory(productId: $id) { action actor effectiveAt fromStatus toStatus } }';
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as unknown as Logger;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

type Entry = { action: string; actor: string; effectiveAt: string; fromStatus: string; toStatus: string };

test('a lapsed timed suspension is recorded by system at its end before the monitor suspends', async () => {
  const dev = await activeDeveloper(h);
  const p = await certifiedProduct(h, dev.id);
  const until = new Date(h.clock.now + 2_000).toISOString();
  await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: p.revision, reason: 'cool off', until });
  h.clock.now += 5_000; // lapsed; nothing has written the product since
  await createProtectiveSuspension({ store: h.store, now: () => h.clock.now, logger: quiet })(p.id, 'HIGH alert', []);
  const history = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory as Entry[];
  expect(history.slice(-2).map((e) => [e.action, e.actor, e.fromStatus, e.toStatus])).toEqual([
    ['suspensionLapsed', 'system', 'SUSPENDED', 'CERTIFIED'],
    ['suspendProduct', 'monitoring', 'CERTIFIED', 'SUSPENDED'],
  ]);
  expect(history.at(-2)!.effectiveAt).toBe(until);
  expect((await h.store.productById(p.id))!.status).toBe('SUSPENDED');
});

test('an ended certification is recorded before the suspension, in time order', async () => {
  const dev = await activeDeveloper(h);
  const p = await certifiedProduct(h, dev.id);
  h.clock.now += 400 * DAY; // past any certification's validUntil in the harness
  await createProtectiveSuspension({ store: h.store, now: () => h.clock.now, logger: quiet })(p.id, 'HIGH alert', []);
  const history = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory as Entry[];
  expect(history.slice(-2).map((e) => [e.action, e.actor])).toEqual([
    ['certificationExpired', 'system'],
    ['suspendProduct', 'monitoring'],
  ]);
  const times = history.map((e) => Date.parse(e.effectiveAt));
  expect(times).toEqual([...times].sort((a, b) => a - b));
});

test("an admin's suspension in force until reinstated is not replaced by the monitor's", async () => {
  const dev = await activeDeveloper(h);
  const p = await certifiedProduct(h, dev.id);
  // (A timed one is made indefinite: test/unit/review-cert-protective-suspension.test.ts.)
  await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: p.revision, reason: 'Investigation', until: null });
  const before = (await h.store.productById(p.id))!;
  h.clock.now += 1_000;
  await createProtectiveSuspension({ store: h.store, now: () => h.clock.now, logger: quiet })(p.id, 'HIGH alert', []);
  expect(await h.store.productById(p.id)).toEqual(before);
});

test('an admin extends a timed suspension to until further notice while the product stays suspended', async () => {
  const dev = await activeDeveloper(h);
  const p = await certifiedProduct(h, dev.id);
  const suspended = (await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: p.revision, reason: 'Investigation, 24 h', until: new Date(h.clock.now + DAY).toISOString() })).suspendProduct;
  const longer = (await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: suspended.revision, reason: 'Fraud confirmed', until: null })).suspendProduct;
  expect(longer).toMatchObject({ status: 'SUSPENDED', suspension: { until: null, resumeStatus: 'CERTIFIED' } });
  h.clock.now += 2 * DAY;
  expect((await h.ok(ADMIN, 'query($id: ID!) { product(id: $id) { effectiveStatus } }', { id: p.id })).product.effectiveStatus).toBe('SUSPENDED');
  const history = (await h.ok(ADMIN, HISTORY, { id: p.id })).productHistory as Entry[];
  expect(history.slice(-2).map((e) => [e.action, e.fromStatus, e.toStatus])).toEqual([
    ['suspendProduct', 'CERTIFIED', 'SUSPENDED'],
    ['suspendProduct', 'SUSPENDED', 'SUSPENDED'],
  ]);
});
