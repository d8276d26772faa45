/**
 * Session 32's review of presign, on the real SQLite write thread. The thread is killed while a batch sent ahead
 * WITH checkpoints is in it (its answer is lost; it may or may not have committed), with a small
 * checkpointEvery and a short checkpoint interval firing at awkward times.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import { SqliteStore } from '../../../../store/sqlite/index.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';

const KEY = new Uint8Array(32).fill(5);
const dir = mkdtempSync(join(tmpdir(), 'dsp-review-presign-'));
let signingKey: SigningKey;
const opened: SqliteStore[] = [];
beforeAll(async () => {
  signingKey = await testSigningKey();
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('the write thread dies with a checkpoint-carrying batch ahead in it', () => {
  it.each([
    [1, 3, 1_000_000],
    [2, 3, 1_000_000],
    [1, 20, 3],
    [3, 7, 2],
    [5, 1, 1],
  ])('kill at checkpoint-carrying ahead batch %i (checkpointEvery %i, interval %i ms)', async (killAt, every, intervalMs) => {
    const chainId = `kill-cp-${killAt}-${every}-${intervalMs}`;
    const store = new SqliteStore({ path: join(dir, `${chainId}.db`), commitNowMax: 0 });
    await store.init();
    opened.push(store);
    let carrying = 0;
    let killed = 0;
    let answerLost = 0;
    const followed = store.appendToChainAfter.bind(store);
    store.appendToChainAfter = (batch, checkpoints) => {
      const answer = followed(batch, checkpoints);
      if (checkpoints?.length && ++carrying === killAt) {
        const worker = (store as unknown as { thread: { worker: Worker | null } }).thread.worker;
        if (worker) {
          killed++;
          void worker.terminate();
        }
        // The batch's answer is lost with the thread: what the writer is left to recover from.
        return answer.catch((err: unknown) => {
          answerLost++;
          throw err;
        });
      }
      return answer;
    };
    const chainKey = Buffer.from(KEY);
    const writer = createAccessLogWriter({ store, chainId, instanceId: 'gw-k', signingKey, chainKey, maxBatch: 20, retryInitialMs: 1, retryMaxMs: 20, checkpointEvery: every, checkpointIntervalMs: intervalMs });
    await writer.start();
    const records = await Promise.all(Array.from({ length: 600 }, (_, i) => writer.append(sampleRecord(i + 1))));
    await writer.flushAndClose();
    // The scenario was reached: a batch sent ahead carried checkpoints, the thread was killed
    // with it inside, and its answer never came.
    expect({ killed, answerLost }).toEqual({ killed: 1, answerLost: 1 });
    const stored = await store.readChain(chainId, 1, 1_000);
    expect(stored.map((r) => r.seq)).toEqual(records.map((r) => r.seq));
    expect(stored.map((r) => r.hash)).toEqual(records.map((r) => r.hash));
    const cps = await store.checkpointsOf(chainId);
    const ns = cps.map((c) => c.n).sort((a, b) => a! - b!);
    expect(ns).toEqual(Array.from({ length: ns.length }, (_, i) => i + 1));
    const last = cps.find((c) => c.n === ns.at(-1));
    expect(last).toMatchObject({ final: true, seq: 600 });
    const report = (await verifyAccessLog(store, signingKey.publicJwks, { chainKey })).chains.find((c) => c.chainId === chainId);
    expect(report).toMatchObject({ ok: true, checked: 600, status: 'SHUTDOWN', problems: [] });
  });
});
