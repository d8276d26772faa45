/**
 * Issue 6: two gateway processes on one machine sharing one SQLite file enforce one quota per
 * product (RateLimiterSQLite counts in the file). No subgraphs run: refused requests never reach
 * them, and allowed ones answer 200 with SUBGRAPH_UNAVAILABLE, which is all this test needs.
 *
 * Issue 18: a large quota is leased in chunks (RATE_LIMIT_LEASE, default 20): within one window
 * the two processes together still never get more than the quota, and at most the other
 * process's unspent chunk is left unused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { ensureKeys } from '../../core/keys.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { chunkFor } from '../../limits/quota-lease.js';
import { seedDemoRegister } from '../../store/seed.js';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { codesOf, type GraphQLResult } from '../helpers/system.js';
import { freePort, spawnGateway, type GatewayProcess } from './support/gateway-process.js';
import { rateHeadersOf, recordsWithCode } from './support/rate-limit-expect.js';

const POINTS = 10;
const REQUESTS = 20;
/** A quota large enough to be leased: chunk = min(20, 400 / 20) = 20. Ten minutes, so one window spans the test. */
const LEASED_POINTS = 400;
const LEASED_PRODUCT = 'PRD-TRUSTED-LOG';
const LEASE = 20;

async function postGraphQL(url: string, token: string, query: string): Promise<GraphQLResult> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResult['body'] };
}

describe('rate limits shared by two gateway processes on one SQLite store', () => {
  let dataDir: string;
  const gateways: GatewayProcess[] = [];
  let store: Store | null = null;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dsp-multiprocess-'));
    const deadSubgraph = `http://127.0.0.1:${await freePort()}/graphql`;
    const env = (instanceId: string): Record<string, string> => ({
      NODE_ENV: 'test',
      INSTANCE_ID: instanceId,
      DATA_DIR: dataDir,
      STORE_URL: `sqlite:${join(dataDir, 'dsp.db')}`,
      AUDIT_SQLITE_SYNC: 'normal',
      RATE_TIERS: JSON.stringify({
        demo: { points: POINTS, duration: 60, burst: 0, burstDuration: 1, perOrgShare: 1 },
        leased: { points: LEASED_POINTS, duration: 600, burst: 0, burstDuration: 1, perOrgShare: 1 },
      }),
      RATE_LIMIT_LEASE: String(LEASE),
      CLIENTS_URL: deadSubgraph,
      LODGMENTS_URL: deadSubgraph,
      ACCOUNTS_URL: deadSubgraph,
      REGISTRY_URL: deadSubgraph,
      AUDIT_URL: deadSubgraph,
    });
    // The keys, the database and the demo register first, with one product on the leased tier;
    // both processes find them.
    await ensureKeys(dataDir);
    const setup = await createStore(`sqlite:${join(dataDir, 'dsp.db')}`);
    await seedDemoRegister(setup);
    const p = (await setup.productById(LEASED_PRODUCT))!;
    await setup.applyRegistryChange({
      entity: 'PRODUCT',
      expectedRevision: p.revision,
      next: { ...p, rateTier: 'leased' },
      note: { action: 'SET_RATE_TIER', actor: 'test', reason: 'a leased quota', ticket: null, effectiveAt: new Date().toISOString() },
    });
    await setup.close();
    gateways.push(await spawnGateway({ env: env('gw-a') }));
    gateways.push(await spawnGateway({ env: env('gw-b') }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await store?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 30_000);

  it('counts one quota across both processes: of 20 requests alternating between them, exactly 10 are allowed', async () => {
    const keys = await ensureKeys(dataDir);
    const token = await signDevToken(keys.issuer, { product: 'PRD-CERTIFIED' }, loadConfig({}, { dataDir }));
    const results: GraphQLResult[] = [];
    for (let i = 0; i < REQUESTS; i++) results.push(await postGraphQL(gateways[i % 2]!.url, token, '{ serviceStatus { name } }'));

    const refused = results.filter((r) => r.status === 429);
    expect(refused).toHaveLength(REQUESTS - POINTS);
    // The first ten were allowed and each process saw the other's requests counted: 9, 8, … 0 left.
    expect(results.slice(0, POINTS).map((r) => r.status === 429)).toEqual(Array(POINTS).fill(false));
    expect(results.slice(0, POINTS).map((r) => rateHeadersOf(r).remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    for (const r of results.slice(POINTS)) {
      expect(r.status).toBe(429);
      expect(codesOf(r)).toEqual(['RATE_LIMITED']);
      const h = rateHeadersOf(r);
      expect(h.limit).toBe(POINTS);
      expect(h.retryAfter).toBeGreaterThanOrEqual(1);
      expect(h.retryAfter).toBeLessThanOrEqual(60);
    }
  });

  it('leases a large quota in chunks and still allows no more than the quota across both processes', async () => {
    expect(chunkFor(LEASED_POINTS, LEASE)).toBe(20);
    const keys = await ensureKeys(dataDir);
    const token = await signDevToken(keys.issuer, { product: LEASED_PRODUCT }, loadConfig({}, { dataDir }));
    const extra = 60;
    const statuses: number[] = [];
    for (let i = 0; i < LEASED_POINTS + extra; i++) statuses.push((await postGraphQL(gateways[i % 2]!.url, token, '{ serviceStatus { name } }')).status);
    const allowed = statuses.filter((s) => s !== 429).length;
    // Never more than the quota in the window; at most one chunk (the other process's) unspent.
    expect(allowed).toBeLessThanOrEqual(LEASED_POINTS);
    expect(allowed).toBeGreaterThanOrEqual(LEASED_POINTS - 20);
    expect(statuses.slice(0, LEASED_POINTS - 20).every((s) => s !== 429)).toBe(true);
    expect(statuses.slice(-20).every((s) => s === 429)).toBe(true);
  }, 60_000);

  it('access-logs each refusal in the shared store, from both processes', async () => {
    store = await createStore(`sqlite:${join(dataDir, 'dsp.db')}`);
    const records = (await recordsWithCode(store, 'RATE_LIMITED')).filter((r) => r.productId === 'PRD-CERTIFIED');
    expect(records).toHaveLength(REQUESTS - POINTS);
    expect(records.filter((r) => r.instanceId === 'gw-a')).toHaveLength((REQUESTS - POINTS) / 2);
    expect(records.filter((r) => r.instanceId === 'gw-b')).toHaveLength((REQUESTS - POINTS) / 2);
    for (const r of records) expect([r.productId, r.httpStatus]).toEqual(['PRD-CERTIFIED', 429]);
  });
});
