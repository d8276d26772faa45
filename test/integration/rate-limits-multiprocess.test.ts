/**
 * Issue 6: two gateway processes on one machine sharing one SQLite file enforce one quota per
 * product (RateLimiterSQLite counts in the file). No subgraphs run: refused requests never reach
 * them, and allowed ones answer 200 with SUBGRAPH_UNAVAILABLE, which is all this test needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.js';
import { ensureKeys } from '../../core/keys.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';
import { codesOf, type GraphQLResult } from '../helpers/system.js';
import { freePort, spawnGateway, type GatewayProcess } from './support/gateway-process.js';
import { rateHeadersOf, recordsWithCode } from './support/rate-limit-expect.js';

const POINTS = 10;
const REQUESTS = 20;

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
      RATE_TIERS: JSON.stringify({ demo: { points: POINTS, duration: 60, burst: 0, burstDuration: 1, perOrgShare: 1 } }),
      CLIENTS_URL: deadSubgraph,
      LODGMENTS_URL: deadSubgraph,
      ACCOUNTS_URL: deadSubgraph,
      REGISTRY_URL: deadSubgraph,
      AUDIT_URL: deadSubgraph,
    });
    // The first creates the keys, the database and the demo register; the second finds them.
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

  it('access-logs each refusal in the shared store, from both processes', async () => {
    store = await createStore(`sqlite:${join(dataDir, 'dsp.db')}`);
    const records = await recordsWithCode(store, 'RATE_LIMITED');
    expect(records).toHaveLength(REQUESTS - POINTS);
    expect(records.filter((r) => r.instanceId === 'gw-a')).toHaveLength((REQUESTS - POINTS) / 2);
    expect(records.filter((r) => r.instanceId === 'gw-b')).toHaveLength((REQUESTS - POINTS) / 2);
    for (const r of records) expect([r.productId, r.httpStatus]).toEqual(['PRD-CERTIFIED', 429]);
  });
});
