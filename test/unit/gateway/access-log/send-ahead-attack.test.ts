/**
 * Review of the batches sent ahead (writer.ts sendAhead / finishAhead): attacks on the window in
 * which a refused batch's follower is awaited, and on the error path of a batch sent ahead.
 * The store is ordered-store.ts (calls run in call order, each can be held
 * or failed; a batch sent ahead is refused unless the head is where it follows).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { ChainedAccessRecord } from '../../../../audit/record.js';
import { CodedError } from '../../../../core/errors.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../../gateway/access-log/writer.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { FakeAccessLogStore } from './fake-store.js';
import { OrderedStore } from './ordered-store.js';
import { waitFor } from '../../../helpers/wait.js';
import { writersClosedAfterEach } from './closed-writers.js';

const CHAIN_KEY = Buffer.alloc(32, 9);
let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});
const writers = writersClosedAfterEach();

function writerOn(store: FakeAccessLogStore, options: Partial<AccessLogWriterOptions> = {}): AccessLogWriter {
  const writer = createAccessLogWriter({ store: store as unknown as Store, chainId: `review-ahead-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, maxBatch: 5, ...options });
  writers.push(writer);
  return writer;
}

const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));
/** Tracks an append: settled (with its outcome) or still pending. */
function track(p: Promise<ChainedAccessRecord>) {
  const t: { settled: boolean; outcome?: unknown } = { settled: false };
  p.then(
    (r) => Object.assign(t, { settled: true, outcome: r.seq }),
    (err: unknown) => Object.assign(t, { settled: true, outcome: codeOf(err) }),
  );
  return t;
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Lets a few turns of the event loop pass (no timer): microtasks and immediates settle. */
const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

/**
 * A (seq 1) held; B (2-6) sent ahead and failed; C (7-11) sent ahead to follow B as A commits,
 * held. finishAhead(B) then waits for C's answer with C in neither `ahead`, `current` nor `queue`.
 */
async function refusedWithFollowerHeld(store: OrderedStore, writer: AccessLogWriter) {
  await writer.start();
  store.script = ['hold', 'fail', 'hold'];
  const a = range(1, 1).map((i) => track(writer.append(sampleRecord(i))));
  await waitFor(() => store.calls.length === 1);
  const b = range(2, 6).map((i) => track(writer.append(sampleRecord(i))));
  const c = range(7, 11).map((i) => track(writer.append(sampleRecord(i))));
  expect(store.calls.map((x) => [x.kind, x.seqs])).toEqual([
    ['ordinary', [1]],
    ['ahead', range(2, 6)],
  ]);
  store.release(0);
  await waitFor(() => store.calls.length === 3 && store.calls[1]!.outcome === 'failed');
  expect(store.calls[2]).toMatchObject({ kind: 'ahead', seqs: range(7, 11), outcome: 'pending' });
  await turns();
  return { a, b, c };
}

describe('the follower of a refused batch sent ahead', () => {
  it('is counted in depth() while its answer is awaited (backpressure)', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store, { bufferMax: 15 });
    const { b, c } = await refusedWithFollowerHeld(store, writer);
    const uncommitted = [...b, ...c].filter((t) => !t.settled).length;
    expect(uncommitted).toBe(10);
    expect(writer.depth()).toBe(uncommitted);
    // With bufferMax 15, only 5 more may be accepted while 10 are uncommitted.
    let accepted = 0;
    for (let i = 12; i <= 30; i++) {
      if (!writer.accepting()) break;
      void writer.append(sampleRecord(i)).catch(() => undefined);
      accepted += 1;
    }
    expect(accepted).toBeLessThanOrEqual(5);
    store.release(2);
  });

  it('is refused, not left pending for ever, when the close deadline passes meanwhile', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store);
    const { a, b, c } = await refusedWithFollowerHeld(store, writer);
    await expect(writer.flushAndClose({ timeoutMs: 20 })).rejects.toThrow(/not committed at close/);
    // The held follower answers (refused) after the deadline; the pump winds down.
    store.release(2);
    await waitFor(() => store.calls[2]!.outcome === 'refused');
    await turns();
    expect(a.map((t) => t.outcome)).toEqual([1]);
    expect(b.map((t) => t.outcome)).toEqual(range(2, 6).map(() => 'AUDIT_UNAVAILABLE'));
    // Every append settles: those of C were never committed, so they must be refused.
    expect(c.map((t) => t.settled)).toEqual(range(7, 11).map(() => true));
    expect(c.map((t) => t.outcome)).toEqual(range(7, 11).map(() => 'AUDIT_UNAVAILABLE'));
  });
});

describe('a batch sent ahead whose store answer does not fit', () => {
  it('has its appends refused, not left pending for ever, and depth() goes back to 0', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store);
    await writer.start();
    store.script = ['hold', 'wrongCount'];
    const a = range(1, 1).map((i) => track(writer.append(sampleRecord(i))));
    await waitFor(() => store.calls.length === 1);
    const b = range(2, 6).map((i) => track(writer.append(sampleRecord(i))));
    expect(store.calls[1]).toMatchObject({ kind: 'ahead', seqs: range(2, 6) });
    store.release(0);
    await waitFor(() => store.calls[1]!.outcome === 'ok');
    await turns();
    expect(a.map((t) => t.outcome)).toEqual([1]);
    // The old code path (an ordinary commit answered with the wrong count) refuses the batch via the pump; the ahead path must too.
    expect(b.map((t) => t.settled)).toEqual(range(2, 6).map(() => true));
    expect(writer.depth()).toBe(0);
  });
});

describe('a store whose appendToChainAfter throws at once (instead of rejecting)', () => {
  it('loses no record: the batch it was given is committed the ordinary way and every append resolves', async () => {
    const store = new OrderedStore();
    // A FollowingAppends that fails synchronously (say, a batch it cannot serialise): the writer
    // calls it inside append() (sendAhead), outside any try.
    (store as unknown as { appendToChainAfter: () => never }).appendToChainAfter = () => {
      throw new Error('cannot take the batch');
    };
    const writer = writerOn(store);
    await writer.start();
    store.script = ['hold'];
    const first = writer.append(sampleRecord(1));
    await waitFor(() => store.calls.length === 1);
    const rest = range(2, 6).map((i) => writer.append(sampleRecord(i)).then((r) => r.seq, (err: unknown) => codeOf(err)));
    const tracked = rest.map((p) => {
      const t: { outcome?: unknown } = {};
      void p.then((o) => (t.outcome = o));
      return t;
    });
    store.release(0);
    expect((await first).seq).toBe(1);
    const outcome = await Promise.race([Promise.all(rest), writer.flushAndClose({ timeoutMs: 100 }).then(() => 'closed', (err: unknown) => `close failed: ${String(err)}`)]);
    await turns();
    // On the code under review: 2-5 pending for ever, 6 rejected with the store's own uncoded error.
    expect(tracked.map((t) => t.outcome)).toEqual(range(2, 6));
    expect(outcome).toEqual(range(2, 6));
  });
});
