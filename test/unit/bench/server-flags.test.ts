import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { forkServer, nodeFlagsFor, processEnvFor } from '../../../bench/child/children.js';
import type { ChildSpec } from '../../../bench/child/protocol.js';
import { GATEWAY_NODE_FLAGS } from '../../../core/runtime-flags.js';

const dir = mkdtempSync(join(tmpdir(), 'server-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bare gateway (the load phase's baseline) on subgraph addresses nothing listens on: it starts without calling them. */
const bareSpec: ChildSpec = {
  role: 'bare',
  dataDir: dir,
  hmacKeyBase64: randomBytes(32).toString('base64'),
  subgraphUrls: { clients: 'http://127.0.0.1:9/graphql', lodgments: 'http://127.0.0.1:9/graphql', accounts: 'http://127.0.0.1:9/graphql', registry: 'http://127.0.0.1:9/graphql', audit: 'http://127.0.0.1:9/graphql' },
  assertion: { sub: 'bench-user', org: '12345679016', softwareId: 'PRD-CERTIFIED', softwareVersion: '2.1.0', developerId: 'DEV-GOOD', tier: 'STANDARD' },
  transport: 'node-http',
};

describe("the benchmark's servers run with the gateway's production Node flags (bench/child/children.ts)", () => {
  it('gives every gateway role the production flags, and the subgraphs Node\'s defaults', () => {
    expect(nodeFlagsFor({ role: 'bare' })).toEqual([...GATEWAY_NODE_FLAGS]);
    expect(nodeFlagsFor({ role: 'enforced' })).toEqual([...GATEWAY_NODE_FLAGS]);
    expect(nodeFlagsFor({ role: 'subgraphs' })).toEqual([]);
    expect(nodeFlagsFor({ role: 'enforced' }, ['--cpu-prof'])).toEqual([...GATEWAY_NODE_FLAGS, '--cpu-prof']);
  });

  it('gives every gateway role NODE_ENV=production, as the Dockerfile does, and the subgraphs nothing of their own', () => {
    expect(processEnvFor({ role: 'bare' })).toEqual({ NODE_ENV: 'production' });
    expect(processEnvFor({ role: 'enforced' })).toEqual({ NODE_ENV: 'production' });
    expect(processEnvFor({ role: 'subgraphs' })).toEqual({});
  });

  it('starts a bare gateway with them, as the process itself reports, and adds extra flags after them', async () => {
    const child = await forkServer('bare', bareSpec, { extraNodeFlags: ['--stack-size=2000'] });
    try {
      expect(child.nodeFlags).toEqual([...GATEWAY_NODE_FLAGS, '--stack-size=2000']);
      // @apollo/server and @apollo/gateway read NODE_ENV from the process itself.
      expect(readFileSync(`/proc/${child.pid}/environ`, 'latin1').split('\0')).toContain('NODE_ENV=production');
    } finally {
      await child.stop();
    }
  }, 60_000);

  it('runs node under a wrapper program when given one (valgrind, for bench/instructions.ts), with the same flags', async () => {
    // env(1) as the wrapper: it runs the node command it is given, as valgrind does.
    const child = await forkServer('bare', bareSpec, { wrapper: ['env', 'BENCH_WRAPPED=1'] });
    try {
      expect(child.nodeFlags).toEqual([...GATEWAY_NODE_FLAGS]);
      // env(1) set the variable and then became node (the same process): the wrapper ran it.
      expect(readFileSync(`/proc/${child.pid}/environ`, 'latin1').split('\0')).toContain('BENCH_WRAPPED=1');
    } finally {
      await child.stop();
    }
  }, 60_000);

  it('runs with exactly the flags given instead, for the memory soak', async () => {
    const child = await forkServer('bare', bareSpec, { nodeFlags: ['--max-old-space-size=300'] });
    try {
      expect(child.nodeFlags).toEqual(['--max-old-space-size=300']);
    } finally {
      await child.stop();
    }
  }, 60_000);
});
