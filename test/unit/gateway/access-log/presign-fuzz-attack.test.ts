/**
 * Session 32's review of presign (gateway/access-log/writer.ts): a random hostile environment. Store calls held / failed / acks lost at
 * random, checkpoint signatures held / failed / timed out at random, the interval timer fired at
 * random, appends in waves, close at a random moment. After each run the guarantees are checked.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import type { ChainedAccessRecord } from '../../../../audit/record.js';
import { CodedError } from '../../../../core/errors.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import type { Step } from './ordered-store.js';
import { SignGate, spyOnSigning, storedCheckpointsOf, type SignStep } from './sign-gate.js';
import { captureInterval, CHAIN_KEY, range, verified, WatchedStore } from './presign-harness.js';
import { jest } from '@jest/globals';
import { writersClosedAfterEach } from './closed-writers.js';

let key: SigningKey;
let gate = new SignGate();
let interval: { ticks: Array<() => void> };
/**
 * The checkpoint signature's time limit, set to a delay no other timer uses so that a spy on
 * setTimeout captures it: the chaos loop fires it once a signature has taken SIGN_LIMIT_STEPS of
 * its steps. On the clock (8 ms), a machine that took longer than that to sign gave every
 * checkpoint up, and the runs reached no batch sent ahead with one.
 */
const SIGN_LIMIT_MS = 987_653;
const SIGN_LIMIT_STEPS = 8;
const signLimits: Array<{ callback: () => void; handle: NodeJS.Timeout; steps: number; live: boolean }> = [];
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
beforeAll(async () => {
  key = await testSigningKey();
  spyOnSigning(() => gate);
  interval = captureInterval();
  jest.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number, ...args: unknown[]) => {
    if (ms !== SIGN_LIMIT_MS) return realSetTimeout(callback, ms, ...args);
    const handle = realSetTimeout(() => undefined, 3_600_000);
    handle.unref(); // a stand-in: the chaos loop fires the writer's callback
    signLimits.push({ callback, handle, steps: 0, live: true });
    return handle;
  }) as unknown as typeof setTimeout);
  jest.spyOn(globalThis, 'clearTimeout').mockImplementation(((handle?: NodeJS.Timeout) => {
    const limit = signLimits.find((x) => x.handle === handle);
    if (limit) limit.live = false;
    realClearTimeout(handle);
  }) as unknown as typeof clearTimeout);
});
afterAll(() => {
  jest.restoreAllMocks();
});
const writers = writersClosedAfterEach();

/** A gate whose final checkpoint signatures always pass (a failed final signature is pre-existing behaviour, out of scope). */
class NoFinalFailGate extends SignGate {
  override async before(data: Uint8Array): Promise<void> {
    const [, payload] = Buffer.from(data).toString('latin1').split('.');
    try {
      const body = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { final?: boolean; n?: number };
      if (body.final === true && typeof body.n === 'number') {
        this.calls.push({ seq: -1, n: body.n, final: true, outcome: 'ok', afterClose: this.closed });
        this.script.splice(this.calls.length - 1, 0, 'pass');
        return;
      }
    } catch {
      /* a ledger entry */
    }
    return super.before(data);
  }
}

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Outcome {
  problems: string[];
  abandoned: boolean;
}

async function run(seed: number, opts: { closeMidway: boolean; deadline: number; mild?: boolean }): Promise<Outcome> {
  const r = rng(seed);
  const problems: string[] = [];
  const store = new WatchedStore();
  const chainId = `fuzz-${seed}-${Date.now()}`;
  store.chain = chainId;
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } }));
  gate = new NoFinalFailGate();
  const maxBatch = pick(r, [2, 3, 5]);
  const every = pick(r, [1, 2, 3, 5, 8]);
  const writer = createAccessLogWriter({ store: store as unknown as Store, chainId, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 4, checkpointIntervalMs: 3_600_000, checkpointSignTimeoutMs: SIGN_LIMIT_MS, maxBatch, checkpointEvery: every, logger, gatherTurns: pick(r, [0, 16]) });
  writers.push(writer);
  const ticksBefore = interval.ticks.length;
  await writer.start();
  const tick = interval.ticks[ticksBefore]!;
  const steps: Step[] = opts.mild ? ['ok', 'ok', 'ok', 'hold', 'hold', 'hold', 'ok', 'ok', 'ok', 'ok', 'ok', 'holdThenFail', 'holdThenLoseAck', 'fail'] : ['ok', 'ok', 'ok', 'ok', 'fail', 'hold', 'hold', 'holdThenFail', 'holdThenLoseAck'];
  store.script = range(0, 400).map(() => pick(r, steps));
  const signSteps: SignStep[] = opts.mild ? ['pass', 'pass', 'pass', 'pass', 'pass', 'pass', 'hold', 'fail'] : ['pass', 'pass', 'pass', 'hold', 'hold', 'fail', 'holdThenFail'];
  gate.arm(range(0, 400).map(() => pick(r, signSteps)));
  let chaos = true;
  let closeCalled = false;
  const tickIfLive = () => { if (!closeCalled) tick(); };
  // A step of the chaos loop waits for the signatures under way (let through by the gate: only
  // WebCrypto's time is left), so that a machine signing slowly does not see store calls released,
  // time limits fire, or the waves of appends and the close go by while they sign: the steps, not
  // the clock, are the run's time. On the clock, signatures made 4 ms slower (they take about a
  // quarter of one) were enough for sixty more seeds to reach no refused batch sent ahead with a
  // checkpoint.
  let step = 0;
  const stepWaiters: Array<{ at: number; resolve: () => void }> = [];
  const afterSteps = (k: number) => new Promise<void>((resolve) => (k > 0 ? stepWaiters.push({ at: step + k, resolve }) : setTimeout(resolve, 0)));
  const chaosLoop = (async () => {
    while (chaos) {
      await sleep(1);
      while (gate.signing.size > 0) await Promise.allSettled([...gate.signing]);
      step += 1;
      for (const waiter of stepWaiters.filter((x) => x.at <= step)) stepWaiters.splice(stepWaiters.indexOf(waiter), 1), waiter.resolve();
      for (let i = 0; i < store.calls.length; i++) if (store.calls[i]!.outcome === 'pending' && r() < 0.3) store.release(i);
      for (let i = 0; i < gate.calls.length; i++) if (gate.calls[i]!.outcome === 'pending' && r() < 0.15) gate.release(i);
      for (const limit of signLimits) if (limit.live && ++limit.steps >= SIGN_LIMIT_STEPS) (limit.live = false), limit.callback();
      if (r() < 0.1) tickIfLive();
    }
  })();
  const appended: Array<{ seq: number; outcome: string | null; stored: boolean }> = [];
  const all: Promise<unknown>[] = [];
  const append = (i: number) => {
    const entry = { seq: i, outcome: null as string | null, stored: false };
    appended.push(entry);
    all.push(
      writer.append(sampleRecord(i)).then(
        (rec: ChainedAccessRecord) => {
          entry.outcome = entry.outcome ? 'TWICE' : 'ok';
          entry.stored = store.rows.some((row) => row.chainId === chainId && row.seq === rec.seq);
          if (rec.seq !== i) problems.push(`record ${i} resolved with seq ${rec.seq}`);
        },
        (err: unknown) => {
          entry.outcome = entry.outcome ? 'TWICE' : String(codeOf(err));
        },
      ),
    );
  };
  let next = 1;
  const waves = 3 + Math.floor(r() * 5);
  let closing: Promise<unknown> | null = null;
  let closeErr: unknown = null;
  for (let w = 0; w < waves; w++) {
    const n = 1 + Math.floor(r() * maxBatch * (opts.mild ? 12 : 4));
    for (let k = 0; k < n; k++) append(next++);
    if (opts.closeMidway && w === waves - 2) (closeCalled = true), (closing = writer.flushAndClose({ timeoutMs: opts.deadline }).catch((e) => (closeErr = e)));
    if (r() < 0.5) tickIfLive();
    await afterSteps(Math.floor(r() * 6));
  }
  closeCalled = true;
  closing ??= writer.flushAndClose({ timeoutMs: opts.deadline }).catch((e) => (closeErr = e));
  await closing;
  gate.closed = true;
  await Promise.all(all);
  // let any late call land
  for (let i = 0; i < 50; i++) {
    for (let j = 0; j < store.calls.length; j++) store.release(j);
    for (let j = 0; j < gate.calls.length; j++) gate.release(j);
    await sleep(1);
  }
  chaos = false;
  await chaosLoop;
  for (const limit of signLimits.splice(0)) realClearTimeout(limit.handle);

  const abandoned = closeErr !== null;
  // 1. records
  for (const a of appended) {
    if (a.outcome === 'TWICE') problems.push(`append ${a.seq} settled twice`);
    if (a.outcome === 'ok' && !a.stored) problems.push(`append ${a.seq} resolved before stored`);
    if (a.outcome !== 'ok' && a.outcome !== 'AUDIT_UNAVAILABLE') problems.push(`append ${a.seq}: ${a.outcome}`);
    if (a.outcome === 'AUDIT_UNAVAILABLE' && !abandoned && a.seq <= (writer.stats().committedSeq)) problems.push(`append ${a.seq} refused without deadline`);
  }
  const accepted = appended.filter((a) => a.outcome === 'ok').map((a) => a.seq);
  const seqs = store.rows.filter((x) => x.chainId === chainId).map((x) => x.seq);
  if (new Set(seqs).size !== seqs.length) problems.push('a seq stored twice');
  const sorted = [...seqs].sort((a, b) => a - b);
  if (sorted.some((s, i) => s !== i + 1)) problems.push(`stored seqs not 1..N: ${sorted.join(',')}`);
  if (store.gaps.length) problems.push(`gaps ${store.gaps.join(',')}`);
  if (!abandoned) {
    const notOk = appended.filter((a) => a.outcome !== 'ok' && a.seq <= accepted.length + 1000).filter((a) => seqs.includes(a.seq));
    if (notOk.length) problems.push(`refused yet stored without abandonment: ${notOk.map((a) => a.seq)}`);
  }
  // 2. numbering
  const cps = storedCheckpointsOf(store, chainId);
  const ns = cps.map((c) => c.n!).sort((a, b) => a - b);
  if (new Set(ns).size !== ns.length) problems.push(`a checkpoint number stored twice: ${ns}`);
  if (ns.some((n, i) => n !== i + 1)) problems.push(`checkpoint numbers not contiguous: ${ns}`);
  const report = await verified(store, key, chainId);
  if (!abandoned && !report?.ok) problems.push(`verifier: ${JSON.stringify(report?.problems)}`);
  // 3. final
  if (!abandoned) {
    const final = cps.filter((c) => c.final);
    if (final.length !== 1) problems.push(`final checkpoints: ${final.length}`);
    else {
      const f = final[0]!;
      if (f.n !== ns.at(-1)) problems.push(`final n=${f.n} is not the last (${ns.at(-1)})`);
      if (f.seq !== Math.max(0, ...seqs)) problems.push(`final covers ${f.seq}, last row ${Math.max(0, ...seqs)}`);
      const at = store.writes.findIndex((x) => x.what === 'cp' && x.final);
      const after = store.writes.slice(at + 1);
      if (after.length) problems.push(`written after the final: ${JSON.stringify(after)}`);
    }
  }
  // 5. every signed checkpoint stored, unless given up on
  const giveUps = lines.filter((l) => l.includes('checkpoint could not be signed')).length;
  if (!abandoned) {
    const signedNonStart = cps.length - 1;
    if (signedNonStart !== gate.calls.length - giveUps) problems.push(`signed ${gate.calls.length} given up ${giveUps} stored ${signedNonStart}`);
  }
  coverage.aheadWithCp += store.calls.filter((c) => c.kind === 'ahead' && c.checkpoints.length).length;
  coverage.refusedWithCp += store.calls.filter((c) => c.kind === 'ahead' && c.checkpoints.length && c.outcome !== 'ok').length;
  coverage.ahead += store.calls.filter((c) => c.kind === 'ahead').length;
  coverage.giveUps += giveUps;
  coverage.multiCp += store.calls.filter((c) => c.checkpoints.length > 1).length;
  if (problems.length) {
    // eslint-disable-next-line no-console
    console.log(JSON.stringify({ seed, maxBatch, every, abandoned, closeErr: String(closeErr), problems, calls: store.calls.map((c) => [c.kind, c.seqs[0], c.seqs.at(-1), c.checkpoints, c.outcome]), signs: gate.calls.map((c) => [c.seq, c.n, c.final, c.outcome]), cps: cps.map((c) => [c.n, c.seq, c.final]) }));
  }
  return { problems, abandoned };
}

const coverage = { ahead: 0, aheadWithCp: 0, refusedWithCp: 0, giveUps: 0, multiCp: 0 };
const SEEDS = Number(process.env.REVIEW_SEEDS ?? 20);
describe('presign under a hostile environment', () => {
  it('guarantees hold with a close that completes', async () => {
    const failing: number[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { problems } = await run(seed, { closeMidway: seed % 2 === 0, deadline: 20_000 });
      if (problems.length) failing.push(seed);
    }
    expect(failing).toEqual([]);
  }, 600_000);
  it('guarantees hold under a milder mix (more batches sent ahead)', async () => {
    const failing: number[] = [];
    for (let seed = 1001; seed <= 1000 + SEEDS; seed++) {
      const { problems } = await run(seed, { closeMidway: seed % 2 === 0, deadline: 20_000, mild: true });
      if (problems.length) failing.push(seed);
    }
    expect(failing).toEqual([]);
  }, 600_000);
  it('numbering, order and settlement hold when the close deadline gives up', async () => {
    const failing: number[] = [];
    let gaveUp = 0;
    for (let seed = 2001; seed <= 2000 + SEEDS; seed++) {
      const { problems, abandoned } = await run(seed, { closeMidway: seed % 2 === 0, deadline: 3 + (seed % 30), mild: seed % 3 !== 0 });
      if (abandoned) gaveUp++;
      if (problems.length) failing.push(seed);
    }
    expect(failing).toEqual([]);
  }, 600_000);
  // The runs must reach what they attack: batches sent ahead with checkpoints, some refused or
  // failed. Whether they do depends on the seed, and still a little on the machine (the chaos
  // loop and the waves draw from one random sequence in whatever order they run; retries wait on
  // the clock), though no longer on how fast it signs (see the chaos loop's steps): on a loaded
  // machine sixty seeds of the first mix once reached no refused one. So it is judged over every
  // run above, and, failing that, up to sixty more of both mixes run until one is, each held to
  // the same guarantees. (send-ahead.test.ts holds that case scripted.)
  it('the runs reached batches sent ahead with checkpoints, and refused ones among them', async () => {
    const failing: number[] = [];
    for (let seed = 3001; seed <= 3060 && (coverage.refusedWithCp === 0 || coverage.aheadWithCp === 0); seed++) {
      const { problems } = await run(seed, { closeMidway: seed % 2 === 0, deadline: 20_000, mild: seed % 2 === 1 });
      if (problems.length) failing.push(seed);
    }
    expect(failing).toEqual([]);
    expect(coverage.aheadWithCp).toBeGreaterThan(0);
    expect(coverage.refusedWithCp).toBeGreaterThan(0);
  }, 600_000);
});
