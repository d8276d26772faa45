/**
 * `npm run start:subgraph -- <name>` (subgraphs/main.ts) starts a subgraph with the gateway's
 * public key set and the MAC key only (review s18a F1): given the deployment's environment,
 * GATEWAY_KEY_FILE and STORE_URL included, a data subgraph reads neither the private key nor the
 * store, and writes no key of its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ensureKeys, gatewayJwksPath } from '../../core/keys.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { NODE_OPTIONS: _options, ...parentEnv } = process.env;

describe('a subgraph started on its own', () => {
  let parent: string;
  let gatewayDir: string;
  beforeAll(async () => {
    parent = mkdtempSync(join(tmpdir(), 'subgraph-keys-'));
    gatewayDir = join(parent, 'gateway');
    await ensureKeys(gatewayDir);
  });
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('serves with the public key set and the MAC key, never opening the private key file or the store', async () => {
    const dataDir = join(parent, 'clients-data');
    // The deployment used to hand every container the same environment: a private key file and a
    // store, both missing here, so reading either would fail the start.
    const env = {
      ...parentEnv,
      // Production, given what the README and the compose file give a data subgraph, and nothing of the gateway's (review s18d F2).
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      SUBGRAPH_PORT: '0',
      LOG_LEVEL: 'info',
      GATEWAY_KEY_FILE: join(parent, 'no-such-dir', 'gateway_key.jwk'),
      GATEWAY_JWKS_FILE: gatewayJwksPath(gatewayDir),
      SUBGRAPH_MAC_KEY: randomBytes(32).toString('base64'),
      STORE_URL: `sqlite:${join(parent, 'no-such-dir', 'dsp.db')}`,
    };
    const child = spawn(process.execPath, ['--import', 'tsx', 'subgraphs/main.ts', 'clients'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const outcome = await new Promise<string>((resolve) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('clients subgraph listening')) resolve('listening');
      });
      child.stderr.on('data', (c: Buffer) => (out += c.toString()));
      child.on('exit', (code) => resolve(`exited ${code}: ${out}`));
    });
    child.kill('SIGTERM');
    expect(outcome).toBe('listening');
    // No key of its own either (the old start created the development issuer's private key there).
    expect(existsSync(dataDir)).toBe(false);
  });

  it('without the gateway\'s public key set, stops with exit code 2 and says where it looked', () => {
    const dataDir = join(parent, 'empty-data');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'subgraphs/main.ts', 'lodgments'], { cwd: REPO_ROOT, env: { ...parentEnv, DATA_DIR: dataDir, SUBGRAPH_PORT: '0' }, encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('set GATEWAY_JWKS_FILE, or start the gateway once with this DATA_DIR');
  });
});
