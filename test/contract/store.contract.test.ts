/**
 * The store contract: one suite, written against the `Store` port only, run unchanged against
 * every adapter (test/contract/adapters.ts decides which can run here). Each group gets a fresh
 * store, so expectations can be exact.
 */
import { RateLimiterRes } from 'rate-limiter-flexible';
import { authorisationKey } from '../../registry/model.js';
import { chainableFacts, computeRecordHash, createChain } from '../../audit/chain.js';
import { GENESIS_HASH, indexedColumnsOf, type AccessLogFilter, type ChainedAccessRecord, type CountBy, type Decision, type LedgerEntry } from '../../audit/record.js';
import { StoreAbnHeldError, StoreConflictError, type RegistryChange, type Store } from '../../store/port.js';
import { adapters, MONGO_SKIP_MESSAGE, type ContractAdapter } from './adapters.js';
import {
  at,
  note,
  sampleAlert,
  sampleAuthorisation,
  sampleCheckpoint,
  sampleDeveloper,
  sampleHead,
  sampleIncident,
  sampleProduct,
  sampleRecord,
} from './samples.js';

afterAll(async () => {
  await Promise.all(adapters.map((a) => a.dispose()));
});


function contractSuite(adapter: ContractAdapter): void {
  const opened: Store[] = [];
  const fresh = async (): Promise<Store> => {
    const store = await adapter.create();
    opened.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
  });

  describe('registry', () => registrySuite(fresh));
  describe('access log', () => accessLogSuite(fresh));
  describe('access log: chaining where it commits (appendToChain)', () => chainingSuite(fresh));
  describe('alerts and incidents', () => incidentSuite(fresh));
  describe('rate limiting', () => rateLimitSuite(fresh));

  describe('connection', () => {
    it('answers ping while open and refuses it once closed', async () => {
      const store = await fresh();
      await expect(store.ping()).resolves.toBeUndefined();
      await store.close();
      await expect(store.ping()).rejects.toBeInstanceOf(Error);
    });
  });
}

type Fresh = () => Promise<Store>;

// ── registry ──────────────────────────────────────────────────────────────────────────────

function registrySuite(fresh: Fresh): void {
  let store: Store;
  beforeAll(async () => {
    store = await fresh();
  });

  const createDeveloper = (id: string, abn = '51824753556') =>
    store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper(id, { abn }), note: note() });

  it('starts empty at revision 0', async () => {
    expect(await store.currentRevision()).toBe(0);
    expect(await store.changesSince(0)).toEqual({ revision: 0, developers: [], products: [], authorisations: [] });
    expect(await store.listDevelopers()).toEqual([]);
    expect(await store.listProducts()).toEqual([]);
    expect(await store.listClientAuthorisations()).toEqual([]);
  });

  it('creates a developer at the next revision and records its history', async () => {
    const dev = sampleDeveloper('DEV-1', { abn: '53004085616' });
    const { revision, history } = await store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: dev, note: note() });
    expect(revision).toBe(1);
    expect(await store.currentRevision()).toBe(1);
    const stored = await store.developerById('DEV-1');
    expect(stored).toEqual({ ...dev, revision: 1 });
    expect(await store.developerByAbn('53004085616')).toEqual(stored);
    expect(await store.developerByAbn('33051775556')).toBeNull();
    expect(await store.developerById('DEV-NONE')).toBeNull();
    expect(await store.listDevelopers()).toEqual([stored]);
    expect(history).toMatchObject({
      entityType: 'DEVELOPER',
      entityId: 'DEV-1',
      action: 'REGISTER',
      actor: 'contract-test',
      reason: 'contract test',
      ticket: 'TCK-1',
      effectiveAt: at(0),
      before: null,
      after: stored,
      revision: 1,
    });
    expect(history.id).toEqual(expect.any(String));
    expect(Number.isNaN(Date.parse(history.recordedAt))).toBe(false);
    expect(await store.historyOf('DEVELOPER', 'DEV-1')).toEqual([history]);
  });

  it('updates at the expected revision; history keeps before and after, oldest first', async () => {
    const before = (await store.developerById('DEV-1'))!;
    const next = { ...before, status: 'SUSPENDED' as const, statusReason: 'tax obligations' };
    const { revision, history } = await store.applyRegistryChange({
      entity: 'DEVELOPER',
      expectedRevision: before.revision,
      next,
      note: { action: 'SUSPEND', actor: 'admin', reason: 'tax obligations', effectiveAt: at(1000) },
    });
    expect(revision).toBe(before.revision + 1);
    const after = await store.developerById('DEV-1');
    expect(after).toEqual({ ...next, revision });
    expect(history).toMatchObject({ action: 'SUSPEND', actor: 'admin', ticket: null, before, after, revision });
    const all = await store.historyOf('DEVELOPER', 'DEV-1');
    expect(all.map((h) => h.revision)).toEqual([1, revision]);
    expect(all.map((h) => h.action)).toEqual(['REGISTER', 'SUSPEND']);
    expect(all[1]).toEqual(history);
  });

  it('refuses a stale expected revision with StoreConflictError and changes nothing', async () => {
    const current = (await store.developerById('DEV-1'))!;
    const revisionBefore = await store.currentRevision();
    const historyBefore = await store.historyOf('DEVELOPER', 'DEV-1');
    const stale = store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: current.revision - 1, next: { ...current, legalName: 'Changed' }, note: note() });
    await expect(stale).rejects.toBeInstanceOf(StoreConflictError);
    await expect(stale).rejects.toMatchObject({ entity: 'DEVELOPER', entityId: 'DEV-1', expectedRevision: current.revision - 1, actualRevision: current.revision });
    expect(await store.developerById('DEV-1')).toEqual(current);
    expect(await store.currentRevision()).toBe(revisionBefore);
    expect(await store.historyOf('DEVELOPER', 'DEV-1')).toEqual(historyBefore);
  });

  it('refuses a developer change with abnExclusiveAmong when another developer holds the ABN in one of those statuses, and changes nothing', async () => {
    const own = await fresh();
    const abn = '83914571673';
    const pending = (id: string) => own.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper(id, { abn, status: 'PENDING' }), note: note() });
    const a = await pending('DEV-X1');
    const b = await pending('DEV-X2');
    const approve = (id: string, revision: number) =>
      own.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: revision, next: { ...sampleDeveloper(id, { abn }), status: 'ACTIVE' }, note: note(), abnExclusiveAmong: ['ACTIVE', 'SUSPENDED'] });
    // A PENDING holder does not block; the developer itself never does.
    await approve('DEV-X1', a.revision);
    const revisionBefore = await own.currentRevision();
    const refused = approve('DEV-X2', b.revision);
    await expect(refused).rejects.toBeInstanceOf(StoreAbnHeldError);
    await expect(refused).rejects.toMatchObject({ developerId: 'DEV-X2', heldBy: 'DEV-X1' });
    expect((await own.developerById('DEV-X2'))?.status).toBe('PENDING');
    expect(await own.currentRevision()).toBe(revisionBefore);
    expect((await own.historyOf('DEVELOPER', 'DEV-X2')).length).toBe(1);
  });

  it('refuses to create an entity that exists and to update one that does not', async () => {
    const current = (await store.developerById('DEV-1'))!;
    const revisionBefore = await store.currentRevision();
    await expect(createDeveloper('DEV-1')).rejects.toMatchObject({ name: 'StoreConflictError', expectedRevision: null, actualRevision: current.revision });
    await expect(
      store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: 1, next: sampleDeveloper('DEV-MISSING'), note: note() }),
    ).rejects.toMatchObject({ name: 'StoreConflictError', entityId: 'DEV-MISSING', expectedRevision: 1, actualRevision: null });
    expect(await store.developerById('DEV-MISSING')).toBeNull();
    expect(await store.currentRevision()).toBe(revisionBefore);
    expect(await store.historyOf('DEVELOPER', 'DEV-MISSING')).toEqual([]);
  });

  it('stores products and lists them by developer', async () => {
    await createDeveloper('DEV-2');
    const create = (id: string, developerId: string) => store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: null, next: sampleProduct(id, developerId), note: note() });
    const { revision: r1 } = await create('P-1', 'DEV-1');
    await create('P-2', 'DEV-2');
    await create('P-3', 'DEV-1');
    expect(await store.productById('P-1')).toEqual({ ...sampleProduct('P-1', 'DEV-1'), revision: r1 });
    expect(await store.productById('P-NONE')).toBeNull();
    const ids = (list: { id: string }[]) => list.map((p) => p.id).sort();
    expect(ids(await store.listProducts())).toEqual(['P-1', 'P-2', 'P-3']);
    expect(ids(await store.listProducts({ developerId: null }))).toEqual(['P-1', 'P-2', 'P-3']);
    expect(ids(await store.listProducts({ developerId: 'DEV-1' }))).toEqual(['P-1', 'P-3']);
    expect(await store.listProducts({ developerId: 'DEV-NONE' })).toEqual([]);

    const p1 = (await store.productById('P-1'))!;
    const suspended = { ...p1, status: 'SUSPENDED' as const, suspension: { reason: 'test', since: at(0), until: null, actor: 'admin', resumeStatus: 'CERTIFIED' as const } };
    const { revision } = await store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: p1.revision, next: suspended, note: note({ action: 'SUSPEND' }) });
    expect(await store.productById('P-1')).toEqual({ ...suspended, revision });
    expect((await store.historyOf('PRODUCT', 'P-1')).map((h) => h.action)).toEqual(['REGISTER', 'SUSPEND']);
  });

  it('keeps a product key binding (DPoP thumbprints) through a round trip, and its removal', async () => {
    const thumbprints = ['0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I', 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs'];
    const { revision: r1 } = await store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: null, next: sampleProduct('P-KB', 'DEV-1', { keyBinding: { required: true, thumbprints } }), note: note() });
    expect(await store.productById('P-KB')).toEqual({ ...sampleProduct('P-KB', 'DEV-1', { keyBinding: { required: true, thumbprints } }), revision: r1 });
    expect((await store.changesSince(r1 - 1)).products[0]!.keyBinding).toEqual({ required: true, thumbprints });
    const bound = (await store.productById('P-KB'))!;
    const { revision: r2 } = await store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: r1, next: { ...bound, keyBinding: null }, note: note({ action: 'setKeyBinding' }) });
    expect(await store.productById('P-KB')).toEqual({ ...bound, keyBinding: null, revision: r2 });
    const history = await store.historyOf('PRODUCT', 'P-KB');
    expect((history[1]!.before as { keyBinding: unknown }).keyBinding).toEqual({ required: true, thumbprints });
  });

  it('keys client authorisations by (org, clientId)', async () => {
    const grant = (org: string, clientId: string) =>
      store.applyRegistryChange({ entity: 'CLIENT_AUTHORISATION', expectedRevision: null, next: sampleAuthorisation(org, clientId), note: note({ action: 'GRANT' }) });
    const { revision } = await grant('11111111111', 'C-000001');
    await grant('11111111111', 'C-000002');
    await grant('22222222222', 'C-000001');
    expect(await store.clientAuthorisation('11111111111', 'C-000001')).toEqual({ ...sampleAuthorisation('11111111111', 'C-000001'), revision });
    expect(await store.clientAuthorisation('22222222222', 'C-000002')).toBeNull();
    const keys = (list: { org: string; clientId: string }[]) => list.map((a) => authorisationKey(a.org, a.clientId)).sort();
    expect(keys(await store.listClientAuthorisations())).toEqual(['11111111111|C-000001', '11111111111|C-000002', '22222222222|C-000001']);
    expect(keys(await store.listClientAuthorisations({ org: '11111111111' }))).toEqual(['11111111111|C-000001', '11111111111|C-000002']);
    expect(keys(await store.listClientAuthorisations({ clientId: 'C-000001' }))).toEqual(['11111111111|C-000001', '22222222222|C-000001']);
    expect(keys(await store.listClientAuthorisations({ org: '22222222222', clientId: 'C-000001' }))).toEqual(['22222222222|C-000001']);
    expect(keys(await store.listClientAuthorisations({ org: null, clientId: null }))).toHaveLength(3);

    await expect(grant('11111111111', 'C-000001')).rejects.toBeInstanceOf(StoreConflictError);
    const revoked = { ...(await store.clientAuthorisation('11111111111', 'C-000001'))!, revoked: true };
    const change = await store.applyRegistryChange({ entity: 'CLIENT_AUTHORISATION', expectedRevision: revision, next: revoked, note: note({ action: 'REVOKE' }) });
    expect(await store.clientAuthorisation('11111111111', 'C-000001')).toEqual({ ...revoked, revision: change.revision });
    expect((await store.clientAuthorisation('22222222222', 'C-000001'))!.revoked).toBe(false);
    const history = await store.historyOf('CLIENT_AUTHORISATION', authorisationKey('11111111111', 'C-000001'));
    expect(history.map((h) => h.action)).toEqual(['GRANT', 'REVOKE']);
    expect(history[0]!.entityId).toBe(authorisationKey('11111111111', 'C-000001'));
  });

  it('changesSince returns every entity changed after a revision, in its latest state', async () => {
    const r0 = await store.currentRevision();
    expect(await store.changesSince(r0)).toEqual({ revision: r0, developers: [], products: [], authorisations: [] });

    await createDeveloper('DEV-3');
    const rMid = await store.currentRevision();
    await store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: null, next: sampleProduct('P-4', 'DEV-3'), note: note() });
    await store.applyRegistryChange({ entity: 'CLIENT_AUTHORISATION', expectedRevision: null, next: sampleAuthorisation('33333333333', 'C-000009'), note: note() });
    const dev3 = (await store.developerById('DEV-3'))!;
    await store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: dev3.revision, next: { ...dev3, legalName: 'Renamed' }, note: note({ action: 'UPDATE' }) });
    const current = await store.currentRevision();
    expect(current).toBe(r0 + 4);

    const since0 = await store.changesSince(r0);
    expect(since0.revision).toBe(current);
    expect(since0.developers).toEqual([await store.developerById('DEV-3')]);
    expect(since0.developers[0]!.legalName).toBe('Renamed');
    expect(since0.products).toEqual([await store.productById('P-4')]);
    expect(since0.authorisations).toEqual([await store.clientAuthorisation('33333333333', 'C-000009')]);

    const sinceMid = await store.changesSince(rMid);
    expect(sinceMid.developers.map((d) => d.id)).toEqual(['DEV-3']);
    expect(sinceMid.products.map((p) => p.id)).toEqual(['P-4']);

    const everything = await store.changesSince(0);
    expect(everything.revision).toBe(current);
    expect(everything.developers.map((d) => d.id).sort()).toEqual((await store.listDevelopers()).map((d) => d.id).sort());
    expect(everything.products).toHaveLength((await store.listProducts()).length);
    expect(everything.authorisations).toHaveLength((await store.listClientAuthorisations()).length);
  });

  it('never gives one revision to two changes (20 concurrent changes)', async () => {
    const r0 = await store.currentRevision();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => createDeveloper(`DEV-C-${i}`)));
    const revisions = results.map((r) => r.revision).sort((a, b) => a - b);
    expect(revisions).toEqual(Array.from({ length: 20 }, (_, i) => r0 + 1 + i));
    expect(await store.currentRevision()).toBe(r0 + 20);
    for (const [i, r] of results.entries()) expect((await store.developerById(`DEV-C-${i}`))!.revision).toBe(r.revision);
  });

  it('lets exactly one of several concurrent updates from the same revision win', async () => {
    const base = (await store.developerById('DEV-C-0'))!;
    const change = (i: number): RegistryChange => ({ entity: 'DEVELOPER', expectedRevision: base.revision, next: { ...base, legalName: `Racer ${i}` }, note: note({ action: 'UPDATE' }) });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.applyRegistryChange(change(i))));
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(4);
    for (const o of lost) expect(o.reason).toBeInstanceOf(StoreConflictError);
    expect(await store.historyOf('DEVELOPER', 'DEV-C-0')).toHaveLength(2);
  });

  it('has no history for an unknown entity', async () => {
    expect(await store.historyOf('PRODUCT', 'P-NONE')).toEqual([]);
  });

  it('searches history across entities by actor (sub or whole actor), ticket, type and effective range, newest first, paged by revision', async () => {
    const created = await store.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper('DEV-H', { abn: '83914571673' }), note: { action: 'REGISTER', actor: 'jane (ato:admin)', reason: 'r', ticket: 'H-1', effectiveAt: at(50_000) } });
    const lapsed = await store.applyRegistryChange({
      entity: 'DEVELOPER',
      expectedRevision: created.revision,
      next: { ...(await store.developerById('DEV-H'))!, statusReason: 'lapsed' },
      note: { action: 'LAPSE', actor: 'system', reason: 'r', effectiveAt: at(60_000) },
    });
    const search = (filter: Parameters<Store['queryRegistryHistory']>[0], first = 100, beforeRevision: number | null = null) => store.queryRegistryHistory(filter, { first, beforeRevision });
    expect(await search({ actor: 'jane' })).toEqual([created.history]);
    expect(await search({ actor: 'jane (ato:admin)' })).toEqual([created.history]);
    expect(await search({ actor: 'j.ne' })).toEqual([]);
    expect(await search({ actor: 'jan' })).toEqual([]);
    expect(await search({ actor: 'system' })).toEqual([lapsed.history]);
    expect(await search({ ticket: 'H-1' })).toEqual([created.history]);
    expect(await search({ from: at(50_000), to: at(60_000) })).toEqual([created.history]);
    expect(await search({ from: at(50_001) })).toEqual([lapsed.history]);
    const products = await search({ entityType: 'PRODUCT' });
    expect(products.length).toBeGreaterThan(0);
    expect(products.every((h) => h.entityType === 'PRODUCT')).toBe(true);
    const all = await search({}, 1000);
    expect(all.map((h) => h.revision)).toEqual([...all.map((h) => h.revision)].sort((a, b) => b - a));
    expect(all[0]).toEqual(lapsed.history);
    const page1 = await search({}, 3);
    const page2 = await search({}, 3, page1.at(-1)!.revision);
    expect([...page1, ...page2]).toEqual(all.slice(0, 6));
  });
}

// ── access log ────────────────────────────────────────────────────────────────────────────

const ORG_1 = '12345679016';
const ORG_2 = '98765432122';
const DECISIONS: Decision[] = ['ALLOWED', 'PARTIAL', 'DENIED'];
const CODES: Record<Decision, string[]> = { ALLOWED: [], PARTIAL: ['SERVICE_NOT_WHITELISTED', 'RESTRICTED_DATA'], DENIED: ['PRODUCT_SUSPENDED'] };

/** Record `i` of the fixture: attributes vary with different moduli so that every filter selects a proper subset. */
function fixtureRecord(chainId: string, seq: number, i: number, timeOffsetMs: number): ChainedAccessRecord {
  const { hash, ...record } = fixtureFields(chainId, seq, i, timeOffsetMs);
  // Only some records name an issuer (a gateway trusting several; the rest match no issuer),
  // laid out as the gateway writes it: an optional field after the others, before the hash.
  return i % 3 === 0 ? { ...record, hash } : { ...record, issuer: i % 2 ? 'https://staff-idp.example' : 'https://products-idp.example', hash };
}

function fixtureFields(chainId: string, seq: number, i: number, timeOffsetMs: number): ChainedAccessRecord {
  const productId = [null, 'PRD-A', 'PRD-B'][i % 3]!;
  const decision = DECISIONS[Math.floor(i / 4) % 3]!;
  return sampleRecord(chainId, seq, {
    time: at(timeOffsetMs),
    productId,
    developerId: productId === 'PRD-A' ? 'DEV-A' : productId === 'PRD-B' ? 'DEV-B' : null,
    org: productId ? (i % 2 ? ORG_1 : ORG_2) : null,
    decision,
    errorCodes: CODES[decision],
    httpStatus: decision === 'DENIED' ? 403 : 200,
    clientDigests: i % 5 === 0 ? ['digest-x', 'digest-y'] : i % 5 === 1 ? ['digest-y'] : [],
    operationName: i % 7 === 0 ? null : i % 4 === 0 ? 'ListLodgments' : 'GetClient',
    sub: productId ? `user-${i % 3}` : i % 2 ? 'auditor-al' : null,
    jti: `jti-${i % 6}`,
    roles: productId ? [] : i % 2 ? ['ato:auditor'] : ['ato:admin', 'ato:auditor'],
    clientIp: i % 4 === 1 ? '10.0.0.7' : '10.0.0.8',
    coordinates: i % 3 === 2 ? ['Query.client', 'Client.lodgments'] : ['Query.client'],
  });
}

function matches(r: ChainedAccessRecord, f: AccessLogFilter): boolean {
  const t = Date.parse(r.time);
  return (
    (f.from == null || t >= Date.parse(f.from)) &&
    (f.to == null || t < Date.parse(f.to)) &&
    (f.productId == null || r.productId === f.productId) &&
    (f.developerId == null || r.developerId === f.developerId) &&
    (f.org == null || r.org === f.org) &&
    (f.clientDigest == null || r.clientDigests.includes(f.clientDigest)) &&
    (f.decision == null || r.decision === f.decision) &&
    (f.errorCode == null || r.errorCodes.includes(f.errorCode)) &&
    (f.operationName == null || r.operationName === f.operationName) &&
    (f.sub == null || r.sub === f.sub) &&
    (f.issuer == null || r.issuer === f.issuer) &&
    (f.jti == null || r.jti === f.jti) &&
    (f.role == null || r.roles.includes(f.role)) &&
    (f.clientIp == null || r.clientIp === f.clientIp) &&
    (f.httpStatus == null || r.httpStatus === f.httpStatus) &&
    (f.coordinate == null || r.coordinates.includes(f.coordinate))
  );
}

/** Same records, newest first. Ties in time may come in any order, so ids are compared as sets. */
function expectNewestFirst(actual: ChainedAccessRecord[], expected: ChainedAccessRecord[]): void {
  const byTimeDesc = (a: ChainedAccessRecord, b: ChainedAccessRecord) => Date.parse(b.time) - Date.parse(a.time);
  expect(actual.map((r) => r.time)).toEqual([...expected].sort(byTimeDesc).map((r) => r.time));
  expect(new Set(actual.map((r) => r.id)).size).toBe(actual.length);
  expect(actual.map((r) => r.id).sort()).toEqual(expected.map((r) => r.id).sort());
}

function countsOf(values: string[]): CountBy[] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return sortCounts([...m].map(([key, count]) => ({ key, count })));
}
const sortCounts = (list: CountBy[]): CountBy[] => [...list].sort((a, b) => a.key.localeCompare(b.key));

function chainingSuite(fresh: Fresh): void {
  const key = Buffer.alloc(32, 5);
  const facts = (from: number, n: number) => Array.from({ length: n }, (_, i) => {
    const { chainId: _c, seq: _s, prevHash: _p, hash: _h, ...record } = sampleRecord('chain-w', from + i, { clientDigests: ['digest-w'], errorCodes: i % 2 ? ['RATE_LIMITED'] : [] });
    return record;
  });

  it('chains the records onto the head it is given, stores them as createChain would, and answers their hashes', async () => {
    const store = await fresh();
    await store.openChain(sampleHead('chain-w'));
    const records = facts(1, 5);
    const chain = createChain('chain-w', { seq: 0, hash: GENESIS_HASH }, key);
    const expected = records.map((r) => chain.append(r));
    const first = await store.appendToChain({ chainId: 'chain-w', head: { seq: 0, hash: GENESIS_HASH }, key, records: records.slice(0, 3).map(chainableFacts) }, [sampleCheckpoint('chain-w', 0)]);
    const second = await store.appendToChain({ chainId: 'chain-w', head: { seq: 3, hash: first[2]! }, key, records: records.slice(3).map(chainableFacts) });
    expect([...first, ...second]).toEqual(expected.map((r) => r.hash));
    expect(await store.readChain('chain-w', 1, 10)).toEqual(expected);
    expect(await store.checkpointsOf('chain-w')).toEqual([sampleCheckpoint('chain-w', 0)]);
    expect((await store.listChains()).find((h) => h.chainId === 'chain-w')).toMatchObject({ lastSeq: 5, lastHash: expected[4]!.hash });
    expect(await store.countAccessLogs({ errorCode: 'RATE_LIMITED' })).toBe(2);
    expect(await store.countAccessLogs({ clientDigest: 'digest-w' })).toBe(5);
  });

  it('keeps a record whose strings held lone surrogates (a subgraph code, a claim) as it hashed it: U+FFFD, found by that code, its copies and hash intact', async () => {
    const store = await fresh();
    await store.openChain(sampleHead('chain-w'));
    const [record] = facts(1, 1);
    const odd = { ...record!, errorCodes: ['\ud800', 'OK\udfff', 'RATE_LIMITED'], sub: 'sub-\udc00', operationName: 'Q\ud83d', reasons: [{ code: 'X\ud800', coordinate: null }] };
    const [hash] = await store.appendToChain({ chainId: 'chain-w', head: { seq: 0, hash: GENESIS_HASH }, key, records: [chainableFacts(odd)] });
    const [stored] = await store.readChain('chain-w', 1, 1);
    expect(stored).toMatchObject({ errorCodes: ['\ufffd', 'OK\ufffd', 'RATE_LIMITED'], sub: 'sub-\ufffd', operationName: 'Q\ufffd', reasons: [{ code: 'X\ufffd', coordinate: null }], hash });
    expect(computeRecordHash(stored!, key)).toBe(hash);
    expect(await store.indexedColumnsOf('chain-w', 1, 1)).toEqual([indexedColumnsOf(stored!)]);
    expect(await store.countAccessLogs({ errorCode: '\ufffd' })).toBe(1);
  });

  it('takes a retried batch without duplicating or failing, answering the same hashes', async () => {
    const store = await fresh();
    await store.openChain(sampleHead('chain-w'));
    const batch = { chainId: 'chain-w', head: { seq: 0, hash: GENESIS_HASH }, key, records: facts(1, 4).map(chainableFacts) };
    const hashes = await store.appendToChain(batch);
    expect(await store.appendToChain(batch)).toEqual(hashes);
    expect((await store.readChain('chain-w', 1, 10)).map((r) => r.hash)).toEqual(hashes);
  });
}

function accessLogSuite(fresh: Fresh): void {
  let store: Store;
  const chainA: ChainedAccessRecord[] = [];
  const chainB: ChainedAccessRecord[] = [];
  const gap: ChainedAccessRecord[] = [];
  const sameTime: ChainedAccessRecord[] = [];
  const all: ChainedAccessRecord[] = [];

  beforeAll(async () => {
    store = await fresh();
    let i = 0;
    for (let seq = 1; seq <= 30; seq++) chainA.push(fixtureRecord('chain-a', seq, i++, seq * 1000));
    for (let seq = 1; seq <= 10; seq++) chainB.push(fixtureRecord('chain-b', seq, i++, seq * 1000 + 500));
    // A chain with seq 3 missing: the store keeps what it is given; the verifier finds the gap.
    for (const seq of [1, 2, 4]) gap.push(fixtureRecord('chain-gap', seq, i++, 40_000 + seq * 1000));
    // Five records sharing one instant: pagination must still neither skip nor repeat.
    for (let seq = 1; seq <= 5; seq++) sameTime.push(sampleRecord('chain-same', seq, { time: at(60_000), productId: 'PRD-SAME', developerId: 'DEV-SAME' }));
    all.push(...chainA, ...chainB, ...gap, ...sameTime);

    for (const chainId of ['chain-a', 'chain-b', 'chain-gap', 'chain-same']) await store.openChain(sampleHead(chainId, { instanceId: `instance-${chainId}` }));
    await store.appendAccessRecords(chainA.slice(0, 10), [sampleCheckpoint('chain-a', 10)]);
    await store.appendAccessRecords(chainA.slice(10, 20));
    await store.appendAccessRecords([...chainB, ...chainA.slice(20, 30)]);
    await store.appendAccessRecords(gap);
    await store.appendAccessRecords(sameTime);
  });

  it('advances each chain head to its last record', async () => {
    const heads = await store.listChains();
    expect(heads.map((h) => h.chainId).sort()).toEqual(['chain-a', 'chain-b', 'chain-gap', 'chain-same']);
    const a = heads.find((h) => h.chainId === 'chain-a')!;
    expect(a).toMatchObject({ instanceId: 'instance-chain-a', startedAt: at(0), lastSeq: 30, lastHash: chainA[29]!.hash });
    expect(Number.isNaN(Date.parse(a.updatedAt))).toBe(false);
    expect(heads.find((h) => h.chainId === 'chain-b')).toMatchObject({ lastSeq: 10, lastHash: chainB[9]!.hash });
    expect(heads.find((h) => h.chainId === 'chain-gap')).toMatchObject({ lastSeq: 4, lastHash: gap[2]!.hash });
  });

  it('reads at most `limit` records of a seq range, the first by seq (none for 0)', async () => {
    expect((await store.readChain('chain-a', 4, 1000, 7)).map((r) => r.seq)).toEqual([4, 5, 6, 7, 8, 9, 10]);
    expect(await store.readChain('chain-a', 4, 1000, 0)).toEqual([]);
    expect(await store.readChain('chain-a', 4, 6)).toHaveLength(3);
  });

  it('takes a retried batch without duplicating or failing, and never moves a head back', async () => {
    await expect(store.appendAccessRecords(chainA.slice(0, 10), [sampleCheckpoint('chain-a', 10)])).resolves.toBeUndefined();
    expect(await store.readChain('chain-a', 1, 1000)).toHaveLength(30);
    expect((await store.queryAccessLogs({}, { first: 1000 })).records).toHaveLength(all.length);
    expect(await store.checkpointsOf('chain-a')).toEqual([sampleCheckpoint('chain-a', 10)]);
    expect((await store.listChains()).find((h) => h.chainId === 'chain-a')).toMatchObject({ lastSeq: 30, lastHash: chainA[29]!.hash });
  });

  it('reads a chain range in seq order, exactly as appended', async () => {
    expect(await store.readChain('chain-a', 5, 12)).toEqual(chainA.slice(4, 12));
    expect(await store.readChain('chain-b', 1, 10)).toEqual(chainB);
    expect(await store.readChain('chain-a', 31, 40)).toEqual([]);
    expect(await store.readChain('chain-none', 1, 10)).toEqual([]);
  });

  it('reads a chain with a gap as stored', async () => {
    expect((await store.readChain('chain-gap', 1, 4)).map((r) => r.seq)).toEqual([1, 2, 4]);
  });

  it('opens a chain with no records, and re-opening a chain never resets it', async () => {
    const head = sampleHead('chain-new', { instanceId: 'instance-new', startedAt: at(5000), updatedAt: at(5000) });
    await store.openChain(head);
    expect((await store.listChains()).find((h) => h.chainId === 'chain-new')).toEqual(head);
    await expect(store.openChain(sampleHead('chain-a'))).resolves.toBeUndefined();
    expect((await store.listChains()).find((h) => h.chainId === 'chain-a')).toMatchObject({ lastSeq: 30, lastHash: chainA[29]!.hash });
  });

  it('keeps checkpoints per chain, ordered by seq, including idle ones', async () => {
    const at30 = sampleCheckpoint('chain-a', 30);
    const idle = sampleCheckpoint('chain-a', 30, { time: at(99_000), signature: 'sig.idle' });
    await store.appendCheckpoint(at30);
    await store.appendCheckpoint(at30);
    await store.appendCheckpoint(idle);
    await store.appendCheckpoint(sampleCheckpoint('chain-new', 0));
    expect(await store.checkpointsOf('chain-a')).toEqual([sampleCheckpoint('chain-a', 10), at30, idle]);
    expect(await store.checkpointsOf('chain-new')).toEqual([sampleCheckpoint('chain-new', 0)]);
    expect(await store.checkpointsOf('chain-none')).toEqual([]);
  });

  const filters: Array<[string, AccessLogFilter]> = [
    ['product', { productId: 'PRD-A' }],
    ['developer', { developerId: 'DEV-B' }],
    ['org', { org: ORG_1 }],
    ['client digest', { clientDigest: 'digest-y' }],
    ['decision', { decision: 'DENIED' }],
    ['error code', { errorCode: 'RESTRICTED_DATA' }],
    ['operation name', { operationName: 'ListLodgments' }],
    ['from (inclusive)', { from: at(10_000) }],
    ['to (exclusive)', { to: at(20_000) }],
    ['time range', { from: at(5_000), to: at(15_500) }],
    ['several criteria, ANDed', { productId: 'PRD-A', decision: 'PARTIAL', org: ORG_1 }],
    ['range, code and client, ANDed', { from: at(2_000), to: at(30_000), errorCode: 'SERVICE_NOT_WHITELISTED', clientDigest: 'digest-x' }],
    ['sub', { sub: 'auditor-al' }],
    ['issuer', { issuer: 'https://staff-idp.example' }],
    ['sub and issuer, ANDed', { sub: 'user-1', issuer: 'https://products-idp.example' }],
    ['role (one of the record\'s roles)', { role: 'ato:admin' }],
    ['token id', { jti: 'jti-4' }],
    ['client IP', { clientIp: '10.0.0.7' }],
    ['HTTP status', { httpStatus: 403 }],
    ['schema coordinate (one of the record\'s coordinates)', { coordinate: 'Client.lodgments' }],
    ['sub and status, ANDed', { sub: 'user-1', httpStatus: 200 }],
  ];

  it.each(filters)('counts what %s selects, whatever the page', async (_name, filter) => {
    expect(await store.countAccessLogs(filter)).toBe(all.filter((r) => matches(r, filter)).length);
  });

  it.each(filters)('filters by %s', async (_name, filter) => {
    const expected = all.filter((r) => matches(r, filter));
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);
    const page = await store.queryAccessLogs(filter, { first: 1000 });
    expectNewestFirst(page.records, expected);
    expect(page.nextCursor).toBeNull();
  });

  it('keeps numbered and final checkpoints as signed', async () => {
    await store.appendCheckpoint({ ...sampleCheckpoint('chain-b', 10), n: 3, final: true });
    const numbered = (await store.checkpointsOf('chain-b')).find((c) => c.n === 3);
    expect(numbered).toMatchObject({ seq: 10, n: 3, final: true });
  });

  it('gives every stored filter copy as the record says it', async () => {
    const columns = await store.indexedColumnsOf('chain-a', 1, 30);
    expect(columns).toEqual(chainA.map((r) => indexedColumnsOf(r)));
    expect(await store.indexedColumnsOf('chain-a', 31, 40)).toEqual([]);
  });

  it('counts as unplaced the rows past the seq verification read to (none within it), with where to report them', async () => {
    expect(await store.unplacedRecords('chain-a', chainA.length)).toEqual({ count: 0, samples: [] });
    const past = await store.unplacedRecords('chain-a', chainA.length - 2);
    expect(past).toEqual({ count: 2, samples: [{ shown: String(chainA.length - 1), at: chainA.length - 1 }, { shown: String(chainA.length), at: chainA.length }] });
    expect(await store.unplacedRecords('chain-none', 1)).toEqual({ count: 0, samples: [] });
  });

  it('finds the next stored seq past a given one (none past the last), and nothing wrong with its own storage', async () => {
    expect(await store.nextStoredSeq('chain-a', 0)).toBe(1);
    expect(await store.nextStoredSeq('chain-a', chainA.length - 1)).toBe(chainA.length);
    expect(await store.nextStoredSeq('chain-a', chainA.length)).toBeNull();
    expect(await store.nextStoredSeq('chain-none', 0)).toBeNull();
    expect(await store.storageProblems()).toEqual([]);
  });

  it('names every chain holding records, checkpoints or a head', async () => {
    await store.appendCheckpoint(sampleCheckpoint('chain-only-checkpoint', 0));
    const ids = await store.chainIdsWithData();
    expect([...ids].sort()).toEqual(expect.arrayContaining(['chain-a', 'chain-b', 'chain-gap', 'chain-only-checkpoint', 'chain-same']));
  });

  it('appends ledger entries by seq, and refuses a seq already taken', async () => {
    const entry = (seq: number, chainId: string): LedgerEntry => ({ seq, kind: 'OPEN', chainId, instanceId: 'gw', time: at(seq), hashAlg: 'hmac-sha256', ending: null, prevHash: String(seq - 1).padStart(64, '0'), hash: String(seq).padStart(64, '0'), signature: `sig-${seq}` });
    const close: LedgerEntry = { ...entry(3, 'chain-l1'), kind: 'CLOSE', hashAlg: null, ending: { how: 'CRASH', lastSeq: 9, lastHash: 'f'.repeat(64), lastCheckpointSeq: 5, lastCheckpointN: 2, unsignedRecords: 4 } };
    await store.appendLedgerEntry(entry(1, 'chain-l1'));
    await store.appendLedgerEntry(entry(2, 'chain-l2'));
    await store.appendLedgerEntry(close);
    await expect(store.appendLedgerEntry(entry(2, 'chain-l3'))).rejects.toBeInstanceOf(StoreConflictError);
    expect(await store.readLedger()).toEqual([entry(1, 'chain-l1'), entry(2, 'chain-l2'), close]);
  });

  it("registers an OPEN entry's chain head in the same write, and a refused entry registers neither", async () => {
    const entry = (seq: number, chainId: string): LedgerEntry => ({ seq, kind: 'OPEN', chainId, instanceId: 'gw', time: at(seq), hashAlg: 'hmac-sha256', ending: null, prevHash: String(seq - 1).padStart(64, '0'), hash: String(seq).padStart(64, '0'), signature: `sig-${seq}` });
    const taken = (await store.readLedger()).length + 1;
    await store.appendLedgerEntry(entry(taken, 'chain-opened'), sampleHead('chain-opened'));
    await expect(store.appendLedgerEntry(entry(taken, 'chain-refused'), sampleHead('chain-refused'))).rejects.toBeInstanceOf(StoreConflictError);
    const heads = (await store.listChains()).map((h) => h.chainId);
    expect(heads).toContain('chain-opened');
    expect(heads).not.toContain('chain-refused');
    expect((await store.readLedger()).filter((e) => e.chainId === 'chain-refused')).toEqual([]);
  });

  it('pages newest first with no duplicates and no gaps', async () => {
    const pages: ChainedAccessRecord[][] = [];
    let after: string | null = null;
    do {
      const page = await store.queryAccessLogs({}, { first: 7, after });
      pages.push(page.records);
      after = page.nextCursor;
    } while (after && pages.length < 100);
    expect(pages.slice(0, -1).every((p) => p.length === 7)).toBe(true);
    expect(pages.length).toBe(Math.ceil(all.length / 7));
    expectNewestFirst(pages.flat(), all);
  });

  it('pages through records sharing one instant without losing any', async () => {
    const seen: ChainedAccessRecord[] = [];
    let after: string | null = null;
    do {
      const page = await store.queryAccessLogs({ productId: 'PRD-SAME' }, { first: 2, after });
      seen.push(...page.records);
      after = page.nextCursor;
    } while (after && seen.length < 100);
    expectNewestFirst(seen, sameTime);
  });

  it('pages a filtered query the same way', async () => {
    const filter: AccessLogFilter = { org: ORG_2 };
    const seen: ChainedAccessRecord[] = [];
    let after: string | null = null;
    do {
      const page = await store.queryAccessLogs(filter, { first: 3, after });
      seen.push(...page.records);
      after = page.nextCursor;
    } while (after && seen.length < 100);
    expectNewestFirst(seen, all.filter((r) => matches(r, filter)));
  });

  it('refuses a cursor it did not issue', async () => {
    await expect(store.queryAccessLogs({}, { first: 5, after: '!!not-a-cursor!!' })).rejects.toBeInstanceOf(Error);
  });

  it('summarises counts by product, decision and code', async () => {
    for (const filter of [{}, { productId: 'PRD-A' }, { from: at(5_000), to: at(25_000) }, { decision: 'PARTIAL' as const }]) {
      const expected = all.filter((r) => matches(r, filter));
      const summary = await store.summarizeAccessLogs(filter);
      expect(summary.total).toBe(expected.length);
      expect(sortCounts(summary.byDecision)).toEqual(countsOf(expected.map((r) => r.decision)));
      expect(sortCounts(summary.byCode)).toEqual(countsOf(expected.flatMap((r) => r.errorCodes)));
      // Records without a product are counted under a key of the adapter's choosing; named products by id.
      const named = countsOf(expected.flatMap((r) => (r.productId ? [r.productId] : [])));
      for (const c of named) expect(summary.byProduct).toContainEqual(c);
      expect(summary.byProduct.reduce((n, c) => n + c.count, 0)).toBe(expected.length);
    }
  });
}

// ── alerts and incidents ──────────────────────────────────────────────────────────────────

function incidentSuite(fresh: Fresh): void {
  let store: Store;
  beforeAll(async () => {
    store = await fresh();
  });

  it('saves alerts, replaces them by id, and reads them back', async () => {
    const a1 = sampleAlert('ALERT-1');
    await store.saveAlert(a1);
    expect(await store.alertById('ALERT-1')).toEqual(a1);
    expect(await store.alertById('ALERT-NONE')).toBeNull();
    const extended = { ...a1, lastSeenAt: at(500), observed: 900, evidence: [...a1.evidence, 'rec-3'] };
    await store.saveAlert(extended);
    expect(await store.alertById('ALERT-1')).toEqual(extended);
    expect(await store.listAlerts()).toEqual([extended]);
  });

  it('lists alerts newest first with each filter', async () => {
    await store.saveAlert(sampleAlert('ALERT-2', { productId: 'PRD-B', detector: 'denials', status: 'CLOSED', raisedAt: at(1000), lastSeenAt: at(5000) }));
    await store.saveAlert(sampleAlert('ALERT-3', { productId: null, key: 'ip:10.0.0.1', detector: 'enumeration', raisedAt: at(2000), lastSeenAt: at(2000) }));
    const ids = async (f?: Parameters<Store['listAlerts']>[0]) => (await store.listAlerts(f)).map((a) => a.id);
    expect(await ids()).toEqual(['ALERT-3', 'ALERT-2', 'ALERT-1']);
    expect(await ids({ status: 'OPEN' })).toEqual(['ALERT-3', 'ALERT-1']);
    expect(await ids({ status: 'CLOSED' })).toEqual(['ALERT-2']);
    expect(await ids({ productId: 'PRD-B' })).toEqual(['ALERT-2']);
    expect(await ids({ detector: 'volume' })).toEqual(['ALERT-1']);
    // `since` keeps alerts still seen at or after it (de-duplication extends lastSeenAt).
    expect(await ids({ since: at(3000) })).toEqual(['ALERT-2']);
    expect(await ids({ since: at(2000) })).toEqual(['ALERT-3', 'ALERT-2']);
    expect(await ids({ limit: 2 })).toEqual(['ALERT-3', 'ALERT-2']);
    expect(await ids({ status: 'OPEN', detector: 'enumeration' })).toEqual(['ALERT-3']);
  });

  it('creates an incident at revision 1 and refuses to create it twice', async () => {
    const incident = sampleIncident('INC-1');
    const saved = await store.saveIncident(incident, null);
    expect(saved).toEqual({ ...incident, revision: 1 });
    expect(await store.incidentById('INC-1')).toEqual(saved);
    expect(await store.incidentById('INC-NONE')).toBeNull();
    await expect(store.saveIncident(incident, null)).rejects.toMatchObject({ name: 'StoreConflictError', actualRevision: 1 });
  });

  it('updates an incident at the expected revision and refuses a stale one', async () => {
    const current = (await store.incidentById('INC-1'))!;
    const triaged = { ...current, status: 'TRIAGED' as const, notes: [{ at: at(100), actor: 'admin', status: 'TRIAGED' as const, note: 'looking' }], updatedAt: at(100) };
    const saved = await store.saveIncident(triaged, 1);
    expect(saved).toEqual({ ...triaged, revision: 2 });
    expect(await store.incidentById('INC-1')).toEqual(saved);
    await expect(store.saveIncident({ ...current, status: 'RESOLVED' }, 1)).rejects.toBeInstanceOf(StoreConflictError);
    expect(await store.incidentById('INC-1')).toEqual(saved);
    await expect(store.saveIncident(sampleIncident('INC-MISSING'), 1)).rejects.toMatchObject({ name: 'StoreConflictError', actualRevision: null });
    expect(await store.incidentById('INC-MISSING')).toBeNull();
  });

  it('lists incidents newest first with each filter', async () => {
    await store.saveIncident(sampleIncident('INC-2', { source: 'DSP', productIds: ['PRD-B', 'PRD-C'], developerId: 'DEV-B', detectedAt: at(2000) }), null);
    await store.saveIncident(sampleIncident('INC-3', { productIds: ['PRD-C'], developerId: null, status: 'RESOLVED', detectedAt: at(1000) }), null);
    const ids = async (f?: Parameters<Store['listIncidents']>[0]) => (await store.listIncidents(f)).map((i) => i.id);
    expect(await ids()).toEqual(['INC-2', 'INC-3', 'INC-1']);
    expect(await ids({ status: 'TRIAGED' })).toEqual(['INC-1']);
    expect(await ids({ productId: 'PRD-C' })).toEqual(['INC-2', 'INC-3']);
    expect(await ids({ developerId: 'DEV-B' })).toEqual(['INC-2']);
    expect(await ids({ limit: 1 })).toEqual(['INC-2']);
    expect(await ids({ productId: 'PRD-C', status: 'RESOLVED' })).toEqual(['INC-3']);
  });
}

// ── rate limiting ─────────────────────────────────────────────────────────────────────────

function rateLimitSuite(fresh: Fresh): void {
  let store: Store;
  beforeAll(async () => {
    store = await fresh();
  });

  it('consumes points until the quota is spent, then refuses', async () => {
    const limiter = store.createRateLimiter({ keyPrefix: 'contract-a', points: 3, duration: 60 });
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) remaining.push((await limiter.consume('key-1')).remainingPoints);
    expect(remaining).toEqual([2, 1, 0]);
    const refused = await limiter.consume('key-1').then(
      () => null,
      (r: unknown) => r,
    );
    expect(refused).toBeInstanceOf(RateLimiterRes);
    expect((refused as RateLimiterRes).remainingPoints).toBe(0);
    expect((refused as RateLimiterRes).msBeforeNext).toBeGreaterThan(0);
    await expect(limiter.consume('key-2')).resolves.toMatchObject({ remainingPoints: 2 });
  });

  it('shares counts between limiters with one prefix and separates prefixes', async () => {
    const first = store.createRateLimiter({ keyPrefix: 'contract-b', points: 2, duration: 60 });
    const second = store.createRateLimiter({ keyPrefix: 'contract-b', points: 2, duration: 60 });
    const other = store.createRateLimiter({ keyPrefix: 'contract-c', points: 2, duration: 60 });
    await first.consume('shared');
    await second.consume('shared');
    await expect(first.consume('shared')).rejects.toBeInstanceOf(RateLimiterRes);
    await expect(other.consume('shared')).resolves.toMatchObject({ remainingPoints: 1 });
  });
}

// Registered last: the suites above use module constants that must be initialised first.
const runnable = adapters.filter((a) => !a.skipReason);
const skipped = adapters.filter((a) => a.skipReason);
describe.each(runnable.map((a) => [a.name, a] as const))('store contract: %s', (_name, adapter) => contractSuite(adapter));
if (skipped.length) {
  describe.skip.each(skipped.map((a) => [`${a.name}, ${MONGO_SKIP_MESSAGE}: ${a.skipReason}`, a] as const))('store contract: %s', (_name, adapter) => contractSuite(adapter));
}
