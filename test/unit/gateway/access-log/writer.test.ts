import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { verifyCheckpoint } from '../../../../audit/checkpoint.js';
import { GENESIS_HASH, type ChainedAccessRecord, type Checkpoint } from '../../../../audit/record.js';
import { prepareRecord, type ChainBatch } from '../../../../audit/chain.js';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import { CanonicalJsonError } from '../../../../audit/canonical-json.js';
import { CodedError } from '../../../../core/errors.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { StoreUnavailableError } from '../../../../store/port.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../../gateway/access-log/writer.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { FakeAccessLogStore } from './fake-store.js';
import { waitFor } from '../../../helpers/wait.js';
import { withRefusedWrites } from '../../../helpers/refusing-store.js';

const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : err);
/** Settles a promise into a value or an error code, so tests can assert on both. */
const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (err: unknown) => ({ code: codeOf(err) }));

let key: SigningKey;
const CHAIN_KEY = Buffer.alloc(32, 7);
/** The writer's chain as the whole-log verification reports it. */
const verified = async (store: Parameters<typeof verifyAccessLog>[0], chainId?: string) => (await verifyAccessLog(store, key.publicJwks, { chainKey: CHAIN_KEY })).chains.filter((c) => !chainId || c.chainId === chainId);
const writers: AccessLogWriter[] = [];
beforeAll(async () => {
  key = await testSigningKey();
});
afterEach(async () => {
  for (const w of writers.splice(0)) await w.flushAndClose({ timeoutMs: 200 }).catch(() => undefined);
});

function writerOn(store: Store, options: Partial<AccessLogWriterOptions> = {}): AccessLogWriter {
  const writer = createAccessLogWriter({ store, chainId: `chain-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 2, retryMaxMs: 20, ...options });
  writers.push(writer);
  return writer;
}

describe('access log writer (fake store)', () => {
  it('opens its chain and writes a seq-0 checkpoint on start', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore());
    await writer.start();
    expect([...fake.heads.keys()]).toEqual([writer.chainId]);
    expect(fake.checkpoints).toHaveLength(1);
    expect(fake.checkpoints[0]).toMatchObject({ chainId: writer.chainId, seq: 0, hash: GENESIS_HASH });
    expect(await verifyCheckpoint(fake.checkpoints[0]!, key.publicJwks)).toEqual({ ok: true });
  });

  it('refuses records before start with AUDIT_UNAVAILABLE', async () => {
    const writer = writerOn(new FakeAccessLogStore().asStore());
    expect(writer.accepting()).toBe(false);
    expect(await settle(writer.append(sampleRecord(1)))).toEqual({ code: 'AUDIT_UNAVAILABLE' });
  });

  it('group-commits many concurrent appends in few store calls, with gap-free seqs', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { batchWindowMs: 5 });
    await writer.start();
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => writer.append(sampleRecord(i + 1))));
    expect(results.map((r) => r.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(fake.appendCalls.length).toBeLessThanOrEqual(2);
    expect(fake.rows).toHaveLength(500);
    expect(writer.stats()).toMatchObject({ committed: 500, committedSeq: 500, depth: 0, failures: 0 });
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 500 });
  });

  it('resolves an append only once its batch is committed', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { batchWindowMs: 0 });
    await writer.start();
    fake.hold();
    let resolved = false;
    const pending = writer.append(sampleRecord(1)).then((r) => {
      resolved = true;
      return r;
    });
    await waitFor(() => fake.appendCalls.length === 1);
    for (let turn = 0; turn < 10; turn++) await new Promise((r) => setImmediate(r)); // ample for a wrongful early resolve
    expect(resolved).toBe(false);
    expect(writer.depth()).toBe(1);
    fake.release();
    expect((await pending).seq).toBe(1);
    expect(fake.rows).toHaveLength(1);
  });

  it('queues records that arrive during a commit for the next one', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { batchWindowMs: 1 });
    await writer.start();
    fake.hold();
    const first = Array.from({ length: 10 }, (_, i) => writer.append(sampleRecord(i + 1)));
    await waitFor(() => fake.appendCalls.length === 1);
    const second = Array.from({ length: 15 }, (_, i) => writer.append(sampleRecord(i + 11)));
    fake.release();
    await Promise.all([...first, ...second]);
    expect(fake.appendCalls.map((c) => c.seqs.length)).toEqual([10, 15]);
    expect(fake.appendCalls[1]!.seqs[0]).toBe(11);
  });

  it('fails closed when the store is down and the buffer fills, then commits everything in order on recovery', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { bufferMax: 50, maxBatch: 20 });
    await writer.start();
    fake.failing = true;
    const buffered = Array.from({ length: 50 }, (_, i) => settle(writer.append(sampleRecord(i + 1))));
    expect(writer.accepting()).toBe(false);
    expect(writer.depth()).toBe(50);
    expect(await settle(writer.append(sampleRecord(51)))).toEqual({ code: 'AUDIT_UNAVAILABLE' });
    await waitFor(() => writer.stats().failures >= 3);
    expect(fake.rows).toHaveLength(0);

    fake.failing = false;
    const outcomes = await Promise.all(buffered);
    expect(outcomes.map((o) => ('value' in o ? (o.value as ChainedAccessRecord).seq : o.code))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(writer.accepting()).toBe(true);
    expect(fake.rows.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // Every retry carried the same first batch: nothing reordered, nothing dropped.
    expect(new Set(fake.appendCalls.filter((c) => c.failed).map((c) => c.seqs.join(',')))).toEqual(new Set([fake.appendCalls[0]!.seqs.join(',')]));
    expect((await writer.append(sampleRecord(52))).seq).toBe(51); // the refused record never took a seq
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 51 });
  });

  it('hands a retried batch over with the texts it handed over first', async () => {
    // The writer lets go of a batch's prepared texts once the store has them (Pending.prepared):
    // a retry prepares them again, and must hand over exactly what it handed over the first time.
    class TextLog extends FakeAccessLogStore {
      readonly handed: Array<{ head: number; texts: string[]; cuts: number[]; columns: unknown[] }> = [];
      override async appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
        this.handed.push({ head: batch.head.seq, texts: [...batch.records], cuts: [...batch.prepared!.cuts], columns: [...batch.prepared!.columns] });
        return super.appendToChain(batch, checkpoints);
      }
    }
    const fake = new TextLog();
    const writer = writerOn(fake.asStore());
    await writer.start();
    fake.failing = true;
    const records = [1, 2, 3].map((i) => sampleRecord(i));
    const appended = Promise.all(records.map((r) => writer.append(r)));
    await waitFor(() => fake.handed.length >= 2);
    fake.failing = false;
    expect((await appended).map((r) => r.seq)).toEqual([1, 2, 3]);
    const [first, ...retries] = fake.handed;
    expect(first!.texts).toEqual(records.map((r, i) => prepareRecord(r, writer.chainId, i + 1).text));
    for (const retry of retries) expect(retry).toEqual(first);
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 3 });
  });

  it('retries a batch whose commit succeeded but was not acknowledged, without duplicating it', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore());
    await writer.start();
    fake.failAfterCommitOnce = true;
    await Promise.all([1, 2, 3].map((i) => writer.append(sampleRecord(i))));
    expect(fake.appendCalls.length).toBe(2);
    expect(fake.rows.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('writes a signed checkpoint every interval, also when idle', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { checkpointIntervalMs: 15 });
    await writer.start();
    await waitFor(() => fake.checkpoints.length >= 4);
    expect(fake.checkpoints.every((c) => c.seq === 0 && c.hash === GENESIS_HASH)).toBe(true);
    await writer.append(sampleRecord(1));
    const committed = fake.checkpoints.length;
    await waitFor(() => fake.checkpoints.length >= committed + 2);
    const latest = fake.checkpoints.at(-1)!;
    expect(latest.seq).toBe(1);
    expect(latest.hash).toBe((JSON.parse(fake.rows[0]!.record) as ChainedAccessRecord).hash);
    expect(await verifyCheckpoint(latest, key.publicJwks)).toEqual({ ok: true });
  });

  it('puts a checkpoint due during traffic in the next batch\'s store call, signing what was committed before it', async () => {
    const fake = new FakeAccessLogStore();
    // Only the checkpoint interval's timer is faked: the interval passes when the test says so.
    jest.useFakeTimers({ doNotFake: ['Date', 'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout'] });
    let committed: ChainedAccessRecord;
    try {
      const writer = writerOn(fake.asStore(), { checkpointIntervalMs: 10 });
      await writer.start();
      fake.hold();
      const first = writer.append(sampleRecord(1));
      await waitFor(() => fake.appendCalls.length === 1);
      jest.advanceTimersByTime(10); // the interval passes while the commit is held
      const second = writer.append(sampleRecord(2));
      fake.release();
      [committed] = await Promise.all([first, second]);
    } finally {
      jest.useRealTimers();
    }
    const withCheckpoint = fake.appendCalls.find((c) => c.checkpoints === 1);
    expect(withCheckpoint?.seqs).toEqual([2]);
    // Record 2's hash exists only once the store has chained it: the checkpoint covers record 1.
    expect(fake.checkpoints.at(-1)).toMatchObject({ seq: 1, hash: committed.hash });
    expect(await verifyCheckpoint(fake.checkpoints.at(-1)!, key.publicJwks)).toEqual({ ok: true });
  });

  it('starts a commit at once when nothing is in flight: by the end of the event-loop turn, with no window to wait out', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore()); // default batchWindowMs
    await writer.start();
    fake.hold();
    const pending = [writer.append(sampleRecord(1)), writer.append(sampleRecord(2))];
    expect(fake.appendCalls).toHaveLength(0); // not inside append: the rest of this turn may add company
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.appendCalls.map((c) => c.seqs)).toEqual([[1, 2]]);
    fake.release();
    await Promise.all(pending);
  });

  it('still forms groups under load: everything appended in one turn shares a commit, and what arrives during it shares the next', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore());
    await writer.start();
    fake.hold();
    const first = Array.from({ length: 300 }, (_, i) => writer.append(sampleRecord(i + 1)));
    await waitFor(() => fake.appendCalls.length === 1);
    const second = Array.from({ length: 200 }, (_, i) => writer.append(sampleRecord(i + 301)));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.appendCalls).toHaveLength(1); // nothing starts while a commit is in flight
    fake.release();
    await Promise.all([...first, ...second]);
    expect(fake.appendCalls.map((c) => c.seqs.length)).toEqual([300, 200]);
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 500 });
  });

  it('hands what queued during a commit to the store before that commit\'s appends resolve, and caps batches at maxBatch', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { maxBatch: 250 });
    await writer.start();
    fake.hold();
    const first = Array.from({ length: 100 }, (_, i) => writer.append(sampleRecord(i + 1)));
    await waitFor(() => fake.appendCalls.length === 1);
    const second = Array.from({ length: 300 }, (_, i) => writer.append(sampleRecord(i + 101)));
    let callsWhenFirstResolved = -1;
    const seen = first[0]!.then(() => (callsWhenFirstResolved = fake.appendCalls.length));
    fake.release();
    await Promise.all([...first, ...second, seen]);
    expect(callsWhenFirstResolved).toBe(2); // the next batch was already with the store
    expect(fake.appendCalls.map((c) => c.seqs.length)).toEqual([100, 250, 50]);
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 400 });
  });

  it('hands the next batch over before the completed batch\'s appends resolve also when a checkpoint is due: signed first, it rides in that batch', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { maxBatch: 3, checkpointEvery: 3, checkpointIntervalMs: 3_600_000 });
    await writer.start();
    fake.hold();
    const first = [1, 2, 3].map((i) => writer.append(sampleRecord(i)));
    await waitFor(() => fake.appendCalls.length === 1);
    const second = [4, 5, 6].map((i) => writer.append(sampleRecord(i)));
    let callsWhenFirstResolved = -1;
    const seen = first[0]!.then(() => (callsWhenFirstResolved = fake.appendCalls.length));
    fake.release();
    const results = await Promise.all([...first, ...second]);
    await seen;
    // Signing is asynchronous: had the next batch waited for it behind the appenders, they would have run first.
    expect(callsWhenFirstResolved).toBe(2);
    expect(fake.appendCalls.map((c) => [c.seqs, c.checkpoints])).toEqual([[[1, 2, 3], 0], [[4, 5, 6], 1]]);
    expect(fake.checkpoints.at(-1)).toMatchObject({ seq: 3, hash: results[2]!.hash });
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 6 });
  });

  it('takes a batch cap below one as one (a cap of 0 would send empty batches for ever)', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { maxBatch: 0 });
    await writer.start();
    const results = await Promise.all([1, 2, 3].map((i) => writer.append(sampleRecord(i))));
    expect(results.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(fake.appendCalls.map((c) => c.seqs)).toEqual([[1], [2], [3]]);
  });

  it('refuses a record that cannot be hashed on its own, without taking a seq or holding up the others', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore());
    await writer.start();
    const bad = settle(writer.append(sampleRecord(1, { latencyMs: Number.NaN })));
    const good = writer.append(sampleRecord(2));
    expect(await bad).toEqual({ code: expect.any(CanonicalJsonError) });
    expect((await good).seq).toBe(1);
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 1 });
  });

  it('resolves each append with its record as committed: chained and hashed by the store', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore());
    await writer.start();
    const [a, b] = await Promise.all([writer.append(sampleRecord(1)), writer.append(sampleRecord(2))]);
    expect(a).toMatchObject({ chainId: writer.chainId, seq: 1, prevHash: GENESIS_HASH, requestId: 'req-1' });
    expect(b).toMatchObject({ seq: 2, prevHash: a!.hash });
    expect(fake.rows.map((r) => (JSON.parse(r.record) as ChainedAccessRecord).hash)).toEqual([a!.hash, b!.hash]);
    expect(writer.stats()).toMatchObject({ committedSeq: 2 });
  });

  it('flushes everything and writes a final checkpoint on close, then refuses records', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore(), { batchWindowMs: 20, maxBatch: 7 });
    await writer.start();
    const pending = Array.from({ length: 30 }, (_, i) => writer.append(sampleRecord(i + 1)));
    await writer.flushAndClose();
    expect((await Promise.all(pending)).map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(fake.rows).toHaveLength(30);
    expect(fake.checkpoints.at(-1)).toMatchObject({ seq: 30 });
    expect(await settle(writer.append(sampleRecord(31)))).toEqual({ code: 'AUDIT_UNAVAILABLE' });
    expect(writer.accepting()).toBe(false);
    const [report] = await verified(fake);
    expect(report).toMatchObject({ ok: true, checked: 30, latestCheckpointSeq: 30 });
  });

  it('gives up at the close deadline when the store stays down, refusing what it could not commit', async () => {
    const fake = new FakeAccessLogStore();
    const writer = writerOn(fake.asStore());
    await writer.start();
    fake.failing = true;
    const pending = [1, 2].map((i) => settle(writer.append(sampleRecord(i))));
    await expect(writer.flushAndClose({ timeoutMs: 50 })).rejects.toThrow();
    expect(await Promise.all(pending)).toEqual([{ code: 'AUDIT_UNAVAILABLE' }, { code: 'AUDIT_UNAVAILABLE' }]);
  });

  it('calls onCommit with each committed batch and survives a hook that throws', async () => {
    const fake = new FakeAccessLogStore();
    const seen: number[][] = [];
    const writer = writerOn(fake.asStore(), {
      onCommit(records, commitMs) {
        seen.push(records.map((r) => r.seq));
        expect(commitMs).toBeGreaterThanOrEqual(0);
        throw new Error('hook failure');
      },
    });
    await writer.start();
    await Promise.all([1, 2].map((i) => writer.append(sampleRecord(i))));
    await writer.append(sampleRecord(3));
    expect(seen.flat()).toEqual([1, 2, 3]);
  });
});

describe('access log writer (SQLite store)', () => {
  let store: Store;
  let down = false;
  beforeAll(async () => {
    // The real store, its writes failing while `down`, as an unwritable database's would.
    store = withRefusedWrites(await createStore('sqlite::memory:'), () => (down ? new StoreUnavailableError('database is read-only') : null));
  });
  afterAll(async () => {
    await store.close();
  });

  it('commits concurrent appends and the stored chain verifies', async () => {
    const writer = writerOn(store);
    await writer.start();
    const results = await Promise.all(Array.from({ length: 2000 }, (_, i) => writer.append(sampleRecord(i + 1))));
    expect(results.at(-1)!.seq).toBe(2000);
    expect(writer.stats().batches).toBeLessThan(100);
    await writer.flushAndClose();
    const [report] = await verified(store, writer.chainId);
    expect(report).toMatchObject({ ok: true, checked: 2000, latestCheckpointSeq: 2000 });
  });

  it('stores every checkpoint it numbers, even two at the same head in the same millisecond (a due one, then the final one)', async () => {
    // A clock that does not move: the count-bound checkpoint after the 10th record and the final
    // one at close both sign seq 10 at the same instant. Stores keep one checkpoint per
    // (chain, seq, time), so equal times would leave the ledger naming a checkpoint not stored.
    const writer = writerOn(store, { now: () => Date.parse('2026-12-04T06:00:00.000Z'), checkpointEvery: 10, checkpointIntervalMs: 3_600_000 });
    await writer.start();
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.append(sampleRecord(i + 1))));
    await writer.flushAndClose();
    const [report] = await verified(store, writer.chainId);
    expect(report).toMatchObject({ ok: true, checked: 10, latestCheckpointSeq: 10, problems: [] });
    const times = (await store.checkpointsOf(writer.chainId)).map((c) => c.time);
    expect(new Set(times).size).toBe(times.length);
  });

  it('fails closed while the database is unwritable and recovers with every record in the chain', async () => {
    const writer = writerOn(store, { bufferMax: 100 });
    await writer.start();
    down = true;
    const buffered = Array.from({ length: 100 }, (_, i) => writer.append(sampleRecord(i + 1)));
    expect(writer.accepting()).toBe(false);
    expect(await settle(writer.append(sampleRecord(101)))).toEqual({ code: 'AUDIT_UNAVAILABLE' });
    await waitFor(() => writer.stats().failures >= 2);
    down = false;
    expect((await Promise.all(buffered)).map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await writer.flushAndClose();
    const stored = await store.readChain(writer.chainId, 1, 1000);
    expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const [report] = await verified(store, writer.chainId);
    expect(report).toMatchObject({ ok: true, checked: 100 });
  });
});
