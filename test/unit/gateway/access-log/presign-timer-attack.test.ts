/** Session 32's review of presign: the interval timer fires while a presigned checkpoint is being signed, and again while it rides ahead. */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { SignGate, spyOnSigning, storedCheckpointsOf } from './sign-gate.js';
import { captureInterval, CHAIN_KEY, range, turns, verified, WatchedStore } from './presign-harness.js';
import { waitFor } from '../../../helpers/wait.js';
import { writersClosedAfterEach } from './closed-writers.js';

let key: SigningKey;
const gate = new SignGate();
let interval: { ticks: Array<() => void> };
beforeAll(async () => {
  key = await testSigningKey();
  spyOnSigning(() => gate);
  interval = captureInterval();
});
afterAll(() => {
  jest.restoreAllMocks();
});
jest.setTimeout(20_000);
const writers = writersClosedAfterEach();

it('one checkpoint per due, numbered 1..N, each over the head committed when it was due; the final last', async () => {
  const store = new WatchedStore();
  const chainId = `timer-${Date.now()}`;
  store.chain = chainId;
  const writer = createAccessLogWriter({ store: store as unknown as Store, chainId, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, checkpointIntervalMs: 1000, checkpointSignTimeoutMs: Infinity, maxBatch: 5, checkpointEvery: 1_000_000 });
  writers.push(writer);
  await writer.start();
  const tick = interval.ticks.at(-1)!;
  store.script = ['hold', 'hold', 'hold', 'hold', 'hold'];
  gate.arm(['hold']);
  const all = range(1, 30).map((i) => writer.append(sampleRecord(i)));
  await waitFor(() => store.calls.length === 2); // [1-5] held, [6-10] ahead, held
  tick(); // due 1
  store.release(0); // [1-5] committed: presign over 5, held
  await waitFor(() => gate.calls.length === 1);
  tick(); // due 2, while due 1 is being signed
  tick(); // (same due: the flag is already set)
  gate.release(0);
  await turns(30);
  store.release(1);
  await turns(30);
  tick(); // due 3 while whatever carries 2 is in flight
  let settled = false;
  const done = Promise.all(all).then(() => (settled = true));
  while (!settled) {
    await turns(10);
    for (let i = 0; i < store.calls.length; i++) store.release(i);
  }
  await done;
  await writer.flushAndClose();
  const cps = storedCheckpointsOf(store, chainId);
  const ns = cps.map((c) => c.n!);
  expect([...ns].sort((a, b) => a - b)).toEqual(range(1, ns.length));
  expect(new Set(gate.calls.map((c) => c.n)).size).toBe(gate.calls.length); // nothing signed twice with one number
  expect(cps.at(-1)).toMatchObject({ final: true, seq: 30 });
  expect((await verified(store, key, chainId))?.ok).toBe(true);
});
