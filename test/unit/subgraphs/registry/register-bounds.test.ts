/**
 * What one developer's staff can add to the register is bounded (review s19a F1): every gateway
 * instance keeps every product in its heap, so a developer may hold at most
 * MAX_PRODUCTS_PER_DEVELOPER products that are not revoked, and the gateway's copy of a product
 * leaves out the developer-written text no check reads (the self-certification's evidence, a
 * manifest version awaiting approval).
 */
import { approximateBytes } from '../../../../core/approximate-size.js';
import { createRegistrySnapshot } from '../../../../gateway/registry-snapshot.js';
import { MAX_PRODUCTS_PER_DEVELOPER } from '../../../../subgraphs/registry/product-mutations.js';
import { activeDeveloper, ADMIN, allMet, application, codeOf, createHarness, developerMutation, developerStaff, productMutation, REGISTER_DEVELOPER, REGISTER_PRODUCT, SUBMIT_SELF_CERTIFICATION, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

const SUBMIT_MANIFEST = productMutation('submitOperationManifest', ', $documents: [String!]!', ', documents: $documents');
const productInput = (developerId: string, name: string) => ({ input: { developerId, name, deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0' } });

test(`a developer holds at most ${MAX_PRODUCTS_PER_DEVELOPER} products that are not revoked; revoking one makes room`, async () => {
  const dev = await activeDeveloper(h);
  const staffOf = developerStaff(dev.id);
  // Registered concurrently: the count is taken one registration at a time.
  const first = await Promise.all(Array.from({ length: MAX_PRODUCTS_PER_DEVELOPER + 5 }, (_, i) => h.run(staffOf, REGISTER_PRODUCT, productInput(dev.id, `Product ${i}`))));
  const written = first.filter((r) => !r.errors?.length);
  expect(written).toHaveLength(MAX_PRODUCTS_PER_DEVELOPER);
  const refused = first.filter((r) => r.errors?.length);
  expect(refused.map(codeOf)).toEqual(Array(5).fill('BAD_USER_INPUT'));
  expect(refused[0]!.errors![0]!.extensions).toMatchObject({ problem: 'TOO_MANY_PRODUCTS', maxProducts: MAX_PRODUCTS_PER_DEVELOPER });

  const victim = written[0]!.data!.registerProduct as { id: string; revision: number };
  await h.ok(ADMIN, productMutation('revokeProduct'), { id: victim.id, rev: victim.revision, reason: 'Room for a new product' });
  expect((await h.run(staffOf, REGISTER_PRODUCT, productInput(dev.id, 'After the revocation'))).errors).toBeUndefined();
  expect(codeOf(await h.run(staffOf, REGISTER_PRODUCT, productInput(dev.id, 'One too many')))).toBe('BAD_USER_INPUT');
  // Another developer is not affected.
  const other = await activeDeveloper(h);
  expect((await h.run(developerStaff(other.id), REGISTER_PRODUCT, productInput(other.id, 'Elsewhere'))).errors).toBeUndefined();
});

test("the gateway's copy of a product leaves out its self-certification's evidence and a pending manifest", async () => {
  const dev = await activeDeveloper(h);
  const staffOf = developerStaff(dev.id);
  const registered = (await h.ok(staffOf, REGISTER_PRODUCT, productInput(dev.id, 'Heavy'))).registerProduct;
  const assessments = allMet().map((a) => ({ ...a, evidence: 'e'.repeat(10_000) }));
  const selfCertified = (await h.ok(staffOf, SUBMIT_SELF_CERTIFICATION, { id: registered.id, rev: registered.revision, reason: 'r', assessments })).submitSelfCertification;
  // Six documents of about 30 KB each, awaiting approval.
  const documents = Array.from({ length: 6 }, (_, i) => `query Q${i} { ${Array.from({ length: 1500 }, (_, k) => `a${i}_${k}: __typename`).join(' ')} }`);
  expect((await h.run(staffOf, SUBMIT_MANIFEST, { id: selfCertified.id, rev: selfCertified.revision, reason: 'r', documents })).errors).toBeUndefined();
  const stored = (await h.store.productById(registered.id))!;
  expect(stored.selfCertification).not.toBeNull();
  expect(stored.pendingManifest).not.toBeNull();

  const snapshot = createRegistrySnapshot({ store: h.store, now: () => h.clock.now });
  await snapshot.refresh();
  const held = snapshot.product(registered.id)!;
  expect(held).toMatchObject({ id: registered.id, status: stored.status, revision: stored.revision, selfCertification: null, pendingManifest: null });
  expect(approximateBytes(held)).toBeLessThan(16_384);
});

test("the gateway's copy of the register keeps no developer application that is pending or rejected", async () => {
  const applicant = developerStaff('DEV-ANY');
  const pending = (await h.ok(applicant, REGISTER_DEVELOPER, { input: application() })).registerDeveloper;
  const active = await activeDeveloper(h);
  const snapshot = createRegistrySnapshot({ store: h.store, now: () => h.clock.now });
  await snapshot.refresh();
  expect(pending.status).toBe('PENDING');
  expect(snapshot.developer(pending.id)).toBeUndefined();
  expect(snapshot.developer(active.id)).toMatchObject({ id: active.id, status: 'ACTIVE' });
  // Rejected: still not kept.
  await h.ok(ADMIN, developerMutation('rejectDeveloper'), { id: pending.id, rev: pending.revision, reason: 'Not eligible' });
  await snapshot.refresh();
  expect(snapshot.developer(pending.id)).toBeUndefined();
});
