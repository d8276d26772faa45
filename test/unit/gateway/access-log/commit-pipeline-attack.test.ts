/**
 * Attacks on the writer's pipelined commits (gateway/access-log/writer.ts: a commit that completes
 * starts the next one before its own appends resolve and hands it to the pump through `Started`).
 * A programmable fake store: calls can be held, failed, or fail after committing, one by one.
 */
import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ChainedAccessRecord } from '../../../../audit/record.js';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import { verifyCheckpoint } from '../../../../audit/checkpoint.js';
import { CodedError } from '../../../../core/errors.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../../gateway/access-log/writer.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { FakeAccessLogStore } from './fake-store.js';
import { ScriptedStore, type Step } from './scripted-store.js';
import { turn, unhandledRejectionsDuring } from '../../../helpers/unhandled.js';
import { waitFor } from '../../../helpers/wait.js';
import { writersClosedAfterEach } from './closed-writers.js';

const CHAIN_KEY = Buffer.alloc(32, 7);
let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});
const writers = writersClosedAfterEach();

const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));
const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (err: unknown) => ({ code: codeOf(err) }));



function writerOn(store: FakeAccessLogStore, options: Partial<AccessLogWriterOptions> = {}): AccessLogWriter {
  const writer = createAccessLogWriter({ store: store.asStore(), chainId: `pipe-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, checkpointSignTimeoutMs: Infinity, ...options });
  writers.push(writer);
  return writer;
}

const verified = async (store: FakeAccessLogStore, chainId: string) => (await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);
const seqsOf = (store: FakeAccessLogStore, chainId: string) => store.rows.filter((r) => r.chainId === chainId).map((r) => r.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('pipelined commits: order and durability', () => {
  it('resolves every append in seq order, each only once its own record is in the store, across a chain of pipelined commits', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 5 });
    await writer.start();
    store.script = ['hold'];
    const resolvedOrder: number[] = [];
    const storedAtResolve: boolean[] = [];
    const track = (p: Promise<ChainedAccessRecord>) =>
      p.then((r) => {
        resolvedOrder.push(r.seq);
        storedAtResolve.push(store.rows.some((row) => row.chainId === writer.chainId && row.seq === r.seq));
        return r;
      });
    const first = range(1, 3).map((i) => track(writer.append(sampleRecord(i))));
    await waitFor(() => store.calls.length === 1);
    // 17 records queue behind the held commit: the pipeline carries them in batches of 5, 5, 5, 2.
    const rest = range(4, 20).map((i) => track(writer.append(sampleRecord(i))));
    store.release(0);
    await Promise.all([...first, ...rest]);
    expect(store.calls.map((c) => c.seqs)).toEqual([[1, 2, 3], range(4, 8), range(9, 13), range(14, 18), [19, 20]]);
    expect(resolvedOrder).toEqual(range(1, 20));
    expect(storedAtResolve.every(Boolean)).toBe(true);
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 20));
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 20 });
  });

  it('retries a pipelined commit that fails, and one whose acknowledgement is lost, with the same seqs and head: each record once, chain intact', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 4 });
    await writer.start();
    // call 0 held; call 1 (the first pipelined one) fails; its retry commits but the ack is lost; then ok.
    store.script = ['hold', 'fail', 'failAfterCommit'];
    const first = range(1, 2).map((i) => writer.append(sampleRecord(i)));
    await waitFor(() => store.calls.length === 1);
    const rest = range(3, 12).map((i) => writer.append(sampleRecord(i)));
    store.release(0);
    const results = await Promise.all([...first, ...rest]);
    expect(results.map((r) => r.seq)).toEqual(range(1, 12));
    // The failed pipelined batch was sent three times, identically; nothing else was re-sent.
    expect(store.calls.map((c) => c.seqs)).toEqual([[1, 2], range(3, 6), range(3, 6), range(3, 6), range(7, 10), [11, 12]]);
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 12));
    expect(results.every((r, i) => i === 0 || r.prevHash === results[i - 1]!.hash)).toBe(true);
    expect(writer.stats()).toMatchObject({ committed: 12, committedSeq: 12, depth: 0, failures: 2 });
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 12 });
  });

  it('puts a count-bound checkpoint in the pipelined commit, signing the end of the batch that just completed', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold'];
    const first = range(1, 3).map((i) => writer.append(sampleRecord(i)));
    await waitFor(() => store.calls.length === 1);
    const rest = range(4, 9).map((i) => writer.append(sampleRecord(i)));
    store.release(0);
    const results = await Promise.all([...first, ...rest]);
    const withCheckpoint = store.calls.filter((c) => c.checkpoints.length > 0);
    expect(withCheckpoint.map((c) => [c.seqs[0], c.checkpoints[0]!.seq])).toEqual([[4, 3], [7, 6]]);
    expect(withCheckpoint[0]!.checkpoints[0]!.hash).toBe(results[2]!.hash);
    expect(withCheckpoint[1]!.checkpoints[0]!.hash).toBe(results[5]!.hash);
    for (const c of withCheckpoint) expect(await verifyCheckpoint(c.checkpoints[0]!, key.publicJwks)).toEqual({ ok: true });
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 9, latestCheckpointSeq: 9 });
  });

  it('flushAndClose while pipelined commits are in flight commits everything, then writes the final checkpoint and the ledger CLOSE after them', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 4 });
    await writer.start();
    store.script = ['hold', 'hold'];
    const first = range(1, 2).map((i) => writer.append(sampleRecord(i)));
    await waitFor(() => store.calls.length === 1);
    const rest = range(3, 10).map((i) => writer.append(sampleRecord(i)));
    const closing = writer.flushAndClose();
    store.release(0);
    await waitFor(() => store.calls.length === 2); // the pipelined commit is in flight (held)
    let closed = false;
    void closing.then(() => (closed = true));
    await turn();
    expect(closed).toBe(false);
    store.release(1);
    await closing;
    expect((await Promise.all([...first, ...rest])).map((r) => r.seq)).toEqual(range(1, 10));
    const final = store.checkpoints.filter((c) => c.chainId === writer.chainId).at(-1)!;
    expect(final).toMatchObject({ seq: 10, final: true });
    expect(store.ledger.at(-1)).toMatchObject({ kind: 'CLOSE', chainId: writer.chainId, ending: { how: 'SHUTDOWN', lastSeq: 10, lastCheckpointSeq: 10 } });
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 10, latestCheckpointSeq: 10 });
  });
});

describe('pipelined commits: failure, abandonment and fail-closed', () => {
  it('abandoned at the close deadline while the pipelined commit keeps failing: the completed batch resolves, the rest reject AUDIT_UNAVAILABLE once, no unhandled rejection, no store call after', async () => {
    // The writer's timers (retry backoff, the close deadline) run on a fake clock the test moves,
    // a millisecond and an event-loop turn at a time; everything else is real.
    jest.useFakeTimers({ doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate'] });
    const advanceUntil = async (done: () => boolean, limitMs = 1000) => {
      for (let ms = 0; ms < limitMs && !done(); ms++) {
        jest.advanceTimersByTime(1);
        await turn();
      }
      expect(done()).toBe(true);
    };
    try {
      const store = new ScriptedStore();
      const writer = writerOn(store, { maxBatch: 4 });
      await writer.start();
      store.script = ['hold', ...Array<Step>(10_000).fill('fail')];
      let outcomes: Array<{ value: ChainedAccessRecord } | { code: unknown }> = [];
      let closeOutcome: unknown = null;
      const seen = await unhandledRejectionsDuring(async () => {
        const first = range(1, 2).map((i) => settle(writer.append(sampleRecord(i))));
        await advanceUntil(() => store.calls.length === 1);
        const rest = range(3, 8).map((i) => settle(writer.append(sampleRecord(i))));
        store.release(0);
        await advanceUntil(() => store.calls.length >= 4); // the pipelined commit is being retried
        let closed = false;
        const closing = settle(writer.flushAndClose({ timeoutMs: 30 })).then((outcome) => ((closed = true), outcome));
        await advanceUntil(() => closed);
        closeOutcome = await closing;
        outcomes = await Promise.all([...first, ...rest]);
      });
      expect(seen).toEqual([]);
      expect(closeOutcome).toMatchObject({ code: expect.stringContaining('not committed at close') });
      expect(outcomes.map((o) => ('value' in o ? o.value.seq : o.code))).toEqual([1, 2, ...Array(6).fill('AUDIT_UNAVAILABLE')]);
      expect(writer.depth()).toBe(0);
      const callsAtClose = store.calls.length;
      for (let ms = 0; ms < 30; ms++) {
        jest.advanceTimersByTime(1); // retries would have run by now (retryMaxMs 5)
        await turn();
      }
      expect(store.calls.length).toBe(callsAtClose);
      expect(seqsOf(store, writer.chainId)).toEqual([1, 2]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('abandoned while the pipelined commit hangs: its records reject, the pump ends, and a late success neither resolves them nor starts another commit', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 4 });
    await writer.start();
    store.script = ['hold', 'hold'];
    const seen = await unhandledRejectionsDuring(async () => {
      const first = range(1, 2).map((i) => settle(writer.append(sampleRecord(i))));
      await waitFor(() => store.calls.length === 1);
      const rest = range(3, 6).map((i) => settle(writer.append(sampleRecord(i))));
      store.release(0);
      await waitFor(() => store.calls.length === 2);
      await expect(writer.flushAndClose({ timeoutMs: 20 })).rejects.toThrow(/not committed at close/);
      const outcomes = await Promise.all([...first, ...rest]);
      expect(outcomes.map((o) => ('value' in o ? o.value.seq : o.code))).toEqual([1, 2, 'AUDIT_UNAVAILABLE', 'AUDIT_UNAVAILABLE', 'AUDIT_UNAVAILABLE', 'AUDIT_UNAVAILABLE']);
      store.release(1); // the hung call completes after all
      await turn();
      await turn();
    });
    expect(seen).toEqual([]);
    expect(store.calls).toHaveLength(2);
    expect(writer.accepting()).toBe(false);
  });

  it('fails closed when the store goes down mid-pipeline and, on recovery, commits every buffered record exactly once in order', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 10, bufferMax: 30 });
    await writer.start();
    store.script = ['hold'];
    const first = range(1, 5).map((i) => settle(writer.append(sampleRecord(i))));
    await waitFor(() => store.calls.length === 1);
    const rest = range(6, 30).map((i) => settle(writer.append(sampleRecord(i))));
    expect(writer.accepting()).toBe(false);
    expect(await settle(writer.append(sampleRecord(31)))).toEqual({ code: 'AUDIT_UNAVAILABLE' });
    store.failing = true; // the fake's own switch: every later commit fails until cleared
    store.release(0);
    await waitFor(() => writer.stats().failures >= 3);
    expect(seqsOf(store, writer.chainId)).toEqual([]); // the held one failed too (failing is checked after its gate)
    store.failing = false;
    const outcomes = await Promise.all([...first, ...rest]);
    expect(outcomes.map((o) => ('value' in o ? o.value.seq : o.code))).toEqual(range(1, 30));
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 30));
    expect((await writer.append(sampleRecord(32))).seq).toBe(31);
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 31 });
  });

  it('a store that returns the wrong number of hashes on a pipelined commit stops the writer without an unhandled rejection, refusing (not resolving) the affected records', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 4 });
    await writer.start();
    store.script = ['hold'];
    const original = store.appendToChain.bind(store);
    let n = 0;
    store.appendToChain = async (batch, checkpoints) => {
      const hashes = await original(batch, checkpoints);
      return n++ === 1 ? hashes.slice(1) : hashes;
    };
    let outcomes: Array<{ value: ChainedAccessRecord } | { code: unknown }> = [];
    const seen = await unhandledRejectionsDuring(async () => {
      const first = range(1, 2).map((i) => settle(writer.append(sampleRecord(i))));
      await waitFor(() => store.calls.length === 1);
      const rest = range(3, 6).map((i) => settle(writer.append(sampleRecord(i))));
      store.release(0);
      outcomes = await Promise.all([...first, ...rest]);
    });
    expect(seen).toEqual([]);
    expect(outcomes.map((o) => ('value' in o ? o.value.seq : o.code))).toEqual([1, 2, ...Array(4).fill('AUDIT_UNAVAILABLE')]);
    // Stopped for good: the refused records' seqs are spent and their batch may be stored, so
    // nothing more is chained (the gateway refuses data requests); the close signs nothing and
    // writes no CLOSE, and the next start closes the chain as crashed from what is stored.
    expect(writer.accepting()).toBe(false);
    const callsBefore = store.calls.length;
    expect(await settle(writer.append(sampleRecord(7)))).toEqual({ code: 'AUDIT_UNAVAILABLE' });
    await writer.flushAndClose({ timeoutMs: 1_000 });
    expect(store.calls.length).toBe(callsBefore);
    expect(store.ledger.filter((e) => e.chainId === writer.chainId).map((e) => e.kind)).toEqual(['OPEN']);
    expect(store.checkpoints.filter((c) => c.chainId === writer.chainId && c.final)).toEqual([]);
  });
});
