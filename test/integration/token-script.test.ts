/**
 * `npm run token` (scripts/token.ts) signs with the development issuer, which nothing trusts in
 * production: there it refuses, and writes no key into the deployment's DATA_DIR (it used to warn,
 * then create `keys/dev-issuer.private.json` there and print a token no gateway would accept).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { NODE_OPTIONS: _options, ...parentEnv } = process.env;
const parent = mkdtempSync(join(tmpdir(), 'token-script-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

function runToken(dataDir: string, env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/token.ts', '--product', 'PRD-CERTIFIED'], { cwd: REPO_ROOT, env: { ...parentEnv, DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env }, encoding: 'utf8', timeout: 60_000 });
}

describe('npm run token', () => {
  it('in production refuses with exit 2 and writes no key', () => {
    const dataDir = join(parent, 'production');
    // A production configuration that loads (so the refusal is the script's, not the configuration's).
    const run = runToken(dataDir, {
      NODE_ENV: 'production',
      JWKS_FILE: join(parent, 'issuer.jwks.json'),
      TOKEN_ISSUERS: 'https://issuer.example',
      AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
      SUBGRAPH_MAC_KEY: randomBytes(32).toString('base64'),
      METRICS_BEARER: randomBytes(16).toString('hex'),
      STORE_URL: `sqlite:${join(dataDir, 'dsp.db')}`,
    });
    expect(run.stderr).toContain('the development issuer is not trusted in production');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(existsSync(join(dataDir, 'keys'))).toBe(false);
  });

  it('in production refuses with exit 2 and writes no key, whatever else the environment holds (review s21)', () => {
    const dataDir = join(parent, 'production-bare');
    // NODE_ENV=production alone: the configuration would not load, and the refusal is still exit 2.
    const run = runToken(dataDir, { NODE_ENV: 'production' });
    expect(run.stderr).toContain('the development issuer is not trusted in production');
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(existsSync(dataDir)).toBe(false);
  });

  it('in development prints a token of the development issuer', () => {
    const dataDir = join(parent, 'development');
    const run = runToken(dataDir, { NODE_ENV: 'development' });
    expect(run.status).toBe(0);
    expect(decodeJwt(run.stdout.trim())).toMatchObject({ iss: 'dsp-dev-issuer', software_id: 'PRD-CERTIFIED' });
    expect(existsSync(join(dataDir, 'keys', 'dev-issuer.private.json'))).toBe(true);
  });
});
