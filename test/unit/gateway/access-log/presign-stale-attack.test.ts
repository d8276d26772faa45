/**
 * Session 32's review of presign (gateway/access-log/writer.ts): a checkpoint presigned for a
 * batch sent ahead whose signature is slower than the next commit has fallen behind the head by
 * the time it goes. It still goes (its number is taken), and a fresh one goes with it, so the
 * window stays within its bound; before the fix the count-due waited for the stale one and three
 * whole batches were committed with no checkpoint past seq 5.
 */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { SignGate, spyOnSigning } from './sign-gate.js';
import { CHAIN_KEY, range, verified, WatchedStore } from './presign-harness.js';
import { waitFor } from '../../../helpers/wait.js';
import { writersClosedAfterEach } from './closed-writers.js';

let key: SigningKey;
const gate = new SignGate();
beforeAll(async () => {
  key = await testSigningKey();
  spyOnSigning(() => gate);
});
afterAll(() => {
  jest.restoreAllMocks();
});
const writers = writersClosedAfterEach();

it('checkpointEvery 1, maxBatch 5, a presign slower than a commit: the stale checkpoint goes with a fresh one, and the window stays within its bound', async () => {
  const store = new WatchedStore();
  const chainId = `stale-${Date.now()}`;
  store.chain = chainId;
  const writer = createAccessLogWriter({ store: store as unknown as Store, chainId, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, checkpointIntervalMs: 3_600_000, checkpointSignTimeoutMs: Infinity, maxBatch: 5, checkpointEvery: 1 });
  writers.push(writer);
  await writer.start();
  store.script = ['hold'];
  gate.arm(['hold']); // the presigned checkpoint (n 2) is slower than the batch ahead's commit
  const all = range(1, 25).map((i) => writer.append(sampleRecord(i)));
  await waitFor(() => store.calls.length === 2); // [1-5] held, [6-10] sent ahead
  store.release(0);
  await waitFor(() => gate.calls.length === 1 && store.calls[1]!.outcome === 'ok');
  gate.release(0);
  await Promise.all(all);
  const cps = store.checkpoints.filter((c) => c.chainId === chainId);
  const at = (n: number | undefined) => cps.find((c) => c.n === n)?.seq;
  const calls = store.calls.map((c, i) => [c.kind, `${c.seqs[0]}-${c.seqs.at(-1)}`, c.checkpoints.map((n) => `n${n}@${at(n)}`), store.uncovered[i]]);
  expect(calls.slice(0, 4)).toEqual([
    ['ordinary', '1-5', [], 5],
    ['ahead', '6-10', [], 10],
    ['ordinary', '11-15', ['n2@5', 'n3@10'], 5], // head was at 10 when this batch went: n2 is stale, n3 signed over the head
    ['ahead', '16-20', [], 10],
  ]);
  // The stated bound: checkpointEvery + two batches = 1 + 10 = 11.
  expect(Math.max(...store.uncovered)).toBeLessThanOrEqual(11);
  await writer.flushAndClose();
  expect((await verified(store, key, chainId))?.ok).toBe(true);
});
