/**
 * An operator's mistake stops a start with one line naming it and exit code 2, before anything is
 * opened (review s18b 10): a configuration the subgraph's loadConfig refuses, and a key file under
 * DATA_DIR the gateway cannot use.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { NODE_OPTIONS: _options, ...parentEnv } = process.env;
const run = (script: string, args: string[], env: Record<string, string>) => spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env: { ...parentEnv, ...env }, encoding: 'utf8', timeout: 60_000 });

describe('start-up mistakes', () => {
  const parent = mkdtempSync(join(tmpdir(), 'startup-errors-'));
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it('a subgraph refuses a configuration it cannot use, in one line, exit 2', () => {
    const r = run('subgraphs/main.ts', ['clients'], { SUBGRAPH_PORT: '0', DATA_DIR: join(parent, 'sub'), TRUSTED_PROXIES: '999.1.1.1' });
    expect([r.status, r.stderr.trim()]).toEqual([2, expect.stringContaining('TRUSTED_PROXIES: "999.1.1.1" is not an IP address or CIDR subnet')]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('the gateway refuses an emptied key file, naming it, exit 2', () => {
    const dataDir = join(parent, 'gw');
    mkdirSync(join(dataDir, 'keys'), { recursive: true, mode: 0o700 });
    writeFileSync(join(dataDir, 'keys', 'subgraph-mac.b64'), '', { mode: 0o600 });
    const r = run('gateway/main.ts', [], { PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    expect([r.status, r.stderr.trim()]).toEqual([2, expect.stringContaining('subgraph-mac.b64: must hold a base64 key of at least 32 bytes')]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
