import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import { ensureKeys } from '../../../core/keys.js';
import { GATEWAY_NODE_FLAGS } from '../../../core/runtime-flags.js';
import { measureIngestInGatewayRuntime } from '../../../bench/micro/access-log-ingest.js';
import { childrenOfThisProcess, waitForExitedChild } from '../../helpers/child-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'ingest-runtime-'));
const hmacKeyBase64 = randomBytes(32).toString('base64');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the ingest figure in the gateway runtime (bench/micro/access-log-ingest.ts)', () => {
  it("is measured in a process running with the gateway's Node flags, with each round's line passed on", async () => {
    await ensureKeys(dir, { hmacKeyBase64 });
    const lines: string[] = [];
    const results = await measureIngestInGatewayRuntime(
      { dir, hmacKeyBase64, durationMs: 100, rounds: 1, placements: [{ cpus: 'unpinned', cpuList: null }], configs: [{ sync: 'full', concurrency: 20 }] },
      (line) => lines.push(line),
    );
    expect(results).toHaveLength(1);
    expect(results[0]!.nodeFlags).toEqual([...GATEWAY_NODE_FLAGS]);
    expect(results[0]!.records).toBeGreaterThan(0);
    expect(results[0]!.cpus).toBe('unpinned');
    expect(lines).toEqual([expect.stringMatching(/^ingest round 1, unpinned, full, 20 in flight: \d+ records\/s$/)]);
  }, 60_000);

  it('keeps the results when the child is seen to exit before its last message is read', async () => {
    await ensureKeys(dir, { hmacKeyBase64 });
    // Which of the two the loop then handles first varies (the exit first in about a third of tries here): five tries.
    for (let i = 0; i < 5; i++) {
      const before = childrenOfThisProcess();
      const measuring = measureIngestInGatewayRuntime({ dir, hmacKeyBase64, durationMs: 50, rounds: 1, placements: [{ cpus: 'unpinned', cpuList: null }], configs: [{ sync: 'full', concurrency: 5 }] });
      // The event loop does not run until the child has sent its results and exited.
      waitForExitedChild(before);
      const results = await measuring;
      expect(results).toHaveLength(1);
      expect(results[0]!.records).toBeGreaterThan(0);
    }
  }, 120_000);

  it('reports a child that fails (here: a placement taskset refuses), rather than waiting for it', async () => {
    await expect(measureIngestInGatewayRuntime({ dir, hmacKeyBase64, durationMs: 10, rounds: 1, placements: [{ cpus: 'no such CPU', cpuList: 'not-a-cpu-list' }], configs: [{ sync: 'full', concurrency: 1 }] })).rejects.toThrow(/ingest process failed:[\s\S]*taskset/);
  }, 60_000);
});
