/**
 * Attacks on the writer's gathering (gateway/access-log/writer.ts gatherTarget / gatherTurns,
 * commit ca5d62c): acknowledgement before commit, records left pending, seq gaps, unbounded
 * waits, checkpoint numbering, close and abandonment, backpressure, option sanitisation, and the
 * AUDIT_GATHER_TURNS configuration.
 *
 * Nothing here sleeps for time to pass. Turns are counted by a ticker (as in gather.test.ts); the
 * checkpoint interval is captured through a spy on setInterval and fired by the test; the close
 * deadline is set to a delay no other timer uses and captured through a spy on setTimeout, so the
 * test fires it when it chooses. Store calls are scripted (scripted-store.ts) and checkpoint
 * signatures through a spy on crypto.subtle.sign (sign-gate.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ChainedAccessRecord } from '../../../../audit/record.js';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import { ConfigError, loadConfig } from '../../../../core/config.js';
import { CodedError } from '../../../../core/errors.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../../gateway/access-log/writer.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import type { Step } from './scripted-store.js';
import { Ticker, TurnStore } from './turns.js';
import { SignGate, spyOnSigning, storedCheckpointsOf } from './sign-gate.js';
import { turn, unhandledRejectionsDuring } from '../../../helpers/unhandled.js';
import { waitFor } from '../../../helpers/wait.js';

const CHAIN_KEY = Buffer.alloc(32, 9);
let key: SigningKey;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));

let gate = new SignGate();

// ---------------------------------------------------------------------------------------------
// Timers: the checkpoint interval and the close deadline, captured.

const DEADLINE_MS = 765_431; // flushAndClose's timeoutMs in the tests that fire it
let intervalTicks: Array<() => void> = [];
let deadlines: Array<{ callback: () => void; handle: NodeJS.Timeout; state: 'live' | 'fired' | 'cleared' }> = [];
const realSetInterval = globalThis.setInterval;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;

beforeAll(async () => {
  key = await testSigningKey();
  spyOnSigning(() => gate);
  jest.spyOn(globalThis, 'setInterval').mockImplementation(((callback: () => void) => {
    intervalTicks.push(callback);
    return realSetInterval(() => undefined, 3_600_000);
  }) as unknown as typeof setInterval);
  jest.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number, ...args: unknown[]) => {
    if (ms !== DEADLINE_MS) return realSetTimeout(callback, ms, ...args);
    const handle = realSetTimeout(() => undefined, 3_600_000);
    handle.unref();
    deadlines.push({ callback, handle, state: 'live' });
    return handle;
  }) as unknown as typeof setTimeout);
  jest.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle?: NodeJS.Timeout) => {
    const d = deadlines.find((x) => x.handle === handle);
    if (d && d.state === 'live') d.state = 'cleared';
    realClearTimeout(handle);
  }) as unknown as typeof clearTimeout);
});
afterAll(() => {
  jest.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------
// Turns, counted (turns.ts), and a store that notes the count at each call.

/** The turn-noting store with what these attacks ask of it. */
class AttackStore extends TurnStore {
  /** Releases every held call (a store that takes one turn per call, with the ticker). */
  releaseAll(): void {
    this.calls.forEach((_, n) => this.release(n));
  }
  /** Whether a call carrying `seq` has returned successfully. */
  committed(seq: number): boolean {
    return this.calls.some((c) => c.outcome === 'ok' && c.seqs.includes(seq));
  }
  pending(): boolean {
    return this.calls.some((c) => c.outcome === 'pending');
  }
}

const writers: AccessLogWriter[] = [];
const tickers: Ticker[] = [];
const stores: AttackStore[] = [];
afterEach(async () => {
  gate.armed = false;
  for (const [n] of gate.calls.entries()) gate.release(n);
  for (const s of stores.splice(0)) {
    s.script = [];
    for (const [n] of s.calls.entries()) s.release(n);
  }
  for (const d of deadlines) if (d.state === 'live') ((d.state = 'fired'), d.callback());
  for (const t of tickers.splice(0)) t.stop();
  for (const w of writers.splice(0)) await w.flushAndClose({ timeoutMs: 200 }).catch(() => undefined);
  for (const d of deadlines) realClearTimeout(d.handle);
  deadlines = [];
  intervalTicks = [];
  gate = new SignGate();
});

function setUp(options: Partial<AccessLogWriterOptions> = {}) {
  const ticker = new Ticker();
  tickers.push(ticker);
  const store = new AttackStore(ticker);
  stores.push(store);
  const writer = createAccessLogWriter({ store: store.asStore(), chainId: `gather-attack-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 2, checkpointIntervalMs: 3_600_000, ...options });
  writers.push(writer);
  /** Per seq: how its append settled, whether its store call had returned ok by then, the store's call count and the tick. */
  const settled = new Map<number, { how: string; committed: boolean; calls: number; ticks: number }>();
  const violations: string[] = [];
  let next = 1;
  /** Appends the next record (seq order is append order); never rejects (the outcome is noted). */
  const append = (): Promise<void> => {
    const seq = next++;
    return writer.append(sampleRecord(seq)).then(
      (r: ChainedAccessRecord) => {
        if (r.seq !== seq) violations.push(`record ${seq} resolved as seq ${r.seq}`);
        if (settled.has(seq)) violations.push(`seq ${seq} settled twice`);
        settled.set(seq, { how: 'resolved', committed: store.committed(seq), calls: store.calls.length, ticks: ticker.ticks });
      },
      (err: unknown) => {
        if (settled.has(seq)) violations.push(`seq ${seq} settled twice`);
        settled.set(seq, { how: String(codeOf(err)), committed: store.committed(seq), calls: store.calls.length, ticks: ticker.ticks });
      },
    );
  };
  /** Appends one record per turn for `turns` turns, while the writer accepts (the first in the next turn). */
  const trickle = async (turns: number, perTurn = 1): Promise<Array<Promise<void>>> => {
    const out: Array<Promise<void>> = [];
    for (let i = 0; i < turns; i++) {
      await turn();
      for (let k = 0; k < perTurn && writer.accepting(); k++) out.push(append());
    }
    return out;
  };
  /**
   * Appends `perTick` records at each of the ticker's next `ticks` ticks, while the writer accepts.
   * The ticker's callback runs before the pump's own setImmediate in each turn, so the gather sees
   * the records of the turn it waited for. Resolves with the appends once the ticks are done.
   */
  const feed = (ticks: number, perTick = 1, also?: () => void): Promise<Array<Promise<void>>> =>
    new Promise((resolve) => {
      const out: Array<Promise<void>> = [];
      let left = ticks;
      ticker.onTick = () => {
        for (let k = 0; k < perTick && writer.accepting(); k++) out.push(append());
        also?.();
        if (--left === 0) {
          ticker.onTick = null;
          resolve(out);
        }
      };
    });
  return { ticker, store, writer, append, trickle, feed, settled, violations };
}

type Rig = ReturnType<typeof setUp>;

/** The store's successful calls: every seq once, in order, 1..last (retries of one batch collapse). */
function committedSeqs(store: AttackStore): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  for (const c of store.calls) if (c.outcome === 'ok') for (const s of c.seqs) if (!seen.has(s)) (seen.add(s), out.push(s));
  return out;
}

/** No acknowledgement before commit, no gap, nothing settled twice, every resolved record in the store. */
function expectSound(t: Rig, resolvedSeqs: number[]): void {
  expect(t.violations).toEqual([]);
  for (const seq of resolvedSeqs) expect([seq, t.settled.get(seq)?.how, t.settled.get(seq)?.committed]).toEqual([seq, 'resolved', true]);
  const rows = t.store.rows.filter((r) => r.chainId === t.writer.chainId).map((r) => r.seq);
  expect(rows).toEqual(range(1, rows.length));
}

const reportOf = async (store: AttackStore, chainId: string) => (await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);
const checkpointNumbers = (store: AttackStore, chainId: string) => storedCheckpointsOf(store, chainId).map((c) => c.n);

/** Starts the writer, holds the first store call with `first` records in it, queues `queued` behind it, releases it and waits until the first batch has resolved (the pump is then gathering). */
async function gatheringBehind(t: Rig, first: number, queued: number): Promise<Array<Promise<void>>> {
  await t.writer.start();
  t.store.script = ['hold'];
  const held = range(1, first).map(() => t.append());
  await waitFor(() => t.store.calls.length === 1);
  const behind = range(1, queued).map(() => t.append());
  t.ticker.start();
  t.store.release(0);
  await Promise.all(held);
  return behind;
}

// ---------------------------------------------------------------------------------------------

describe('gathering under attack', () => {
  it('backpressure: a buffer that fills (bufferMax below gatherTarget) ends the gather at once: the writer never refuses appends while it waits with no store call pending', async () => {
    // Every store call is held and released by the ticker, so the pump never goes idle; appends
    // fill the buffer at every tick. Each tick notes whether appends are being refused while the
    // writer is merely waiting (no store call pending).
    const t = setUp({ bufferMax: 4, gatherTarget: 64, gatherTurns: 16 });
    await t.writer.start();
    t.store.script = range(1, 200).map((): Step => 'hold');
    const all = [t.append()];
    await waitFor(() => t.store.calls.length === 1);
    const refusedWhileWaiting: number[] = [];
    let ticks = 0;
    await new Promise<void>((done) => {
      t.ticker.onTick = () => {
        ticks += 1;
        if (!t.writer.accepting() && !t.store.pending()) refusedWhileWaiting.push(ticks);
        while (ticks <= 30 && t.writer.accepting()) all.push(t.append());
        t.store.calls.forEach((_, n) => t.store.release(n));
        if (ticks === 40) done();
      };
      t.ticker.start();
    });
    t.ticker.onTick = null;
    await Promise.all(all);
    expect(all.length).toBeGreaterThan(30);
    expect(refusedWhileWaiting).toEqual([]);
    expectSound(t, range(1, all.length));
    expect(committedSeqs(t.store)).toEqual(range(1, all.length));
  });

  /**
   * Starts the writer and feeds it `n` records, one per turn, while each store call takes a turn
   * (the writer under load); returns the most turns between two store calls once all resolved.
   */
  async function trickleUnderLoad(t: ReturnType<typeof setUp>, n: number): Promise<number> {
    await t.writer.start();
    t.store.script = range(1, n).map((): Step => 'hold');
    const feeding = t.feed(n, 1, () => t.store.releaseAll());
    t.ticker.start();
    const all = await feeding;
    t.store.script = [];
    t.store.releaseAll();
    await Promise.all(all);
    return Math.max(...t.store.ticksAtCall.slice(1).map((tick, i) => tick - t.store.ticksAtCall[i]!));
  }

  it('a steady trickle (one record per turn) is committed at least every gatherTurns + 2 turns: gathering never starves it, every record resolves only after its commit, in order', async () => {
    const t = setUp({ gatherTarget: 500, gatherTurns: 8 });
    const maxGap = await trickleUnderLoad(t, 80);
    expect(maxGap).toBeLessThanOrEqual(8 + 2);
    expect(Math.max(...t.store.calls.map((c) => c.seqs.length))).toBeGreaterThan(1); // it did gather
    expect(t.store.calls.length).toBeGreaterThanOrEqual(80 / 10);
    expect(committedSeqs(t.store)).toEqual(range(1, 80));
    expectSound(t, range(1, 80));
  });

  it('gatherTurns Infinity (past the config cap) is still bounded by the target: a trickle goes in batches of at most gatherTarget, a commit at least every target + 2 turns', async () => {
    const t = setUp({ gatherTarget: 6, gatherTurns: Number.POSITIVE_INFINITY });
    const maxGap = await trickleUnderLoad(t, 60);
    expect(maxGap).toBeLessThanOrEqual(6 + 2);
    expect(Math.max(...t.store.calls.map((c) => c.seqs.length))).toBe(6);
    expectSound(t, range(1, 60));
  });

  it('flushAndClose mid-gather: the gather ends in the turn it began, the queued records commit before the final checkpoint, which covers the last one; later appends are refused', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 1_000 });
    const feeding = t.feed(3); // each turn brings one: the gather goes on
    const behind = await gatheringBehind(t, 1, 2);
    const trickled = await feeding;
    expect(t.store.calls).toHaveLength(1);
    const closeTick = t.ticker.ticks;
    const closed = t.writer.flushAndClose();
    const late = t.writer.append(sampleRecord(999)).then(
      () => 'resolved',
      (err: unknown) => codeOf(err),
    );
    await closed;
    await Promise.all([...behind, ...trickled]);
    expect(await late).toBe('AUDIT_UNAVAILABLE');
    expect(t.store.ticksAtCall[1]! - closeTick).toBe(0); // in the turn close was called
    expect(t.store.calls[1]!.seqs).toEqual(range(2, 6));
    expectSound(t, range(1, 6));
    expect(t.writer.depth()).toBe(0);
    const cps = storedCheckpointsOf(t.store, t.writer.chainId);
    expect(cps.at(-1)).toMatchObject({ seq: 6, final: true });
    expect(cps.map((c) => c.n)).toEqual(range(1, cps.length));
    expect(t.store.ledger.at(-1)).toMatchObject({ kind: 'CLOSE', ending: { how: 'SHUTDOWN', lastSeq: 6, lastCheckpointSeq: 6 } });
  });

  it('abandoned at the close deadline mid-gather: the queued records are refused AUDIT_UNAVAILABLE once each, never reach the store, depth() is 0, no unhandled rejection', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 1_000 });
    let closeOutcome = '';
    const seen = await unhandledRejectionsDuring(async () => {
      const behind = await gatheringBehind(t, 1, 2);
      // The drain cannot finish: the ledger is down, so the close has to give up.
      t.store.failing = true;
      const closing = t.writer.flushAndClose({ timeoutMs: DEADLINE_MS }).then(
        () => 'closed',
        (err: unknown) => `${(err as Error).name}, depth ${t.writer.depth()}`,
      );
      expect(deadlines).toHaveLength(1);
      deadlines[0]!.state = 'fired';
      deadlines[0]!.callback(); // in the same turn: the pump is still gathering
      closeOutcome = await closing;
      await Promise.all(behind);
      for (let i = 0; i < 3; i++) await turn();
    });
    expect(seen).toEqual([]);
    expect(closeOutcome).toBe('ClosingError, depth 0'); // depth() is 0 as soon as the close gives up
    expect([2, 3].map((seq) => t.settled.get(seq)?.how)).toEqual(['AUDIT_UNAVAILABLE', 'AUDIT_UNAVAILABLE']);
    expect(t.store.calls.map((c) => c.seqs)).toEqual([[1]]);
    expect(t.writer.depth()).toBe(0);
    expectSound(t, [1]);
  });

  it('the timed checkpoint and a count checkpoint falling due during a gather ride, as one checkpoint at the committed head, in the gathered batch; numbering has no hole to the final one', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 1_000, checkpointEvery: 2 });
    gate.arm([]);
    const feeding = t.feed(2);
    const behind = await gatheringBehind(t, 2, 1); // 2 committed: a count checkpoint is due
    expect(intervalTicks).toHaveLength(1);
    intervalTicks[0]!(); // and the interval fires while the pump gathers
    const trickled = await feeding;
    await Promise.all([...behind, ...trickled]);
    expect(t.store.calls).toHaveLength(2);
    expect(t.store.calls[1]!.seqs).toEqual([3, 4, 5]);
    expect(t.store.calls[1]!.checkpoints.map((c) => [c.seq, c.n, c.final])).toEqual([[2, 2, false]]);
    expect(gate.calls.filter((c) => c.n > 1).map((c) => [c.seq, c.n])).toEqual([[2, 2]]); // signed once (n 1 is the start's)
    await t.writer.flushAndClose();
    expectSound(t, range(1, 5));
    expect(checkpointNumbers(t.store, t.writer.chainId)).toEqual(range(1, checkpointNumbers(t.store, t.writer.chainId).length));
    expect(storedCheckpointsOf(t.store, t.writer.chainId).at(-1)).toMatchObject({ seq: 5, final: true });
    expect(await reportOf(t.store, t.writer.chainId)).toMatchObject({ ok: true, checked: 5, problems: [] });
  });

  it('a gathered batch whose checkpoint signature fails, then whose store call fails twice (once after committing): retried with the same seqs, records queued meanwhile follow, nothing resolves before its commit, no numbering hole', async () => {
    const t = setUp({ gatherTarget: 64, gatherTurns: 4, checkpointEvery: 1 });
    await t.writer.start();
    gate.arm(['fail']);
    t.store.script = ['hold', 'holdThenFail', 'failAfterCommit'];
    const all = [t.append()];
    await waitFor(() => t.store.calls.length === 1);
    all.push(t.append(), t.append());
    t.ticker.start();
    t.store.release(0);
    await waitFor(() => t.store.calls.length === 2); // the gathered batch, its signature failed
    all.push(...(await t.trickle(3)));
    expect(t.settled.get(2)).toBeUndefined();
    t.store.release(1);
    all.push(...(await t.trickle(3)));
    await Promise.all(all);
    const attempts = t.store.calls.filter((c) => c.seqs.includes(2));
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(attempts.map((c) => c.seqs.join(','))).size).toBe(1);
    expect(attempts[0]!.checkpoints).toEqual([]); // its signature failed: it goes without
    await t.writer.flushAndClose();
    expectSound(t, range(1, all.length));
    expect(committedSeqs(t.store)).toEqual(range(1, all.length));
    expect(checkpointNumbers(t.store, t.writer.chainId)).toEqual(range(1, checkpointNumbers(t.store, t.writer.chainId).length));
    expect(await reportOf(t.store, t.writer.chainId)).toMatchObject({ ok: true, checked: all.length, problems: [] });
  });

  it('seeded schedules of holds, failures, lost acknowledgements, timed checkpoints and bursts, then close: every append settles once, none before its commit, no seq gap, no checkpoint numbering hole, the chain verifies', async () => {
    for (const seed of [1, 2, 3, 4]) {
      let s = seed >>> 0; // mulberry32
      const rand = () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let x = Math.imul(s ^ (s >>> 15), 1 | s);
        x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
        return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
      };
      const t = setUp({ gatherTarget: 1 + Math.floor(rand() * 40), gatherTurns: Math.floor(rand() * 20), maxBatch: 5 + Math.floor(rand() * 60), checkpointEvery: 1 + Math.floor(rand() * 30), bufferMax: 20 + Math.floor(rand() * 200) });
      const steps: Step[] = ['ok', 'ok', 'ok', 'hold', 'fail', 'failAfterCommit', 'holdThenFail'];
      await t.writer.start();
      t.store.script = Array.from({ length: 400 }, () => steps[Math.floor(rand() * steps.length)]!);
      t.ticker.start();
      const all: Array<Promise<void>> = [];
      for (let i = 0; i < 120; i++) {
        await turn();
        const burst = rand() < 0.2 ? Math.floor(rand() * 30) : Math.floor(rand() * 3);
        for (let k = 0; k < burst && t.writer.accepting(); k++) all.push(t.append());
        if (rand() < 0.05) intervalTicks.at(-1)!();
        for (const [n, c] of t.store.calls.entries()) if (c.outcome === 'pending' && rand() < 0.3) t.store.release(n);
      }
      t.store.script = [];
      const releaseAll = () => t.store.calls.forEach((_, n) => t.store.release(n));
      t.ticker.onTick = releaseAll;
      releaseAll();
      await t.writer.flushAndClose();
      await Promise.all(all);
      t.ticker.onTick = null;
      expect([seed, t.settled.size]).toEqual([seed, all.length]);
      expectSound(t, range(1, all.length));
      expect([seed, committedSeqs(t.store)]).toEqual([seed, range(1, all.length)]);
      const numbers = checkpointNumbers(t.store, t.writer.chainId);
      expect([seed, numbers]).toEqual([seed, range(1, numbers.length)]);
      expect(storedCheckpointsOf(t.store, t.writer.chainId).at(-1)).toMatchObject({ seq: all.length, final: true });
      expect(await reportOf(t.store, t.writer.chainId)).toMatchObject({ ok: true, checked: all.length, problems: [] });
    }
  });
});

describe('option sanitisation', () => {
  /** Whether a record queued behind a commit was gathered (its predecessor resolved before it went to the store) or handed over. */
  async function gathers(options: Partial<AccessLogWriterOptions>): Promise<boolean> {
    const t = setUp(options);
    const behind = await gatheringBehind(t, 1, 1);
    const gathered = t.settled.get(1)!.calls === 1;
    await Promise.all(behind);
    expectSound(t, [1, 2]);
    return gathered;
  }

  it.each([
    ['gatherTurns NaN: the default (16)', { gatherTurns: Number.NaN }, true],
    ['gatherTurns Infinity: gathers (bounded by the target)', { gatherTurns: Number.POSITIVE_INFINITY }, true],
    ['gatherTurns 1e308: gathers', { gatherTurns: 1e308 }, true],
    ['gatherTurns -Infinity: off', { gatherTurns: Number.NEGATIVE_INFINITY }, false],
    ['gatherTurns 0.9: off (whole turns)', { gatherTurns: 0.9 }, false],
    ['gatherTurns 1.9: one turn', { gatherTurns: 1.9 }, true],
    ['gatherTarget NaN: the default (64)', { gatherTarget: Number.NaN }, true],
    ['gatherTarget 0: off', { gatherTarget: 0 }, false],
    ['gatherTarget -Infinity: off', { gatherTarget: Number.NEGATIVE_INFINITY }, false],
    ['gatherTarget 1.9: 1, off', { gatherTarget: 1.9 }, false],
    ['gatherTarget 2.5: 2, gathers one record', { gatherTarget: 2.5 }, true],
    ['gatherTarget Infinity: maxBatch (500)', { gatherTarget: Number.POSITIVE_INFINITY }, true],
    ['maxBatch NaN: the default (500), so the target stays 64: gathers', { maxBatch: Number.NaN }, true],
    ['maxBatch Infinity: the default (500): gathers', { maxBatch: Number.POSITIVE_INFINITY }, true],
    ['maxBatch 1: off whatever the target', { maxBatch: 1, gatherTarget: 1_000 }, false],
  ] as Array<[string, Partial<AccessLogWriterOptions>, boolean]>)('%s', async (_name, options, expected) => {
    expect(await gathers({ gatherTarget: 64, gatherTurns: 16, ...options })).toBe(expected);
  });
});

describe('AUDIT_GATHER_TURNS', () => {
  it('defaults to 16 and takes whole numbers 0 to 1000; anything else is a ConfigError naming the variable', () => {
    expect(loadConfig({}).audit.gatherTurns).toBe(16);
    expect(loadConfig({ AUDIT_GATHER_TURNS: '0' }).audit.gatherTurns).toBe(0);
    expect(loadConfig({ AUDIT_GATHER_TURNS: '1000' }).audit.gatherTurns).toBe(1000);
    for (const bad of ['1001', '-1', '1.5', 'many', 'Infinity', 'NaN', ' ', '0x10', '1e3']) {
      let problem: unknown = null;
      try {
        loadConfig({ AUDIT_GATHER_TURNS: bad });
      } catch (err) {
        problem = err;
      }
      expect([bad, problem instanceof ConfigError]).toEqual([bad, true]);
      expect(String((problem as Error).message)).toContain('AUDIT_GATHER_TURNS');
    }
  });
});
