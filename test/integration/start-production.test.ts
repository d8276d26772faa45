/**
 * The whole system started with NODE_ENV=production (scripts/system.ts, what `npm start` runs)
 * writes no development material: no development issuer key (core/keys.ts keysFor), no demo
 * DPoP key and no demo register, as gateway/main.ts does not (review s21: `npm start` seeded the
 * demo products, certified and active, into a production store).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { devIssuerJwksPath, ensureKeys } from '../../core/keys.js';
import { startSystem, type RunningSystem } from '../../scripts/system.js';

describe('the system started in production', () => {
  let parent: string;
  let dataDir: string;
  let sys: RunningSystem;

  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'dsp-start-prod-'));
    // The token issuer's public keys come from elsewhere, as a deployment's do.
    const issuerDir = join(parent, 'issuer');
    await ensureKeys(issuerDir);
    dataDir = join(parent, 'data');
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      JWKS_FILE: devIssuerJwksPath(issuerDir),
      TOKEN_ISSUERS: 'https://issuer.example',
      AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
      METRICS_BEARER: randomBytes(16).toString('hex'),
      SUBGRAPH_MAC_KEY: randomBytes(32).toString('base64'),
    };
    sys = await startSystem({ env, ephemeralPorts: true, overrides: { dataDir, storeUrl: `sqlite:${join(dataDir, 'dsp.db')}`, instanceId: 'prod-start' } });
  });
  afterAll(async () => {
    await sys.close();
    rmSync(parent, { recursive: true, force: true });
  });

  it('creates no development issuer key and no demo DPoP key', () => {
    expect(sys.keys.issuer).toBeNull();
    expect(sys.demoDpopKey).toBeNull();
    expect(existsSync(join(dataDir, 'keys', 'gateway.private.json'))).toBe(true);
    expect(existsSync(join(dataDir, 'keys', 'dev-issuer.private.json'))).toBe(false);
    expect(existsSync(join(dataDir, 'keys', 'demo-dpop.private.json'))).toBe(false);
  });

  it('seeds no demo products into the register', async () => {
    expect(await sys.store.productById('PRD-CERTIFIED')).toBeNull();
  });
});
