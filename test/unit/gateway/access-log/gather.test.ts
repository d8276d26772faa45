/**
 * The writer's gathering (gateway/access-log/writer.ts, gatherTarget and gatherTurns): when a
 * commit completes with fewer than gatherTarget records queued, that commit's appends resolve
 * first, and the queued records wait for more, one event-loop turn at a time, for as long as each
 * turn brings records and at most gatherTurns turns. A queue at the target is handed over at once.
 *
 * Turns are counted by a ticker that re-arms itself with setImmediate; the store notes the count
 * when each call reaches it. No timers, no sleeps.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChainedAccessRecord } from '../../../../audit/record.js';
import type { SigningKey } from '../../../../core/keys.js';
import { MAX_GATHER_TURNS } from '../../../../core/config.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../../gateway/access-log/writer.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { Ticker, TurnStore } from './turns.js';
import { turn } from '../../../helpers/unhandled.js';
import { waitFor } from '../../../helpers/wait.js';

const CHAIN_KEY = Buffer.alloc(32, 9);
let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const writers: AccessLogWriter[] = [];
const tickers: Ticker[] = [];
afterEach(async () => {
  for (const t of tickers.splice(0)) t.stop();
  for (const w of writers.splice(0)) await w.flushAndClose({ timeoutMs: 200 }).catch(() => undefined);
});

function setUp(options: Partial<AccessLogWriterOptions> = {}) {
  const ticker = new Ticker();
  tickers.push(ticker);
  const store = new TurnStore(ticker);
  const writer = createAccessLogWriter({ store: store.asStore(), chainId: `gather-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, ...options });
  writers.push(writer);
  /** When each append resolved: the store's call count and the ticker's count at that moment. */
  const resolvedAt = new Map<number, { calls: number; ticks: number }>();
  const append = (i: number) =>
    writer.append(sampleRecord(i)).then((r: ChainedAccessRecord) => {
      resolvedAt.set(r.seq, { calls: store.calls.length, ticks: ticker.ticks });
      return r;
    });
  return { ticker, store, writer, append, resolvedAt };
}

/**
 * Starts the writer, appends `first` while the store holds their commit, appends `queued` behind
 * it, runs `beforeRelease` (its result awaited with the appends), then releases the hold;
 * resolves to all those pending appends.
 */
async function queuedBehindHeld(t: ReturnType<typeof setUp>, first: number[], queued: number[], beforeRelease?: () => unknown): Promise<Array<Promise<unknown>>> {
  await t.writer.start();
  t.store.script = ['hold'];
  const held = first.map(t.append);
  await waitFor(() => t.store.calls.length === 1);
  const behind = queued.map(t.append);
  const also = Promise.resolve(beforeRelease?.());
  t.store.release(0);
  return [...held, ...behind, also];
}

/** queuedBehindHeld, waiting for everything it started. */
async function behindHeldCommit(t: ReturnType<typeof setUp>, first: number[], queued: number[], beforeRelease?: () => unknown): Promise<void> {
  await Promise.all(await queuedBehindHeld(t, first, queued, beforeRelease));
}

/** Appends one record per turn for `turns` turns (the first in the next turn). */
async function trickle(append: (i: number) => Promise<ChainedAccessRecord>, from: number, turns: number): Promise<Array<Promise<ChainedAccessRecord>>> {
  const out: Array<Promise<ChainedAccessRecord>> = [];
  for (let i = 0; i < turns; i++) {
    await turn();
    out.push(append(from + i));
  }
  return out;
}

/**
 * Record 1 committing (held), record 2 queued behind it, then one record per turn for `turns`
 * turns from the release on; resolves with how many turns record 2's batch waited after record 1
 * resolved.
 */
async function trickleBehindOne(t: ReturnType<typeof setUp>, turns: number): Promise<{ store: TurnStore; waited: number }> {
  const pending = await queuedBehindHeld(t, [1], [2], () => t.ticker.start());
  const trickled = await trickle(t.append, 3, turns);
  await Promise.all([...pending, ...trickled]);
  return { store: t.store, waited: t.store.ticksAtCall[1]! - t.resolvedAt.get(1)!.ticks };
}

describe('gathering a small batch behind a commit', () => {
  it('resolves the committed batch first, then waits while each turn brings records: the next call carries them too', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 16 });
    const { store, resolvedAt } = t;
    const pending = await queuedBehindHeld(t, range(1, 3), range(4, 5), () => t.ticker.start());
    const trickled = await trickle(t.append, 6, 6);
    await Promise.all([...pending, ...trickled]);
    // The first batch's appends ran before anything more went to the store (no hand-over)...
    for (const seq of range(1, 3)) expect(resolvedAt.get(seq)!.calls).toBe(1);
    // ...and the records queued behind it waited for the ones that kept coming.
    expect(store.calls[1]!.seqs.slice(0, 2)).toEqual([4, 5]);
    expect(store.calls[1]!.seqs.length).toBeGreaterThan(2 + 3);
    expect(store.calls.flatMap((c) => c.seqs)).toEqual(range(1, 11));
  });

  it('a turn that brings nothing ends the wait: a lone queued record goes within two turns of its predecessors resolving', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 16 });
    const { store, resolvedAt } = t;
    await behindHeldCommit(t, [1], [2], () => t.ticker.start());
    expect(resolvedAt.get(1)!.calls).toBe(1);
    expect(store.calls[1]!.seqs).toEqual([2]);
    expect(store.ticksAtCall[1]! - resolvedAt.get(1)!.ticks).toBeLessThanOrEqual(2);
  });

  it('waits at most gatherTurns turns, however many keep coming', async () => {
    const { store, waited } = await trickleBehindOne(setUp({ gatherTarget: 64, gatherTurns: 4 }), 30);
    expect(waited).toBeGreaterThanOrEqual(2);
    expect(waited).toBeLessThanOrEqual(4 + 1);
    expect(store.calls[1]!.seqs.length).toBeLessThanOrEqual(1 + 4 + 1);
    expect(store.calls.flatMap((c) => c.seqs)).toEqual(range(1, 32));
  });

  it('a checkpoint that fell due with the commit rides in the gathered batch, signing the committed head', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 16, checkpointEvery: 1 });
    const { store, writer, resolvedAt } = t;
    await behindHeldCommit(t, [1], [2]);
    expect(resolvedAt.get(1)!.calls).toBe(1); // gathered, not handed over
    expect(store.calls[1]!.seqs).toEqual([2]);
    expect(store.calls[1]!.checkpoints.map((c) => [c.seq, c.final])).toEqual([[1, false]]);
    await writer.flushAndClose();
    const seqs = store.checkpoints.filter((c) => c.chainId === writer.chainId).map((c) => c.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.at(-1)).toBe(2);
  });

  it('a queue at gatherTarget is handed over at once, before the committed batch\'s appends resolve', async () => {
    const t = setUp({ gatherTarget: 3, gatherTurns: 16 });
    const { store, resolvedAt } = t;
    await behindHeldCommit(t, [1, 2], [3, 4, 5]);
    expect(store.calls.map((c) => c.seqs)).toEqual([[1, 2], [3, 4, 5]]);
    for (const seq of [1, 2]) expect(resolvedAt.get(seq)!.calls).toBe(2);
  });

  it('gatherTurns 0 hands over any queue at once (the behaviour before gathering)', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 0 });
    await behindHeldCommit(t, [1], [2]);
    expect(t.resolvedAt.get(1)!.calls).toBe(2);
  });

  it('a target above maxBatch counts as maxBatch: a full batch behind a commit is handed over', async () => {
    const t = setUp({ maxBatch: 2, gatherTarget: 1_000, gatherTurns: 16 });
    const { store, resolvedAt } = t;
    await behindHeldCommit(t, [1, 2], [3, 4]);
    expect(store.calls.map((c) => c.seqs)).toEqual([[1, 2], [3, 4]]);
    for (const seq of [1, 2]) expect(resolvedAt.get(seq)!.calls).toBe(2);
  });

  it('closing does not gather: what is queued when close begins is handed over at once, then the final checkpoint', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 1_000 });
    const { store, writer, resolvedAt } = t;
    await behindHeldCommit(t, [1], [2], () => writer.flushAndClose());
    expect(store.calls.slice(0, 2).map((c) => c.seqs)).toEqual([[1], [2]]);
    expect(resolvedAt.get(1)!.calls).toBe(2);
    expect(store.checkpoints.filter((c) => c.chainId === writer.chainId && c.final)).toHaveLength(1);
  });

  it('gathers for at most MAX_GATHER_TURNS turns however many are asked for (Infinity included), while records keep coming', async () => {
    const { store, waited } = await trickleBehindOne(setUp({ maxBatch: 5_000, gatherTarget: 5_000, gatherTurns: Number.POSITIVE_INFINITY }), MAX_GATHER_TURNS + 100);
    expect(waited).toBeGreaterThan(MAX_GATHER_TURNS / 2);
    expect(waited).toBeLessThanOrEqual(MAX_GATHER_TURNS + 1);
    // The batch went when the turns ran out, not at the target, and the rest followed.
    expect(store.calls[1]!.seqs.length).toBeLessThanOrEqual(MAX_GATHER_TURNS + 2);
    expect(store.calls.flatMap((c) => c.seqs)).toEqual(range(1, MAX_GATHER_TURNS + 102));
  });

  it('a maxBatch that is not a finite number is the default (500): a batch stays bounded', async () => {
    const t = setUp({ maxBatch: Number.POSITIVE_INFINITY, gatherTurns: 0 });
    await behindHeldCommit(t, [1], range(2, 1_201));
    expect(t.store.calls.map((c) => c.seqs.length)).toEqual([1, 500, 500, 200]);
  });

  it('out-of-range options fall back: NaN target and turns are the defaults, a negative turn count disables gathering', async () => {
    const nan = setUp({ gatherTarget: Number.NaN, gatherTurns: Number.NaN });
    await behindHeldCommit(nan, [1], [2]);
    expect(nan.resolvedAt.get(1)!.calls).toBe(1); // gathered (the default), not handed over

    const off = setUp({ gatherTurns: -3 });
    await behindHeldCommit(off, [1], [2]);
    expect(off.resolvedAt.get(1)!.calls).toBe(2); // handed over
  });
});
