/** Session 32's review of presign: a batch sent ahead with checkpoints is committed, but its acknowledgement is lost (and the one after it too). */
import { afterAll, beforeAll, expect, it, jest } from '@jest/globals';
import type { ChainBatch } from '../../../../audit/chain.js';
import type { Checkpoint } from '../../../../audit/record.js';
import { StoreUnavailableError } from '../../../../store/port.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { SignGate, spyOnSigning, storedCheckpointsOf } from './sign-gate.js';
import { CHAIN_KEY, range, verified, WatchedStore } from './presign-harness.js';
import { writersClosedAfterEach } from './closed-writers.js';

let key: SigningKey;
/** Passes every signature through, and notes those under way (`signing`). */
const gate = new SignGate();
beforeAll(async () => {
  key = await testSigningKey();
  spyOnSigning(() => gate);
});
afterAll(() => {
  jest.restoreAllMocks();
});
const writers = writersClosedAfterEach();

class LosingStore extends WatchedStore {
  /** Lose the acknowledgement of the nth batch sent ahead that carries checkpoints, and of the next `extra` ahead calls. */
  loseAt = 1;
  extra = 0;
  private carrying = 0;
  private losing = 0;
  override async appendToChainAfter(batch: ChainBatch, checkpoints: Checkpoint[] = []) {
    const lose = (checkpoints.length > 0 && ++this.carrying === this.loseAt) || this.losing > 0;
    if (checkpoints.length > 0 && this.carrying === this.loseAt) this.losing = this.extra + 1;
    const answer = await super.appendToChainAfter(batch, checkpoints);
    if (lose) {
      this.losing--;
      throw new StoreUnavailableError('acknowledgement lost');
    }
    return answer;
  }
}

it.each([
  [1, 0],
  [1, 1],
  [2, 1],
  [3, 3],
])('lost ack on checkpoint-carrying ahead batch %i (+%i following): records once, in order; numbering 1..N; final last', async (loseAt, extra) => {
  const store = new LosingStore();
  store.loseAt = loseAt;
  store.extra = extra;
  const chainId = `lost-${loseAt}-${extra}-${Date.now()}`;
  store.chain = chainId;
  const writer = createAccessLogWriter({ store: store as unknown as Store, chainId, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, maxBatch: 5, checkpointEvery: 5 });
  writers.push(writer);
  await writer.start();
  // Every store call is held, and released only while no checkpoint is being signed: a checkpoint
  // presigned during a commit is then always ready to ride ahead, however slowly the machine signs.
  store.script = range(0, 500).map(() => 'hold');
  let on = true;
  const releaser = (async () => {
    while (on) {
      await new Promise((r) => setTimeout(r, 3));
      while (gate.signing.size > 0) await Promise.allSettled([...gate.signing]);
      for (let i = 0; i < store.calls.length; i++) store.release(i);
    }
  })();
  const records = await Promise.all(range(1, 120).map((i) => writer.append(sampleRecord(i))));
  await writer.flushAndClose();
  on = false;
  await releaser;
  expect(records.map((r) => r.seq)).toEqual(range(1, 120));
  expect(store.gaps).toEqual([]);
  const cps = storedCheckpointsOf(store, chainId);
  const ns = cps.map((c) => c.n!).sort((a, b) => a - b);
  expect(ns).toEqual(range(1, ns.length));
  expect(cps.find((c) => c.n === ns.at(-1))).toMatchObject({ final: true, seq: 120 });
  const report = await verified(store, key, chainId);
  expect(report).toMatchObject({ ok: true, checked: 120, problems: [] });
  const lostCarried = store.calls.filter((c) => c.kind === 'ahead' && c.checkpoints.length).length;
  expect(lostCarried).toBeGreaterThanOrEqual(loseAt);
});
