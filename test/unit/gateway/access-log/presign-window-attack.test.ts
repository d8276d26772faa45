/**
 * Session 32's review of presign: the unprotected window under a flood (the most committed
 * records without a stored checkpoint covering them, after every store call) against its stated
 * bound, checkpointEvery + two batches. The first presign broke it whenever checkpointEvery was
 * below maxBatch (15 for 1 / 5, 1,500 for 100 / 500): a checkpoint on its way held the next due
 * back even when it had fallen behind the head.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { CHAIN_KEY, range, verified, WatchedStore } from './presign-harness.js';
import { writersClosedAfterEach } from './closed-writers.js';

let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});
const writers = writersClosedAfterEach();

async function flood(create: typeof createAccessLogWriter, every: number, maxBatch: number, n: number) {
  const store = new WatchedStore();
  const chainId = `win-${writers.length}-${Date.now()}`;
  store.chain = chainId;
  const writer = create({ store: store as unknown as Store, chainId, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, checkpointSignTimeoutMs: Infinity, maxBatch, checkpointEvery: every });
  writers.push(writer);
  await writer.start();
  await Promise.all(range(1, n).map((i) => writer.append(sampleRecord(i))));
  await writer.flushAndClose();
  const report = await verified(store, key, chainId);
  return { max: Math.max(...store.uncovered), ahead: store.calls.filter((c) => c.kind === 'ahead').length, calls: store.calls.length, ok: report?.ok, problems: report?.problems };
}

describe('unprotected window under a flood (bound: checkpointEvery + two batches)', () => {
  for (const [every, maxBatch] of [
    [1, 5],
    [3, 5],
    [5, 5],
    [10, 5],
    [100, 500],
    [400, 500],
    [1000, 500],
  ] as const) {
    it(`every=${every} maxBatch=${maxBatch}`, async () => {
      const now = await flood(createAccessLogWriter, every, maxBatch, maxBatch * 16);
      expect(now.ok).toBe(true);
      expect(now.max).toBeLessThanOrEqual(every + 2 * maxBatch);
    });
  }
});
