import {
  activeDeveloper, ADMIN, allMet, application, certifiedProduct, CERTIFY, codeOf, createHarness, DAY, developerMutation, developerStaff,
  productMutation, REGISTER_DEVELOPER, REGISTER_PRODUCT, SUBMIT_SELF_CERTIFICATION, type Harness,
} from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(async () => {
  await h.close();
});

const HISTORY = 'query($id: ID!) { productHistory(productId: $id) { action actor reason ticket fromStatus toStatus revision beforeJson afterJson } }';

describe('registry subgraph lifecycle', () => {
  test('register → approve → product → self-certify → certify → suspend → reinstate, with history in order', async () => {
    const registered = (await h.ok(developerStaff('DEV-NONE', 'sam'), REGISTER_DEVELOPER, { input: application() })).registerDeveloper;
    expect(registered.status).toBe('PENDING');
    const approved = (await h.ok(ADMIN, developerMutation('approveDeveloper'), { id: registered.id, rev: registered.revision, reason: 'Eligibility confirmed', ticket: 'REG-1' })).approveDeveloper;
    expect(approved).toMatchObject({ status: 'ACTIVE', statusReason: 'Eligibility confirmed' });
    expect(approved.revision).toBeGreaterThan(registered.revision);

    const staffer = developerStaff(registered.id, 'sam');
    const product = (await h.ok(staffer, REGISTER_PRODUCT, { input: { developerId: registered.id, name: 'Ledger Pro', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '2.0.0' } })).registerProduct;
    expect(product).toMatchObject({ status: 'REGISTERED', blockedBy: 'PRODUCT_NOT_CERTIFIED' });
    const selfCertified = (await h.ok(staffer, SUBMIT_SELF_CERTIFICATION, { id: product.id, rev: product.revision, reason: 'Annual self-assessment', assessments: allMet() })).submitSelfCertification;
    expect(selfCertified.status).toBe('SELF_CERTIFIED');
    const certified = (
      await h.ok(ADMIN, CERTIFY, {
        id: product.id, rev: selfCertified.revision, reason: 'Evidence reviewed', ticket: 'CERT-7', tier: 'STANDARD',
        validFrom: new Date(h.clock.now).toISOString(), validUntil: new Date(h.clock.now + 365 * DAY).toISOString(), services: ['clients.read', 'lodgments.write'],
      })
    ).certifyProduct;
    expect(certified).toMatchObject({ status: 'CERTIFIED', blockedBy: null, services: ['clients.read', 'lodgments.write'], certification: { tier: 'STANDARD', expired: false } });
    const suspended = (await h.ok(ADMIN, productMutation('suspendProduct'), { id: product.id, rev: certified.revision, reason: 'Suspicious volume', ticket: 'INC-3' })).suspendProduct;
    expect(suspended).toMatchObject({ status: 'SUSPENDED', blockedBy: 'PRODUCT_SUSPENDED' });
    const reinstated = (await h.ok(ADMIN, productMutation('reinstateProduct'), { id: product.id, rev: suspended.revision, reason: 'False positive' })).reinstateProduct;
    expect(reinstated).toMatchObject({ status: 'CERTIFIED', blockedBy: null, suspension: null });

    const history = (await h.ok(staffer, HISTORY, { id: product.id })).productHistory;
    expect(history.map((e: any) => [e.action, e.actor, e.reason, e.fromStatus, e.toStatus])).toEqual([
      ['registerProduct', 'sam (dsp:developer)', 'Product registration', null, 'REGISTERED'],
      ['submitSelfCertification', 'sam (dsp:developer)', 'Annual self-assessment', 'REGISTERED', 'SELF_CERTIFIED'],
      ['certifyProduct', 'admin-ann (ato:admin)', 'Evidence reviewed', 'SELF_CERTIFIED', 'CERTIFIED'],
      ['suspendProduct', 'admin-ann (ato:admin)', 'Suspicious volume', 'CERTIFIED', 'SUSPENDED'],
      ['reinstateProduct', 'admin-ann (ato:admin)', 'False positive', 'SUSPENDED', 'CERTIFIED'],
    ]);
    expect(history.map((e: any) => e.ticket)).toEqual([null, null, 'CERT-7', 'INC-3', null]);
    const revisions = history.map((e: any) => e.revision);
    expect([...revisions].sort((a, b) => a - b)).toEqual(revisions);
    expect(JSON.parse(history[3].beforeJson).status).toBe('CERTIFIED');
    expect(JSON.parse(history[3].afterJson).status).toBe('SUSPENDED');

    const devHistory = (await h.ok(staffer, 'query($id: ID!) { developerHistory(developerId: $id) { action actor reason ticket } }', { id: registered.id })).developerHistory;
    expect(devHistory).toEqual([
      { action: 'registerDeveloper', actor: 'sam (dsp:developer)', reason: 'Developer registration', ticket: null },
      { action: 'approveDeveloper', actor: 'admin-ann (ato:admin)', reason: 'Eligibility confirmed', ticket: 'REG-1' },
    ]);
  });

  test('suspending a developer blocks all its products without changing them; reinstating serves them again', async () => {
    const dev = await activeDeveloper(h);
    const a = await certifiedProduct(h, dev.id);
    const b = await certifiedProduct(h, dev.id);
    const suspended = (await h.ok(ADMIN, developerMutation('suspendDeveloper'), { id: dev.id, rev: dev.revision, reason: 'Tax obligations overdue' })).suspendDeveloper;
    const q = 'query($id: ID!) { products(developerId: $id) { id status blockedBy revision } }';
    const during = (await h.ok(ADMIN, q, { id: dev.id })).products;
    expect(during.map((p: any) => [p.id, p.status, p.blockedBy])).toEqual([
      [a.id, 'CERTIFIED', 'DEVELOPER_NOT_IN_GOOD_STANDING'],
      [b.id, 'CERTIFIED', 'DEVELOPER_NOT_IN_GOOD_STANDING'],
    ]);
    expect(during.map((p: any) => p.revision)).toEqual([a.revision, b.revision]);
    // A suspended developer cannot sidestep its suspension with a new product.
    const fresh = await h.run(ADMIN, REGISTER_PRODUCT, { input: { developerId: dev.id, name: 'Ledger Lite', deploymentModel: 'DESKTOP', dataHosting: ['AU'], minimumVersion: '1.0.0' } });
    expect(codeOf(fresh)).toBe('ILLEGAL_TRANSITION');
    expect(fresh.errors?.[0]?.extensions).toMatchObject({ currentState: 'SUSPENDED', action: 'registerProduct' });
    await h.ok(ADMIN, developerMutation('reinstateDeveloper'), { id: dev.id, rev: suspended.revision, reason: 'Obligations met' });
    expect((await h.ok(ADMIN, q, { id: dev.id })).products.map((p: any) => p.blockedBy)).toEqual([null, null]);
  });

  test('illegal transitions come back as ILLEGAL_TRANSITION naming the current state', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const revoked = (await h.ok(ADMIN, productMutation('revokeProduct'), { id: p.id, rev: p.revision, reason: 'Fraud confirmed' })).revokeProduct;
    expect(revoked).toMatchObject({ status: 'REVOKED', blockedBy: 'PRODUCT_REVOKED', services: [] });
    const recertify = await h.run(ADMIN, CERTIFY, {
      id: p.id, rev: revoked.revision, reason: 'try again', tier: 'STANDARD',
      validFrom: new Date(h.clock.now).toISOString(), validUntil: new Date(h.clock.now + DAY).toISOString(), services: [],
    });
    expect(codeOf(recertify)).toBe('ILLEGAL_TRANSITION');
    expect(recertify.errors?.[0]?.extensions).toMatchObject({ currentState: 'REVOKED', action: 'certifyProduct' });
    const reinstate = await h.run(ADMIN, productMutation('reinstateProduct'), { id: p.id, rev: revoked.revision, reason: 'x' });
    expect(reinstate.errors?.[0]?.extensions).toMatchObject({ code: 'ILLEGAL_TRANSITION', currentState: 'REVOKED' });
    const approve = await h.run(ADMIN, developerMutation('approveDeveloper'), { id: dev.id, rev: dev.revision, reason: 'again' });
    expect(approve.errors?.[0]?.extensions).toMatchObject({ code: 'ILLEGAL_TRANSITION', currentState: 'ACTIVE' });
  });

  test('certifying without a self-certification is an illegal transition', async () => {
    const dev = await activeDeveloper(h);
    const p = (await h.ok(ADMIN, REGISTER_PRODUCT, { input: { developerId: dev.id, name: 'Bare', deploymentModel: 'DESKTOP', dataHosting: ['AU'], minimumVersion: '1.0.0' } })).registerProduct;
    const r = await h.run(ADMIN, CERTIFY, { id: p.id, rev: p.revision, reason: 'r', tier: 'STANDARD', validFrom: new Date(h.clock.now).toISOString(), validUntil: new Date(h.clock.now + DAY).toISOString(), services: [] });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'ILLEGAL_TRANSITION', currentState: 'REGISTERED' });
  });

  test('a product with NOT_MET MFA cannot be certified ENHANCED or for lodgments.write, but can be for reads', async () => {
    const dev = await activeDeveloper(h);
    const p = (await h.ok(ADMIN, REGISTER_PRODUCT, { input: { developerId: dev.id, name: 'Gappy', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0' } })).registerProduct;
    const s = (await h.ok(ADMIN, SUBMIT_SELF_CERTIFICATION, { id: p.id, rev: p.revision, reason: 'r', assessments: allMet({ MULTIFACTOR_AUTHENTICATION: 'NOT_MET' }) })).submitSelfCertification;
    const base = { id: p.id, rev: s.revision, reason: 'r', validFrom: new Date(h.clock.now).toISOString(), validUntil: new Date(h.clock.now + DAY).toISOString() };
    const enhanced = await h.run(ADMIN, CERTIFY, { ...base, tier: 'ENHANCED', services: ['clients.read'] });
    expect(enhanced.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', blockedTier: { tier: 'ENHANCED', requirements: ['MULTIFACTOR_AUTHENTICATION'] } });
    const write = await h.run(ADMIN, CERTIFY, { ...base, tier: 'STANDARD', services: ['clients.read', 'lodgments.write'] });
    expect(write.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', blockedServices: [{ service: 'lodgments.write', requirements: ['MULTIFACTOR_AUTHENTICATION'] }] });
    const reads = (await h.ok(ADMIN, CERTIFY, { ...base, tier: 'STANDARD', services: ['clients.read', 'lodgments.read'] })).certifyProduct;
    expect(reads.services).toEqual(['clients.read', 'lodgments.read']);
  });

  test('self-certification missing a requirement is refused and changes nothing', async () => {
    const dev = await activeDeveloper(h);
    const p = (await h.ok(ADMIN, REGISTER_PRODUCT, { input: { developerId: dev.id, name: 'Half', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0' } })).registerProduct;
    const r = await h.run(ADMIN, SUBMIT_SELF_CERTIFICATION, { id: p.id, rev: p.revision, reason: 'r', assessments: allMet().slice(1) });
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', missing: ['ENCRYPTION_KEY_MANAGEMENT'] });
    expect((await h.store.productById(p.id))?.revision).toBe(p.revision);
  });

  test('eligibility failures give a stored REJECTED developer with the failed checks', async () => {
    const first = (await h.ok(ADMIN, REGISTER_DEVELOPER, { input: application() })).registerDeveloper;
    const abn = (await h.store.developerById(first.id))!.abn;
    const duplicate = (await h.ok(ADMIN, REGISTER_DEVELOPER, { input: application({ abn: `${abn.slice(0, 2)} ${abn.slice(2)}` }) })).registerDeveloper;
    expect(duplicate).toMatchObject({ status: 'REJECTED', eligibility: { abnUnique: false, abnValid: true } });
    const noDeclarations = (await h.ok(ADMIN, REGISTER_DEVELOPER, { input: application({ declarationsAccepted: false }) })).registerDeveloper;
    expect(noDeclarations).toMatchObject({ status: 'REJECTED', eligibility: { declarationsAccepted: false } });
    const badAbn = (await h.ok(ADMIN, REGISTER_DEVELOPER, { input: application({ abn: '12345678901' }) })).registerDeveloper;
    expect(badAbn).toMatchObject({ status: 'REJECTED', eligibility: { abnValid: false } });
    expect((await h.store.historyOf('DEVELOPER', badAbn.id)).map((e) => e.action)).toEqual(['registerDeveloper']);
    // A rejected one cannot be approved afterwards.
    const approve = await h.run(ADMIN, developerMutation('approveDeveloper'), { id: badAbn.id, rev: badAbn.revision, reason: 'r' });
    expect(approve.errors?.[0]?.extensions).toMatchObject({ code: 'ILLEGAL_TRANSITION', currentState: 'REJECTED' });
  });

  test('approval refuses a second active developer under one ABN', async () => {
    const first = await activeDeveloper(h);
    const abn = (await h.store.developerById(first.id))!.abn;
    // Simulate the cross-process race: a second PENDING application under the same ABN reached the store.
    const stored = (await h.store.developerById(first.id))!;
    const { revision } = await h.store.applyRegistryChange({
      entity: 'DEVELOPER', expectedRevision: null, next: { ...stored, id: 'DEV-RACE', status: 'PENDING', revision: 0, abn },
      note: { action: 'registerDeveloper', actor: 'x (dsp:developer)', reason: 'race', effectiveAt: new Date(h.clock.now).toISOString() },
    });
    const r = await h.run(ADMIN, developerMutation('approveDeveloper'), { id: 'DEV-RACE', rev: revision, reason: 'r' });
    expect(codeOf(r)).toBe('ELIGIBILITY_FAILED');
  });

  test('a mutation without a reason, or on an unknown record, is refused', async () => {
    const dev = await activeDeveloper(h);
    expect(codeOf(await h.run(ADMIN, developerMutation('suspendDeveloper'), { id: dev.id, rev: dev.revision, reason: '  ' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await h.run(ADMIN, developerMutation('suspendDeveloper'), { id: 'DEV-NOPE', rev: 1, reason: 'r' }))).toBe('NOT_FOUND');
    expect(codeOf(await h.run(ADMIN, productMutation('suspendProduct'), { id: 'PRD-NOPE', rev: 1, reason: 'r' }))).toBe('NOT_FOUND');
  });

  test('a suspension with `until` lapses by itself', async () => {
    const dev = await activeDeveloper(h);
    const p = await certifiedProduct(h, dev.id);
    const until = new Date(h.clock.now + DAY).toISOString();
    const s = (await h.ok(ADMIN, productMutation('suspendProduct', ', $until: String', ', until: $until'), { id: p.id, rev: p.revision, reason: 'cool off', until })).suspendProduct;
    expect(s).toMatchObject({ effectiveStatus: 'SUSPENDED', blockedBy: 'PRODUCT_SUSPENDED', suspension: { until } });
    h.clock.now += 2 * DAY;
    try {
      const later = (await h.ok(ADMIN, 'query($id: ID!) { product(id: $id) { status effectiveStatus blockedBy } }', { id: p.id })).product;
      expect(later).toEqual({ status: 'CERTIFIED', effectiveStatus: 'CERTIFIED', blockedBy: null });
    } finally {
      h.clock.now -= 2 * DAY;
    }
  });
});
