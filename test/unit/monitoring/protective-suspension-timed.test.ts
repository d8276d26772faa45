/**
 * Review (cert): the monitor's decision not to suspend ("already suspended") read a timed fact,
 * an admin's suspension with `until`, and outlives it: when that suspension lapses by the clock,
 * the product is served again although a HIGH alert asked for it to be suspended until an admin
 * reinstates it.
 */
import type { Logger } from '../../../core/logger.js';
import { currentProductStatus, productDenialAt } from '../../../registry/effective-status.js';
import { createProtectiveSuspension } from '../../../monitoring/protective-suspension.js';
import { activeDeveloper, ADMIN, certifiedProduct, createHarness, productMutation, type Harness } from '../subgraphs/registry/harness.js';

const SUSPEND_UNTIL = productMutation('suspendProduct', ', $until: String', ', until: $until');
const quiet = { info() {}, warn() {}, error() {}, debug() {}, child: () => quiet } as unknown as Logger;
const HOUR = 3_600_000;

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

test('a protective suspension asked for during an admin\u2019s one-hour suspension still holds after that hour', async () => {
  const dev = await activeDeveloper(h);
  const p = await certifiedProduct(h, dev.id);
  // An admin's short cool-off, for some other reason.
  await h.ok(ADMIN, SUSPEND_UNTIL, { id: p.id, rev: p.revision, reason: 'Cool-off while a release is checked', until: new Date(h.clock.now + HOUR).toISOString() });
  h.clock.now += 60_000;
  // A HIGH alert on the product: the monitor asks for a protective suspension (until an admin reinstates).
  await createProtectiveSuspension({ store: h.store, now: () => h.clock.now, logger: quiet })(p.id, 'Protective suspension by ATO monitoring after HIGH alert A-1', []);
  // The admin's hour passes; nobody has reinstated the product.
  h.clock.now += HOUR;
  const product = (await h.store.productById(p.id))!;
  const developer = (await h.store.developerById(dev.id))!;
  expect(currentProductStatus(product, h.clock.now)).toBe('SUSPENDED');
  expect(productDenialAt(product, developer, product.minimumVersion, h.clock.now)?.code).toBe('PRODUCT_SUSPENDED');
});
