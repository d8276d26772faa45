/**
 * Review: the writer's batches sent ahead on the real SQLite write thread when the thread dies
 * with a commit and a batch ahead in it (the client rejects both with StoreUnavailableError and
 * starts a new thread on the next call). Every record must still be committed once, in order,
 * each append resolved with the record as stored.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { verifyAccessLog } from '../../../audit/verify-store.js';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter } from '../../../gateway/access-log/writer.js';
import { SqliteStore } from '../../../store/sqlite/index.js';
import { sampleRecord, testSigningKey } from '../audit/fixtures.js';

const KEY = new Uint8Array(32).fill(5);
const dir = mkdtempSync(join(tmpdir(), 'dsp-review-thread-'));
let signingKey: SigningKey;
const opened: SqliteStore[] = [];
beforeAll(async () => {
  signingKey = await testSigningKey();
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the write thread dies with a batch ahead in it', () => {
  it.each([1, 2, 3])('kill after ahead batch %i: every record committed once, in order, resolved as stored', async (killAt) => {
    const store = new SqliteStore({ path: join(dir, `t${killAt}.db`), commitNowMax: 0 });
    await store.init();
    opened.push(store);
    let sentAhead = 0;
    const followed = store.appendToChainAfter.bind(store);
    store.appendToChainAfter = (batch, checkpoints) => {
      const answer = followed(batch, checkpoints);
      if (++sentAhead === killAt) void ((store as unknown as { thread: { worker: Worker | null } }).thread.worker?.terminate());
      return answer;
    };
    const chainKey = Buffer.from(KEY);
    const writer = createAccessLogWriter({ store, chainId: `kill-${killAt}`, instanceId: 'gw-k', signingKey, chainKey, maxBatch: 20, retryInitialMs: 1, retryMaxMs: 20, checkpointEvery: 50, checkpointIntervalMs: 3_600_000 });
    await writer.start();
    const records = await Promise.all(Array.from({ length: 400 }, (_, i) => writer.append(sampleRecord(i + 1))));
    expect(sentAhead).toBeGreaterThanOrEqual(killAt);
    await writer.flushAndClose();
    const stored = await store.readChain(`kill-${killAt}`, 1, 1_000);
    expect(stored.map((r) => r.seq)).toEqual(records.map((r) => r.seq));
    expect(stored.map((r) => r.hash)).toEqual(records.map((r) => r.hash));
    const report = (await verifyAccessLog(store, signingKey.publicJwks, { chainKey })).chains.find((c) => c.chainId === `kill-${killAt}`);
    expect(report).toMatchObject({ ok: true, checked: 400, status: 'SHUTDOWN', problems: [] });
  });
});
