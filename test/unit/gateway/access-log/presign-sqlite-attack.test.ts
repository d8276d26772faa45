/**
 * Session 32's review of presign, on the real SQLite write thread. The thread is killed while a batch sent ahead
 * WITH checkpoints is in it (its answer is lost; it may or may not have committed), with a small
 * checkpointEvery and the checkpoint timer firing at awkward times.
 *
 * Time here is the run's steps, not the clock. The writer's checkpoint timer is captured (a spy on
 * setInterval) and fired while a batch is in the thread, every so many store calls. A commit is
 * answered only after the checkpoint signatures under way when it finished, as when signing is
 * faster than a commit: then a signed checkpoint rides in the next batch sent ahead. Left to the
 * clock, a slow event loop (blocked 20 ms in every 40) sent no checkpoint ahead at all: signatures
 * finished after the commits and the checkpoints went in ordinary ones, and the timer on a 1 ms
 * interval was due at every turn. The test then passed without its scenario.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import { SqliteStore } from '../../../../store/sqlite/index.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { captureInterval } from './presign-harness.js';
import { SignGate, spyOnSigning } from './sign-gate.js';

const KEY = new Uint8Array(32).fill(5);
const dir = mkdtempSync(join(tmpdir(), 'dsp-review-presign-'));
let signingKey: SigningKey;
const opened: SqliteStore[] = [];
/** Passes every signature through, and notes those under way (`signing`). */
const gate = new SignGate();
/** The writers' checkpoint timers, captured (the main thread's only setInterval here). */
let interval: { ticks: Array<() => void> };
beforeAll(async () => {
  signingKey = await testSigningKey();
  spyOnSigning(() => gate);
  interval = captureInterval();
});
afterAll(async () => {
  jest.restoreAllMocks();
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the answer once the signatures under way have finished and the writer has had a turn to take them. */
async function afterSigning<T>(answer: Promise<T>): Promise<T> {
  const value = await answer;
  if (gate.signing.size > 0) {
    // Only those under way now: the timer may start another at any step.
    await Promise.allSettled([...gate.signing]);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return value;
}

describe('the write thread dies with a checkpoint-carrying batch ahead in it', () => {
  it.each([
    [1, 3, 0],
    [2, 3, 0],
    [1, 20, 3],
    [3, 7, 2],
    [5, 1, 1],
  ])('kill at checkpoint-carrying ahead batch %i (checkpointEvery %i, the timer firing at every %ith store call; 0: never)', async (killAt, every, tickEvery) => {
    const chainId = `kill-cp-${killAt}-${every}-${tickEvery}`;
    const store = new SqliteStore({ path: join(dir, `${chainId}.db`), commitNowMax: 0 });
    await store.init();
    opened.push(store);
    let calls = 0;
    /** Fires the checkpoint timer at every `tickEvery`th store call, with the batch in the thread. */
    let timerTick: (() => void) | undefined;
    const step = () => {
      if (tickEvery > 0 && ++calls % tickEvery === 0) timerTick?.();
    };
    let carrying = 0;
    let killed = 0;
    let answerLost = 0;
    const plain = store.appendToChain.bind(store);
    store.appendToChain = (batch, checkpoints) => {
      const answer = afterSigning(plain(batch, checkpoints));
      step();
      return answer;
    };
    const followed = store.appendToChainAfter.bind(store);
    store.appendToChainAfter = (batch, checkpoints) => {
      const answer = afterSigning(followed(batch, checkpoints));
      step();
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
    const writer = createAccessLogWriter({ store, chainId, instanceId: 'gw-k', signingKey, chainKey, maxBatch: 20, retryInitialMs: 1, retryMaxMs: 20, checkpointEvery: every, checkpointIntervalMs: 1_000, checkpointSignTimeoutMs: Infinity });
    const timers = interval.ticks.length;
    await writer.start();
    expect(interval.ticks).toHaveLength(timers + 1);
    timerTick = interval.ticks.at(-1);
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
