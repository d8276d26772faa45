/**
 * Operational endpoints reveal nothing to strangers in production (NODE_ENV=production): the
 * configuration refuses to start without METRICS_BEARER, /metrics refuses a scrape without it,
 * and an anonymous /readyz names its checks and their outcome only (no subgraph URL, no host).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../core/config.js';
import { devIssuerJwksPath, ensureKeys } from '../../core/keys.js';
import { startSystem, type RunningSystem } from '../../scripts/system.js';

const BEARER = 'scrape-secret-0123456789';

describe('operational endpoints in production', () => {
  let dataDir: string;
  let sys: RunningSystem;
  let base: string;
  const env = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    JWKS_FILE: devIssuerJwksPath(dataDir),
    TOKEN_ISSUERS: 'https://issuer.example',
    AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
    METRICS_BEARER: BEARER,
    SUBGRAPH_MAC_KEY: randomBytes(32).toString('base64'),
    ...extra,
  });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'dsp-prod-'));
    await ensureKeys(dataDir);
    // The demo register, asked for: the checks below are about what strangers learn of its products.
    sys = await startSystem({ env: env(), ephemeralPorts: true, seed: true, overrides: { dataDir, storeUrl: `sqlite:${join(dataDir, 'dsp.db')}`, instanceId: 'prod-test', registry: { pollMs: 50 } } });
    base = sys.gateway.url.replace('/graphql', '');
  });
  afterAll(async () => {
    await sys.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start in production without METRICS_BEARER, naming it', () => {
    const { METRICS_BEARER: _omitted, ...rest } = env();
    let error: unknown;
    try {
      loadConfig(rest);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toContain('METRICS_BEARER');
  });

  it('refuses /metrics without the bearer (401) and with a wrong one, and serves it with the right one', async () => {
    const none = await fetch(`${base}/metrics`);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } });
    const right = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${BEARER}` } });
    expect([none.status, wrong.status, right.status]).toEqual([401, 401, 200]);
    const refused = await none.text();
    expect(refused).not.toMatch(/PRD-|dsp_/);
    expect(await right.text()).toContain('dsp_');
  });

  it('answers an anonymous /readyz with check names and outcomes only', async () => {
    const res = await fetch(`${base}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(200);
    const body = JSON.parse(text) as { ready: boolean; checks: Record<string, boolean> };
    expect(body.ready).toBe(true);
    expect(Object.keys(body).sort()).toEqual(['checks', 'ready']);
    // Subgraphs are one check: their names are the internal topology (review s17b F6).
    expect(Object.keys(body.checks).sort()).toEqual(['accessLog', 'registry', 'store', 'subgraphs', 'supergraph']);
    for (const value of Object.values(body.checks)) expect(typeof value).toBe('boolean');
    expect(text).not.toMatch(/http:|127\.0\.0\.1|localhost|:\d{4,5}|prod-test/);
  });
});
