/**
 * Attacks on the writer's hand-over (gateway/access-log/writer.ts, commit d4d97e9): when a batch
 * commits with records queued, the next batch starts at once; a checkpoint due rides in it and is
 * signed first (asynchronously), and the completed batch's appends resolve only once that next
 * batch is handed to the store.
 *
 * Signing is driven through WebCrypto, which jose calls for every signature: a spy on
 * crypto.subtle.sign lets a checkpoint's signature (told apart from ledger entries by its JWS
 * `typ`) be held, failed or passed, one by one. The checkpoint timer is captured through a spy on
 * setInterval, so a test can make a timed checkpoint due at an exact point.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ChainBatch } from '../../../../audit/chain.js';
import { verifyCheckpoint } from '../../../../audit/checkpoint.js';
import type { ChainedAccessRecord, Checkpoint } from '../../../../audit/record.js';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import { CodedError } from '../../../../core/errors.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../../gateway/access-log/writer.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { FakeAccessLogStore } from './fake-store.js';
import { ScriptedStore } from './scripted-store.js';
import { SignGate, spyOnSigning, storedCheckpointsOf } from './sign-gate.js';
import { turn, unhandledRejectionsDuring } from '../../../helpers/unhandled.js';
import { waitFor } from '../../../helpers/wait.js';

const CHAIN_KEY = Buffer.alloc(32, 7);
let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});

const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));
type Settled = { value: ChainedAccessRecord } | { code: unknown };
const settle = (p: Promise<ChainedAccessRecord>): Promise<Settled> => p.then((value) => ({ value }), (err: unknown) => ({ code: codeOf(err) }));
const outcomeOf = (o: Settled) => ('value' in o ? o.value.seq : o.code);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let gate = new SignGate();
beforeAll(() => spyOnSigning(() => gate));

/** The writer's checkpoint timer, captured (it still exists, with an interval no test reaches). */
let timerTicks: Array<() => void> = [];
const realSetInterval = globalThis.setInterval;
beforeAll(() => {
  jest.spyOn(globalThis, 'setInterval').mockImplementation(((callback: () => void) => {
    timerTicks.push(callback);
    return realSetInterval(() => undefined, 3_600_000);
  }) as unknown as typeof setInterval);
});
afterAll(() => {
  jest.restoreAllMocks();
});

const writers: AccessLogWriter[] = [];
afterEach(async () => {
  gate.armed = false;
  for (const [n] of gate.calls.entries()) gate.release(n);
  for (const w of writers.splice(0)) await w.flushAndClose({ timeoutMs: 200 }).catch(() => undefined);
  gate = new SignGate();
  timerTicks = [];
});

/** gatherTurns 0: every queue is handed over (a small one would otherwise wait for company after its appenders run; gather.test.ts covers that). */
function writerOn(store: FakeAccessLogStore | Store, options: Partial<AccessLogWriterOptions> = {}): AccessLogWriter {
  const asStore = store instanceof FakeAccessLogStore ? store.asStore() : store;
  const writer = createAccessLogWriter({ store: asStore, chainId: `handover-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, checkpointSignTimeoutMs: Infinity, gatherTurns: 0, ...options });
  writers.push(writer);
  return writer;
}

const reportOf = async (store: FakeAccessLogStore | Store, chainId: string) => (await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);
const isStored = (store: FakeAccessLogStore, chainId: string, seq: number) => store.rows.some((r) => r.chainId === chainId && r.seq === seq);
const seqsOf = (store: FakeAccessLogStore, chainId: string) => store.rows.filter((r) => r.chainId === chainId).map((r) => r.seq);
const checkpointsOf = storedCheckpointsOf;

/** Tracks when each append settles: in which order, and what the store held then. */
function tracker(store: ScriptedStore, writer: AccessLogWriter) {
  const resolved: number[] = [];
  const storedAtResolve: boolean[] = [];
  const callsAtResolve = new Map<number, number>();
  const track = (p: Promise<ChainedAccessRecord>) =>
    p.then((r) => {
      resolved.push(r.seq);
      storedAtResolve.push(isStored(store, writer.chainId, r.seq));
      callsAtResolve.set(r.seq, store.calls.length);
      return r;
    });
  return { resolved, storedAtResolve, callsAtResolve, track };
}

describe('the hand-over while a checkpoint is being signed', () => {
  it('holds the completed batch\'s appends until the next batch is at the store, then resolves them while that batch is still uncommitted', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold', 'hold'];
    gate.arm(['hold']);
    const t = tracker(store, writer);
    const first = range(1, 3).map((i) => t.track(writer.append(sampleRecord(i))));
    await waitFor(() => store.calls.length === 1);
    const second = range(4, 6).map((i) => t.track(writer.append(sampleRecord(i))));
    store.release(0);
    await waitFor(() => gate.calls.length === 1); // the checkpoint riding in the next batch is being signed
    await turn();
    expect(gate.calls[0]).toMatchObject({ seq: 3, n: 2, final: false, outcome: 'pending' });
    expect(seqsOf(store, writer.chainId)).toEqual([1, 2, 3]); // committed...
    expect(t.resolved).toEqual([]); // ...but not released before the hand-over
    expect(store.calls).toHaveLength(1);
    expect(writer.depth()).toBe(3); // only the next batch counts as uncommitted
    gate.release(0);
    await waitFor(() => t.resolved.length === 3);
    // Resolved after the next batch reached the store, and while it is still held there.
    expect(t.callsAtResolve.get(1)).toBe(2);
    expect(store.calls[1]).toMatchObject({ seqs: [4, 5, 6], outcome: 'pending' });
    const firstRecords = await Promise.all(first);
    expect(store.calls[1]!.checkpoints).toHaveLength(1);
    expect(store.calls[1]!.checkpoints[0]).toMatchObject({ seq: 3, n: 2, hash: firstRecords[2]!.hash, final: false });
    expect(await verifyCheckpoint(store.calls[1]!.checkpoints[0]!, key.publicJwks)).toEqual({ ok: true });
    await turn();
    expect(t.resolved).toEqual([1, 2, 3]); // the next batch's appends wait for their own commit
    store.release(1);
    await Promise.all(second);
    expect(t.resolved).toEqual(range(1, 6));
    expect(t.storedAtResolve.every(Boolean)).toBe(true);
    await writer.flushAndClose();
    expect(await reportOf(store, writer.chainId)).toMatchObject({ ok: true, checked: 6, latestCheckpointSeq: 6, problems: [] });
  });

  it('with a checkpoint in every pipelined batch: appends resolve in seq order, each after its own commit and after the batch behind it reached the store; checkpoints sign each completed end, numbered in order', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold'];
    gate.arm([]);
    const t = tracker(store, writer);
    const first = range(1, 3).map((i) => t.track(writer.append(sampleRecord(i))));
    await waitFor(() => store.calls.length === 1);
    const rest = range(4, 17).map((i) => t.track(writer.append(sampleRecord(i))));
    store.release(0);
    const results = await Promise.all([...first, ...rest]);
    expect(store.calls.map((c) => c.seqs)).toEqual([[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17]]);
    expect(t.resolved).toEqual(range(1, 17));
    expect(t.storedAtResolve.every(Boolean)).toBe(true);
    // Batch k's appends resolved once batch k+1 had been handed over (the last batch had none behind it).
    for (const seq of range(1, 15)) expect(t.callsAtResolve.get(seq)).toBeGreaterThanOrEqual(Math.ceil(seq / 3) + 1);
    const riding = store.calls.slice(1).map((c) => c.checkpoints.map((cp) => [cp.seq, cp.n, cp.hash]));
    expect(riding).toEqual([1, 2, 3, 4, 5].map((k) => [[3 * k, k + 1, results[3 * k - 1]!.hash]]));
    await writer.flushAndClose();
    const stored = checkpointsOf(store, writer.chainId);
    expect(stored.map((c) => [c.seq, c.n, c.final])).toEqual([[0, 1, false], [3, 2, false], [6, 3, false], [9, 4, false], [12, 5, false], [15, 6, false], [17, 7, true]]);
    expect(store.ledger.at(-1)).toMatchObject({ kind: 'CLOSE', ending: { how: 'SHUTDOWN', lastSeq: 17, lastCheckpointSeq: 17, lastCheckpointN: 7 } });
    expect(await reportOf(store, writer.chainId)).toMatchObject({ ok: true, checked: 17, problems: [] });
  });

  it('the next batch failing at the store, then losing its acknowledgement, is retried with the same seqs and the same signed checkpoint, while the completed batch has already resolved', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold', 'holdThenFail', 'failAfterCommit'];
    gate.arm([]);
    const t = tracker(store, writer);
    const seen = await unhandledRejectionsDuring(async () => {
      const first = range(1, 3).map((i) => t.track(writer.append(sampleRecord(i))));
      await waitFor(() => store.calls.length === 1);
      const second = range(4, 6).map((i) => t.track(writer.append(sampleRecord(i))));
      store.release(0);
      await waitFor(() => store.calls.length === 2);
      await Promise.all(first); // resolved while the next batch's first attempt is still open
      expect(store.calls[1]!.outcome).toBe('pending');
      store.release(1);
      const results = await Promise.all(second);
      expect(results.map((r) => r.seq)).toEqual([4, 5, 6]);
      await waitFor(() => gate.calls.length === 2);
    });
    expect(seen).toEqual([]);
    expect(store.calls.map((c) => [c.seqs, c.outcome])).toEqual([[[1, 2, 3], 'ok'], [[4, 5, 6], 'failed'], [[4, 5, 6], 'failed'], [[4, 5, 6], 'ok']]);
    const sent = store.calls.slice(1).map((c) => c.checkpoints.map((cp) => cp.signature));
    expect(new Set(sent.flat()).size).toBe(1); // one signature, sent three times
    expect(sent.every((s) => s.length === 1)).toBe(true);
    expect(gate.calls.map((c) => [c.seq, c.n])).toEqual([[3, 2], [6, 3]]); // signed once; then the count-bound one at 6
    expect(t.resolved).toEqual(range(1, 6));
    expect(t.storedAtResolve.every(Boolean)).toBe(true);
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 6));
    expect(writer.stats()).toMatchObject({ committed: 6, committedSeq: 6, depth: 0, failures: 2 });
    await writer.flushAndClose();
    expect(checkpointsOf(store, writer.chainId).map((c) => [c.seq, c.n, c.final])).toEqual([[0, 1, false], [3, 2, false], [6, 3, false], [6, 4, true]]);
    expect(await reportOf(store, writer.chainId)).toMatchObject({ ok: true, checked: 6, problems: [] });
  });

  it('a timed checkpoint falling due while the hand-over\'s checkpoint is being signed is neither lost nor merged: it follows at the next batch\'s end, numbered next, each checkpoint later than the one before', async () => {
    const store = new ScriptedStore();
    // No count-bound checkpoint after the next batch: only the timer's can follow it.
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3, checkpointIntervalMs: 1_000 });
    await writer.start();
    expect(timerTicks).toHaveLength(1);
    store.script = ['hold'];
    gate.arm(['hold']);
    const first = range(1, 3).map((i) => writer.append(sampleRecord(i)));
    await waitFor(() => store.calls.length === 1);
    const second = [4].map((i) => writer.append(sampleRecord(i)));
    store.release(0);
    await waitFor(() => gate.calls.length === 1);
    timerTicks[0]!(); // the interval fires while the signature is pending
    gate.release(0);
    await Promise.all([...first, ...second]);
    await waitFor(() => gate.calls.length === 2 && gate.calls[1]!.outcome === 'ok');
    await waitFor(() => checkpointsOf(store, writer.chainId).length === 3);
    expect(gate.calls.map((c) => [c.seq, c.n])).toEqual([[3, 2], [4, 3]]);
    await writer.flushAndClose();
    const stored = checkpointsOf(store, writer.chainId);
    expect(stored.map((c) => [c.seq, c.n, c.final])).toEqual([[0, 1, false], [3, 2, false], [4, 3, false], [4, 4, true]]);
    const times = stored.map((c) => Date.parse(c.time));
    expect(times.every((time, i) => i === 0 || time > times[i - 1]!)).toBe(true);
    expect(await reportOf(store, writer.chainId)).toMatchObject({ ok: true, checked: 4, problems: [] });
  });

  it('flushAndClose while the hand-over\'s checkpoint is being signed: everything commits, then the final checkpoint at the last record and the ledger CLOSE naming it', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold'];
    gate.arm(['hold']);
    const first = range(1, 3).map((i) => writer.append(sampleRecord(i)));
    await waitFor(() => store.calls.length === 1);
    const second = range(4, 5).map((i) => writer.append(sampleRecord(i)));
    store.release(0);
    await waitFor(() => gate.calls.length === 1);
    const closing = writer.flushAndClose();
    let closed = false;
    void closing.then(() => (closed = true));
    await turn();
    expect(closed).toBe(false);
    gate.release(0);
    await closing;
    expect((await Promise.all([...first, ...second])).map((r) => r.seq)).toEqual(range(1, 5));
    expect(checkpointsOf(store, writer.chainId).map((c) => [c.seq, c.n, c.final])).toEqual([[0, 1, false], [3, 2, false], [5, 3, true]]);
    expect(store.ledger.at(-1)).toMatchObject({ kind: 'CLOSE', chainId: writer.chainId, ending: { how: 'SHUTDOWN', lastSeq: 5, lastCheckpointSeq: 5, lastCheckpointN: 3 } });
    expect(await reportOf(store, writer.chainId)).toMatchObject({ ok: true, checked: 5, problems: [] });
  });
});

describe('the hand-over: failure and abandonment', () => {
  it('abandoned at the close deadline while the hand-over\'s checkpoint is being signed: the committed batch resolves once signing ends, the next is refused AUDIT_UNAVAILABLE without reaching the store, once each, no unhandled rejection', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold'];
    gate.arm(['hold']);
    const settledAt = new Map<number, string>();
    const watch = (seq: number, p: Promise<ChainedAccessRecord>) => {
      const s = settle(p);
      void s.then((o) => settledAt.set(seq, 'value' in o ? 'resolved' : String(o.code)));
      return s;
    };
    let outcomes: Settled[] = [];
    const seen = await unhandledRejectionsDuring(async () => {
      const first = range(1, 3).map((i) => watch(i, writer.append(sampleRecord(i))));
      await waitFor(() => store.calls.length === 1);
      const second = range(4, 6).map((i) => watch(i, writer.append(sampleRecord(i))));
      store.release(0);
      await waitFor(() => gate.calls.length === 1);
      await expect(writer.flushAndClose({ timeoutMs: 10 })).rejects.toThrow(/not committed at close/);
      await turn();
      // The next batch is refused at the deadline; the committed one is still waiting for its hand-over.
      expect([...settledAt.entries()].sort((a, b) => a[0] - b[0])).toEqual([[4, 'AUDIT_UNAVAILABLE'], [5, 'AUDIT_UNAVAILABLE'], [6, 'AUDIT_UNAVAILABLE']]);
      expect(writer.depth()).toBe(0); // the refused batch is not counted as buffered while its signing is still pending
      gate.release(0);
      outcomes = await Promise.all([...first, ...second]);
    });
    expect(seen).toEqual([]);
    expect(outcomes.map(outcomeOf)).toEqual([1, 2, 3, 'AUDIT_UNAVAILABLE', 'AUDIT_UNAVAILABLE', 'AUDIT_UNAVAILABLE']);
    expect(store.calls).toHaveLength(1); // the refused batch never reached the store
    expect(seqsOf(store, writer.chainId)).toEqual([1, 2, 3]);
    expect(checkpointsOf(store, writer.chainId).map((c) => c.seq)).toEqual([0]);
    expect(writer.accepting()).toBe(false);
    expect(writer.depth()).toBe(0);
  });

  it('a checkpoint signature that fails during the hand-over holds nothing back: both batches commit and resolve in order, the next goes without a checkpoint, one follows at its end, no unhandled rejection', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold'];
    gate.arm(['fail']);
    const t = tracker(store, writer);
    let results: ChainedAccessRecord[] = [];
    const seen = await unhandledRejectionsDuring(async () => {
      const first = range(1, 3).map((i) => t.track(writer.append(sampleRecord(i))));
      await waitFor(() => store.calls.length === 1);
      const second = range(4, 6).map((i) => t.track(writer.append(sampleRecord(i))));
      store.release(0);
      results = await Promise.all([...first, ...second]);
      await waitFor(() => checkpointsOf(store, writer.chainId).length === 2);
    });
    expect(seen).toEqual([]);
    expect(t.resolved).toEqual(range(1, 6));
    expect(t.storedAtResolve.every(Boolean)).toBe(true);
    expect(store.calls.map((c) => [c.seqs, c.checkpoints.length])).toEqual([[[1, 2, 3], 0], [[4, 5, 6], 0]]);
    expect(results.every((r, i) => i === 0 || r.prevHash === results[i - 1]!.hash)).toBe(true);
    expect(checkpointsOf(store, writer.chainId).at(-1)).toMatchObject({ seq: 6, hash: results[5]!.hash });
    expect(writer.stats()).toMatchObject({ committed: 6, depth: 0, failures: 0 });
  });

  // Found on the signing-failure path the hand-over now runs (older than d4d97e9): the number was
  // taken before the signature was attempted, so a failed signature left a hole in the numbering
  // that the verifier reported as a removed checkpoint, although nothing was removed. checkpointAt
  // now gives the number back.
  it('a failed checkpoint signature leaves no hole in the checkpoint numbering (no false CHECKPOINT_MISSING after a clean shutdown)', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 3, checkpointEvery: 3 });
    await writer.start();
    store.script = ['hold'];
    gate.arm(['fail']);
    const first = range(1, 3).map((i) => writer.append(sampleRecord(i)));
    await waitFor(() => store.calls.length === 1);
    const second = range(4, 6).map((i) => writer.append(sampleRecord(i)));
    store.release(0);
    await Promise.all([...first, ...second]);
    await writer.flushAndClose();
    const report = await reportOf(store, writer.chainId);
    expect(report?.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, checked: 6 });
    const numbers = checkpointsOf(store, writer.chainId).map((c) => c.n);
    expect(numbers).toEqual(range(1, numbers.length));
  });
});

describe('the hand-over on SQLite, with the default batch cap (500) and checkpoint count (1000)', () => {
  let real: Store;
  beforeAll(async () => {
    real = await createStore('sqlite::memory:');
  });
  afterAll(async () => {
    await real.close();
  });

  it('a flood of 3,100 appends: batches of at most 500 pipelined, seq order, each resolved only after its commit returned, checkpoints numbered without gaps and one per seq, the final one and the ledger CLOSE agreeing', async () => {
    let committedUpTo = 0;
    let resolvedCount = 0;
    const calls: Array<{ from: number; count: number; checkpoints: Checkpoint[]; resolvedBefore: number }> = [];
    let releaseFirst: (() => void) | null = null;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    // The real store, with its record commits observed (and the first held, so a flood queues behind it).
    const store = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        // The ordinary hand-over only: batches sent ahead (send-ahead.test.ts) would pass the held first call here.
        if (prop === 'appendToChainAfter') return undefined;
        if (prop === 'appendToChain') {
          return async (batch: ChainBatch, checkpoints: Checkpoint[] = []) => {
            calls.push({ from: batch.head.seq + 1, count: batch.records.length, checkpoints: [...checkpoints], resolvedBefore: resolvedCount });
            if (calls.length === 1) await firstHeld;
            const hashes = await (value as Store['appendToChain']).call(target, batch, checkpoints);
            committedUpTo = Math.max(committedUpTo, batch.head.seq + batch.records.length);
            return hashes;
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as Store;
    const writer = writerOn(store); // the defaults: maxBatch 500, checkpointEvery 1000
    await writer.start();
    gate.arm([]);
    const resolvedSeqs: number[] = [];
    let resolvedBeforeCommit = 0;
    const track = (p: Promise<ChainedAccessRecord>) =>
      p.then((r) => {
        resolvedCount += 1;
        resolvedSeqs.push(r.seq);
        if (r.seq > committedUpTo) resolvedBeforeCommit += 1;
        return r;
      });
    const first = [track(writer.append(sampleRecord(1)))];
    await waitFor(() => calls.length === 1);
    const rest = range(2, 3100).map((i) => track(writer.append(sampleRecord(i))));
    releaseFirst!();
    const results = await Promise.all([...first, ...rest]);
    expect(resolvedSeqs).toEqual(range(1, 3100));
    expect(resolvedBeforeCommit).toBe(0);
    expect(calls.map((c) => c.count)).toEqual([1, 500, 500, 500, 500, 500, 500, 99]);
    expect(calls.map((c) => c.from)).toEqual([1, 2, 502, 1002, 1502, 2002, 2502, 3002]);
    // Pipelined: each later batch reached the store before the one before it had resolved.
    for (let k = 1; k < calls.length; k++) expect(calls[k]!.resolvedBefore).toBe(calls[k - 1]!.from - 1);
    // Count-bound checkpoints ride in the batch after the one completing 1000 records since the last: at 1001, 2001, 3001.
    expect(calls.flatMap((c) => c.checkpoints.map((cp) => [c.from, cp.seq, cp.n]))).toEqual([[1002, 1001, 2], [2002, 2001, 3], [3002, 3001, 4]]);
    await writer.flushAndClose();
    const stored = await real.checkpointsOf(writer.chainId);
    expect(stored.map((c) => [c.seq, c.n, c.final])).toEqual([[0, 1, false], [1001, 2, false], [2001, 3, false], [3001, 4, false], [3100, 5, true]]);
    expect(stored.find((c) => c.seq === 2001)!.hash).toBe(results[2000]!.hash);
    const ledger = await real.readLedger();
    expect(ledger.filter((e) => e.chainId === writer.chainId).at(-1)).toMatchObject({ kind: 'CLOSE', ending: { how: 'SHUTDOWN', lastSeq: 3100, lastCheckpointSeq: 3100, lastCheckpointN: 5, unsignedRecords: 0 } });
    expect(await reportOf(real, writer.chainId)).toMatchObject({ ok: true, checked: 3100, latestCheckpointSeq: 3100, problems: [] });
  });
});
