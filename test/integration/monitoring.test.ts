/**
 * Issue 7: the detectors through real HTTP with real tokens (real gateway, subgraphs and SQLite
 * store). Each detector raises its alert with evidence that names access records in the store;
 * HIGH alerts open an incident due 24 h after detection (read by an auditor through the gateway
 * and from the store); normal traffic raises nothing; with protective suspension on, an
 * enumerating product is refused PRODUCT_SUSPENDED and its history names the actor "monitoring".
 *
 * Thresholds are set small where the defaults would need minutes of traffic (volume warm-up,
 * denial burst); enumeration and restricted attempts run at their documented defaults.
 */
import { request as httpRequest } from 'node:http';
import type { Alert } from '../../monitoring/incident-model.js';
import type { ChainedAccessRecord } from '../../audit/record.js';
import type { Config, DeepPartial } from '../../core/config.js';
import { ok, registryApi, within } from '../helpers/registry-api.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

const HOUR = 3_600_000;
const CLIENT_QUERY = 'query ($id: ID!) { client(clientId: $id) { id name } }';
const RESTRICTED_QUERY = 'query ($id: ID!) { client(clientId: $id) { id restricted specialInterest { category } } }';
const STATUS_QUERY = '{ serviceStatus { name } }';
const clientId = (n: number) => `C-${String(n).padStart(6, '0')}`;

const BIG_TIER = { points: 100_000, duration: 1, burst: 0, burstDuration: 1, perOrgShare: 1 };
/** Quotas far above anything sent here: a 429 would hide what the detectors should see. */
const GENEROUS_LIMITS = { tiers: { demo: BIG_TIER, standard: BIG_TIER, high: BIG_TIER }, staff: { points: 100_000, duration: 1 }, anonymous: { points: 100_000, duration: 1 } };

/** Runs `count` tasks with at most `concurrency` in flight. */
async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await task(i);
      }
    }),
  );
  return out;
}

/** POSTs from another loopback source address, so a source-keyed alert is this test's alone. */
function postFrom(localAddress: string, url: string, body: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', localAddress, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function recordsById(sys: TestSystem): Promise<Map<string, ChainedAccessRecord>> {
  const records = await sys.store.readChain(sys.gateway.chainId, 1, Number.MAX_SAFE_INTEGER);
  return new Map(records.map((r) => [r.id, r]));
}

async function openAlert(sys: TestSystem, detector: string, key: string): Promise<Alert | undefined> {
  await sys.gateway.monitor.flush();
  return sys.gateway.monitor.openAlerts().find((a) => a.detector === detector && a.key === key);
}

/** The evidence names records in the store; returns them. */
async function evidenceRecords(sys: TestSystem, alert: Alert): Promise<ChainedAccessRecord[]> {
  expect(alert.evidence.length).toBeGreaterThan(0);
  expect(alert.evidence.length).toBeLessThanOrEqual(50);
  const byId = await recordsById(sys);
  const found = alert.evidence.map((id) => byId.get(id));
  expect(found.every((r) => r !== undefined)).toBe(true);
  // The stored alert carries the same evidence (written through the store port).
  const stored = await sys.store.alertById(alert.id);
  expect(stored).toMatchObject({ id: alert.id, detector: alert.detector, key: alert.key, risk: alert.risk, status: 'OPEN' });
  expect(stored!.evidence.every((id) => byId.has(id))).toBe(true);
  return found as ChainedAccessRecord[];
}

/** A HIGH alert has an incident due 24 h after detection, the same in the store and to an auditor (MFA) through the gateway. */
async function expectIncidentFor(sys: TestSystem, alert: Alert, since: number): Promise<void> {
  expect(alert.risk).toBe('HIGH');
  expect(alert.incidentId).toEqual(expect.any(String));
  const stored = await sys.store.incidentById(alert.incidentId!);
  expect(stored).not.toBeNull();
  expect(stored!.alertIds).toContain(alert.id);
  expect(stored!).toMatchObject({ source: 'DETECTOR', risk: 'HIGH' });
  const detectedAt = Date.parse(stored!.detectedAt);
  expect(detectedAt).toBeGreaterThanOrEqual(since);
  expect(detectedAt).toBeLessThanOrEqual(Date.parse(alert.lastSeenAt));
  expect(Date.parse(stored!.notifyBy) - detectedAt).toBe(24 * HOUR);
  if (alert.productId) expect(stored!.productIds).toContain(alert.productId);

  const auditor = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'auditor-ann' });
  const listed = await sys.gql('query ($p: ID) { incidents(productId: $p) { id source risk status detectedAt notifyBy productIds alertIds } }', {
    token: auditor,
    variables: { p: alert.productId },
  });
  expect(listed.body.errors).toBeUndefined();
  const seen = (listed.body.data!.incidents as Array<Record<string, any>>).find((i) => i.id === stored!.id);
  expect(seen).toEqual({ id: stored!.id, source: 'DETECTOR', risk: 'HIGH', status: 'OPEN', detectedAt: stored!.detectedAt, notifyBy: stored!.notifyBy, productIds: stored!.productIds, alertIds: stored!.alertIds });
}

const MONITORING: DeepPartial<Config> = {
  rateLimits: GENEROUS_LIMITS,
  monitoring: {
    detectors: {
      // One-second buckets and a five-second warm-up, so a baseline is learnt within the test.
      volume: { bucketMs: 1000, warmupBuckets: 5, minCount: 20 },
      denialBurst: { windowMs: 10_000, medium: 20, high: 50 },
    },
  },
};

describe('monitoring detectors through the gateway', () => {
  let sys: TestSystem;
  let started: number;
  // The whole system runs on this clock: pacing traffic means moving it, never waiting.
  const clock = { now: Date.now() };
  beforeAll(async () => {
    started = clock.now;
    sys = await startTestSystem(MONITORING, { now: () => clock.now });
    // Warm the query plans (as a staff caller, which no detector here keys on).
    await sys.gql(STATUS_QUERY, { token: await sys.token({ roles: ['ato:admin'], mfa: true }) });
  });
  afterAll(async () => {
    await sys.close();
  });

  // Runs first: every other test here raises alerts on purpose.
  it('raises no alert for normal traffic: a practice reading its own clients at a steady rate', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const queries = [CLIENT_QUERY, 'query ($id: ID!) { client(clientId: $id) { id lodgments(first: 2) { period } } }', 'query ($id: ID!) { client(clientId: $id) { id account { balance } } }'];
    const results: GraphQLResult[] = [];
    // The practice's clients (all but C-000003, a special interest client its app has no reason
    // to open), each at least once, one request at a time at most 16 a second (under the volume
    // detector's minCount of 20 a bucket): on a busy machine the pace can only slow down, never
    // bunch up into a burst.
    const clients = Array.from({ length: 50 }, (_, i) => clientId(i + 1)).filter((id) => id !== 'C-000003');
    for (let i = 0; i < 60; i++) {
      results.push(await sys.gql(queries[i % queries.length]!, { token, variables: { id: clients[i % clients.length]! } }));
      clock.now += 60;
    }
    results.push(await sys.gql(STATUS_QUERY, { token }));
    expect(results.map((r) => r.status)).toEqual(results.map(() => 200));
    expect(results.flatMap(codesOf)).toEqual([]);

    await sys.gateway.monitor.flush();
    expect(sys.gateway.monitor.stats().recordsObserved).toBeGreaterThanOrEqual(results.length);
    expect(sys.gateway.monitor.openAlerts()).toEqual([]);
    expect(await sys.store.listAlerts({})).toEqual([]);
    expect(await sys.store.listIncidents({})).toEqual([]);
  });

  it('raises a HIGH denial-burst alert keyed by source IP for a burst of bad tokens, with the refused records as evidence', async () => {
    const source = '127.0.0.2';
    const bad = ['not-a-jwt', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'a.b.c'];
    const statuses = await pool(60, 8, (i) => postFrom(source, sys.gateway.url, JSON.stringify({ query: STATUS_QUERY }), { authorization: `Bearer ${bad[i % bad.length]}` }));
    expect(new Set(statuses)).toEqual(new Set([401]));

    const alert = await openAlert(sys, 'denial-burst', `ip:${source}`);
    expect(alert).toMatchObject({ risk: 'HIGH', productId: null, baseline: 20 });
    expect(alert!.observed).toBeGreaterThanOrEqual(50);
    for (const r of await evidenceRecords(sys, alert!)) {
      expect(r).toMatchObject({ clientIp: source, decision: 'DENIED', productId: null, httpStatus: 401 });
      expect(r.errorCodes).toEqual(['UNAUTHENTICATED']);
    }
    await expectIncidentFor(sys, alert!, started);
  });

  it('raises a HIGH volume alert for a spike after a warm-up baseline', async () => {
    const token = await sys.boundToken({ product: 'PRD-ENHANCED' });
    // Baseline: three requests in each one-second bucket for six buckets (the warm-up is five).
    for (let bucket = 0; bucket < 7; bucket++) {
      for (let i = 0; i < 3; i++) expect((await sys.gql(STATUS_QUERY, { token })).status).toBe(200);
      clock.now += 1000;
    }
    expect(await openAlert(sys, 'volume', 'product:PRD-ENHANCED')).toBeUndefined();

    const spike = await pool(150, 16, () => sys.gql(STATUS_QUERY, { token }));
    expect(spike.every((r) => r.status === 200)).toBe(true);

    const alert = await openAlert(sys, 'volume', 'product:PRD-ENHANCED');
    expect(alert).toMatchObject({ risk: 'HIGH', productId: 'PRD-ENHANCED' });
    expect(alert!.observed).toBeGreaterThanOrEqual(20);
    expect(alert!.baseline).toBeGreaterThan(0);
    expect(alert!.baseline).toBeLessThan(10);
    for (const r of await evidenceRecords(sys, alert!)) expect(r).toMatchObject({ productId: 'PRD-ENHANCED', decision: 'ALLOWED' });
    await expectIncidentFor(sys, alert!, started);
  });

  it('raises a HIGH restricted-attempts alert for repeated requests for a special interest client', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    for (let i = 0; i < 12; i++) {
      const r = await sys.gql(RESTRICTED_QUERY, { token, variables: { id: 'C-000003' } });
      expect(codesOf(r)).toContain('RESTRICTED_DATA');
    }
    const alert = await openAlert(sys, 'restricted-attempts', 'product:PRD-CERTIFIED');
    expect(alert).toMatchObject({ risk: 'HIGH', productId: 'PRD-CERTIFIED', observed: 12, baseline: 3 });
    const evidence = await evidenceRecords(sys, alert!);
    expect(evidence).toHaveLength(12);
    for (const r of evidence) {
      expect(r.productId).toBe('PRD-CERTIFIED');
      expect([...r.errorCodes, ...r.reasons.map((x) => x.code)]).toContain('RESTRICTED_DATA');
    }
    await expectIncidentFor(sys, alert!, started);
  });

  it('raises a HIGH enumeration alert for a product walking through hundreds of client ids; protective suspension is off, so it is still served', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const results = await pool(300, 8, (i) => sys.gql(CLIENT_QUERY, { token, variables: { id: clientId(i + 1) } }));
    const refused = results.filter((r) => codesOf(r).includes('CLIENT_NOT_AUTHORISED'));
    expect(refused).toHaveLength(250);

    const alert = await openAlert(sys, 'enumeration', 'product:PRD-CERTIFIED');
    expect(alert).toMatchObject({ risk: 'HIGH', productId: 'PRD-CERTIFIED', baseline: 60 });
    expect(alert!.observed).toBeGreaterThanOrEqual(100);
    const evidence = await evidenceRecords(sys, alert!);
    for (const r of evidence) {
      expect(r.productId).toBe('PRD-CERTIFIED');
      expect(r.clientDigests).toHaveLength(1);
    }
    // Distinct clients: each piece of evidence is a different client.
    expect(new Set(evidence.map((r) => r.clientDigests[0])).size).toBe(evidence.length);

    // The guessed-id share and the org see it too.
    const guessed = await openAlert(sys, 'enumeration', 'product:PRD-CERTIFIED:not-authorised');
    expect(guessed).toMatchObject({ risk: 'HIGH', productId: 'PRD-CERTIFIED' });
    for (const r of await evidenceRecords(sys, guessed!)) expect(r.errorCodes).toContain('CLIENT_NOT_AUTHORISED');
    expect(await openAlert(sys, 'enumeration', 'org:12345679016')).toMatchObject({ risk: 'HIGH' });
    await expectIncidentFor(sys, alert!, started);

    // PROTECTIVE_SUSPENSION is off by default: nothing was suspended.
    expect(sys.gateway.monitor.stats()).toMatchObject({ suspensionsRequested: 0, suspensionsLogged: 0 });
    expect((await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } })).status).toBe(200);
  });
});

describe('protective suspension on', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ rateLimits: GENEROUS_LIMITS, monitoring: { protectiveSuspension: 'on' } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('refuses an enumerating product PRODUCT_SUSPENDED once its HIGH alert is raised, and its history shows actor "monitoring"', async () => {
    const api = registryApi(sys);
    const developerId = await api.newApprovedDeveloper(71);
    const productId = await api.newSelfCertifiedProduct(developerId);
    ok(await api.certify(productId, 'STANDARD', ['clients.read']));
    const token = await sys.token({ product: productId, version: '1.0.0', scope: 'clients.read' });
    expect((await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } })).status).toBe(200);

    // One request at a time, as a scraper walks ids, until the gateway refuses the product.
    let firstRefusalAt = Number.NaN;
    let sent = 0;
    for (let i = 2; i <= 300; i++) {
      const r = await sys.gql(CLIENT_QUERY, { token, variables: { id: clientId(i) } });
      sent++;
      if (codesOf(r).includes('PRODUCT_SUSPENDED')) {
        firstRefusalAt = Date.now();
        expect([r.status, codesOf(r)]).toEqual([403, ['PRODUCT_SUSPENDED']]);
        break;
      }
      expect(r.status === 200 || codesOf(r).includes('CLIENT_NOT_AUTHORISED') || codesOf(r).includes('RESTRICTED_DATA')).toBe(true);
    }
    expect(Number.isNaN(firstRefusalAt)).toBe(false);
    expect(sent).toBeLessThan(299);

    await sys.gateway.monitor.flush();
    const high = sys.gateway.monitor.openAlerts().filter((a) => a.productId === productId && a.risk === 'HIGH' && a.detector === 'enumeration');
    expect(high.length).toBeGreaterThan(0);
    // Measured from the detection (the incident's detectedAt: when the first alert on the product
    // became HIGH; an alert raised MEDIUM keeps its earlier raisedAt) to the first refusal seen.
    const incidentIds = [...new Set(high.map((a) => a.incidentId))];
    expect(incidentIds).toHaveLength(1);
    const incident = await sys.store.incidentById(incidentIds[0]!);
    const detectedAt = Date.parse(incident!.detectedAt);
    expect(detectedAt).toBeGreaterThanOrEqual(Math.min(...high.map((a) => Date.parse(a.raisedAt))));
    // Refused after the detection (how soon is a timing figure, not a test's business).
    expect(firstRefusalAt - detectedAt).toBeGreaterThanOrEqual(0);
    expect(sys.gateway.monitor.stats()).toMatchObject({ suspensionsRequested: 1, suspensionFailures: 0 });

    // Every further request is refused too.
    const again = await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } });
    expect([again.status, codesOf(again)]).toEqual([403, ['PRODUCT_SUSPENDED']]);

    const admin = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'admin-alice' });
    const history = await sys.gql('query ($id: ID!) { product(id: $id) { status } productHistory(productId: $id) { action actor reason } }', { token: admin, variables: { id: productId } });
    expect(history.body.errors).toBeUndefined();
    expect(history.body.data!.product.status).toBe('SUSPENDED');
    const entries = history.body.data!.productHistory as Array<{ action: string; actor: string; reason: string }>;
    const byMonitoring = entries.filter((e) => e.actor === 'monitoring');
    expect(byMonitoring).toHaveLength(1);
    // The reason names the alert, so an admin can see why and reverse it.
    expect(high.some((a) => byMonitoring[0]!.reason.includes(a.id))).toBe(true);

    // An admin can reverse it through the normal transition.
    const rev = await api.revisionOf('product', productId);
    ok(await api.admin('mutation ($id: ID!, $rev: Int!) { reinstateProduct(productId: $id, expectedRevision: $rev, reason: "false positive: bulk import agreed with the ATO") { status } }', { id: productId, rev }));
    const took = await within(1000, async () => (await sys.gql(CLIENT_QUERY, { token, variables: { id: 'C-000001' } })).status === 200);
    expect(took).toBeLessThanOrEqual(1000);
  });
});
