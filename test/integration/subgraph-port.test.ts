/**
 * `npm run start:subgraph -- <name>` refuses a SUBGRAPH_PORT that is not a port number before it
 * creates keys or a store, with exit code 2 and the variable named (subgraphs/main.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('SUBGRAPH_PORT', () => {
  it.each([' ', 'abc', '0x10', '70000', '-1'])('%j stops the subgraph with exit code 2, naming the variable, before anything is written', (value) => {
    const parent = mkdtempSync(join(tmpdir(), 'subgraph-port-'));
    const dataDir = join(parent, 'data');
    try {
      const { NODE_OPTIONS: _options, ...env } = process.env;
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'subgraphs/main.ts', 'clients'], { cwd: REPO_ROOT, env: { ...env, SUBGRAPH_PORT: value, DATA_DIR: dataDir }, encoding: 'utf8', timeout: 30_000 });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('SUBGRAPH_PORT: must be a port number');
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});
