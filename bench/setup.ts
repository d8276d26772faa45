/**
 * What every benchmark process shares: a fresh data directory with keys, the SQLite store holding
 * the demo register (seeded through the store port like `npm start` does), and the bench rate tier.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RATE_TIERS, type RateTier } from '../core/config.js';
import { ensureDemoDpopKey, ensureKeys, type DevKeyMaterial } from '../core/keys.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/port.js';
import { seedDemoRegister } from '../store/seed.js';

/**
 * A quota no benchmark reaches, with the per-org share below 1 so the org quota is counted too
 * (two store-backed limiters per request, as for a real product on the standard tier).
 */
export const BENCH_TIER_NAME = 'bench';
export const BENCH_TIER: RateTier = { points: 10_000_000, duration: 1, burst: 10_000_000, burstDuration: 10, perOrgShare: 0.5 };
export const RATE_TIERS = { ...DEFAULT_RATE_TIERS, [BENCH_TIER_NAME]: BENCH_TIER };

/**
 * Products the benchmark uses: the load product, the DPoP-bound one loaded beside it (the demo
 * register binds PRD-ENHANCED to the demo DPoP key), and the one suspended in the propagation
 * trials (served with a plain Bearer token, so not the bound one).
 */
export const LOAD_PRODUCT = 'PRD-CERTIFIED';
export const DPOP_PRODUCT = 'PRD-ENHANCED';
export const SUSPENSION_PRODUCT = 'PRD-LIMITED';

export interface BenchEnvironment {
  dataDir: string;
  storeUrl: string;
  hmacKeyBase64: string;
  keys: DevKeyMaterial;
  /** The benchmark's own connection (seeding, registry changes in the suspension trials). */
  store: Store;
  /** Closes the store and removes the data directory. */
  dispose(): Promise<void>;
}

export async function prepareEnvironment(): Promise<BenchEnvironment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dsp-bench-'));
  const storeUrl = `sqlite:${join(dataDir, 'dsp.db')}`;
  const hmacKeyBase64 = randomBytes(32).toString('base64');
  // Keys first, here, so the child processes load them rather than race to create them.
  const keys = await ensureKeys(dataDir, { hmacKeyBase64 });
  const store = await createStore(storeUrl, { sqliteSync: 'full' });
  await seedDemoRegister(store, new Date(), { dpopThumbprints: [(await ensureDemoDpopKey(dataDir)).thumbprint] });
  for (const id of [LOAD_PRODUCT, DPOP_PRODUCT, SUSPENSION_PRODUCT]) {
    const p = (await store.productById(id))!;
    const at = new Date().toISOString();
    await store.applyRegistryChange({
      entity: 'PRODUCT',
      expectedRevision: p.revision,
      next: { ...p, rateTier: BENCH_TIER_NAME },
      note: { action: 'SET_RATE_TIER', actor: 'bench', reason: 'benchmark quota', effectiveAt: at },
    });
  }
  return {
    dataDir,
    storeUrl,
    hmacKeyBase64,
    keys,
    store,
    async dispose() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The enforced gateway's environment: production settings (JWKS file, HMAC key), everything else
 * at its default — JWT checks, product check, directives, rate limits on, access log durable
 * (SQLite, AUDIT_SQLITE_SYNC=full), registry poll 250 ms.
 */
export function enforcedGatewayEnv(env: BenchEnvironment, subgraphUrls: Record<string, string>, jwksFile: string): Record<string, string> {
  return {
    NODE_ENV: 'production',
    INSTANCE_ID: 'bench-gw',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: env.dataDir,
    STORE_URL: env.storeUrl,
    // Errors only: the monitor's alerts during the suspension trials are expected.
    LOG_LEVEL: 'error',
    JWKS_FILE: jwksFile,
    // Production refuses the development issuer's name; the bench's tokens (signed with that key
    // set's key, signDevToken) carry the first configured issuer, this one.
    TOKEN_ISSUERS: 'bench-issuer',
    AUDIT_HMAC_KEY: env.hmacKeyBase64,
    // The key the subgraph children loaded from the keys directory.
    SUBGRAPH_MAC_KEY: env.keys.subgraphMacKey.toString('base64'),
    METRICS_BEARER: 'bench-metrics-bearer',
    RATE_TIERS: JSON.stringify(RATE_TIERS),
    CLIENTS_URL: subgraphUrls.clients!,
    LODGMENTS_URL: subgraphUrls.lodgments!,
    ACCOUNTS_URL: subgraphUrls.accounts!,
    REGISTRY_URL: subgraphUrls.registry!,
    AUDIT_URL: subgraphUrls.audit!,
  };
}
