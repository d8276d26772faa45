/**
 * /readyz and an access log that cannot write while its store still answers pings (a full disk,
 * a MongoDB user without its write role). The writer retries the batch and the requests behind it
 * wait for their records; long before its buffer fills, the instance must stop saying it is ready,
 * so a load balancer sends requests elsewhere, but not at the first failure: instances sharing a
 * store see its blips together, and a blip the retries ride out must not take them all out at once.
 * One clock, set by hand, for the writer and the readiness check.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createReadiness } from '../../../../gateway/http/readiness.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { waitFor } from '../../../helpers/wait.js';
import { withRefusedWrites } from '../../../helpers/refusing-store.js';

let store: Store;
let writesRefused = false;
beforeAll(async () => {
  // Writes refused, reads and pings answered: what a full disk looks like to the gateway.
  store = withRefusedWrites(await createStore('sqlite::memory:'), () => (writesRefused ? Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' }) : null));
});
afterAll(async () => {
  await store.close();
});

describe('/readyz while the access log cannot write', () => {
  it('is not ready once the writer has retried a refused write for the grace period, though the store pings and the buffer has room, and ready again once it commits', async () => {
    let clock = Date.parse('2026-12-07T06:00:00.000Z');
    const now = () => clock;
    const writer = createAccessLogWriter({ store, chainId: 'readiness-chain', instanceId: 'gw-test', signingKey: await testSigningKey(), chainKey: Buffer.alloc(32, 3), retryInitialMs: 2, retryMaxMs: 20, bufferMax: 1000, now });
    await writer.start();
    try {
      const readiness = createReadiness({ gateway: { current: () => ({}) } as never, store, snapshot: { fresh: () => true } as never, writer, subgraphUrls: {}, now, accessLogRetryGraceMs: 5000 });
      expect(await readiness.check()).toEqual({ ready: true, checks: { supergraph: true, store: true, registry: true, accessLog: true, subgraphs: true } });

      writesRefused = true;
      const refusedFrom = clock;
      const waiting = writer.append(sampleRecord(1));
      await waitFor(() => writer.stats().consecutiveFailures >= 1);
      expect(writer.stats().retryingSinceMs).toBe(refusedFrom);
      // Within the grace period: a blip the retries ride out.
      clock = refusedFrom + 4999;
      await waitFor(() => writer.stats().consecutiveFailures >= 3);
      expect(await readiness.check()).toMatchObject({ ready: true, checks: { accessLog: true } });
      // Past it: the buffer is far from full (accepting() alone would still say ready), but the instance is not ready.
      clock = refusedFrom + 5000;
      expect(writer.accepting()).toBe(true);
      const report = await readiness.check();
      expect(report.ready).toBe(false);
      expect(report.checks).toMatchObject({ store: true, accessLog: false });

      writesRefused = false;
      expect((await waiting).seq).toBe(1);
      expect(await readiness.check()).toMatchObject({ ready: true, checks: { accessLog: true } });
      expect(writer.stats().retryingSinceMs).toBeNull();
    } finally {
      writesRefused = false;
      await writer.flushAndClose();
    }
  });
});
