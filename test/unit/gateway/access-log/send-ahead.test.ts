/**
 * The writer's batches sent ahead (gateway/access-log/writer.ts, sendAhead): under a flood, a full
 * batch goes to a store that can take it (FollowingAppends) while the batch before it is still
 * being committed, chained onto whatever head the store then holds. What must not change: every
 * record is committed once, in seq order, never after a gap, each append resolves only once its
 * record is committed, and nothing accepted is lost when a commit fails or the close gives up.
 *
 * The store (ordered-store.ts) works as the SQLite write thread does: calls run one after another in the order
 * they were made, each can be held or failed, and a batch sent ahead is refused, with nothing
 * written, unless the chain's head is where the batch was sent to follow.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { ChainedAccessRecord } from '../../../../audit/record.js';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
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
  const writer = createAccessLogWriter({ store: store as unknown as Store, chainId: `ahead-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, maxBatch: 5, ...options });
  writers.push(writer);
  return writer;
}

const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));
const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (err: unknown) => ({ code: codeOf(err) }));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const seqsOf = (store: FakeAccessLogStore, chainId: string) => store.rows.filter((r) => r.chainId === chainId).map((r) => r.seq);
const verified = async (store: FakeAccessLogStore, chainId: string) => (await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);

/** Appends records first..last; resolves each with the record it resolved with, checking it was stored by then. */
function appendAll(writer: AccessLogWriter, store: FakeAccessLogStore, first: number, last: number, storedAtResolve: boolean[]) {
  return range(first, last).map((i) =>
    writer.append(sampleRecord(i)).then((r) => {
      storedAtResolve.push(store.rows.some((row) => row.chainId === writer.chainId && row.seq === r.seq));
      return r;
    }),
  );
}

/** Each resolved record links to the one before it and the first to the chain's start. */
function expectLinked(records: ChainedAccessRecord[]): void {
  records.forEach((r, i) => {
    expect(r.seq).toBe(i + 1);
    if (i > 0) expect(r.prevHash).toBe(records[i - 1]!.hash);
  });
}

describe('a full batch is sent ahead while the one before it commits', () => {
  it('reaches the store before the commit ahead of it completes, and every record is committed once, in order, linked', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store);
    await writer.start();
    store.script = ['hold'];
    const storedAtResolve: boolean[] = [];
    const first = appendAll(writer, store, 1, 1, storedAtResolve);
    await waitFor(() => store.calls.length === 1);
    // Twelve more queue behind the held commit: five of them go ahead at once.
    const rest = appendAll(writer, store, 2, 13, storedAtResolve);
    expect(store.calls.map((c) => [c.kind, c.seqs])).toEqual([
      ['ordinary', [1]],
      ['ahead', range(2, 6)],
    ]);
    expect(store.calls[0]!.outcome).toBe('pending');
    store.release(0);
    const records = await Promise.all([...first, ...rest]);
    expectLinked(records);
    expect(storedAtResolve.every(Boolean)).toBe(true);
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 13));
    expect(store.gaps).toEqual([]);
    // The batch that followed the ahead one went ahead of the rest in its turn.
    expect(store.calls.filter((c) => c.kind === 'ahead').map((c) => c.outcome)).toEqual(['ok', 'ok']);
    await writer.flushAndClose();
    const chain = await verified(store, writer.chainId);
    expect(chain?.ok).toBe(true);
    expect(chain?.checked).toBe(13);
    expect(chain?.status).toBe('SHUTDOWN');
  });

  it('sends nothing ahead below a full batch', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store);
    await writer.start();
    store.script = ['hold'];
    const storedAtResolve: boolean[] = [];
    const all = appendAll(writer, store, 1, 5, storedAtResolve);
    await waitFor(() => store.calls.length === 1);
    expect(store.calls[0]!.seqs).toEqual(range(1, 5));
    all.push(...appendAll(writer, store, 6, 9, storedAtResolve));
    expect(store.calls).toHaveLength(1);
    store.release(0);
    expectLinked(await Promise.all(all));
    expect(store.calls.map((c) => c.kind)).toEqual(['ordinary', 'ordinary']);
  });

  it('sends nothing ahead to a store that cannot take it', async () => {
    const store = new FakeAccessLogStore();
    const writer = writerOn(store);
    await writer.start();
    store.hold();
    const storedAtResolve: boolean[] = [];
    const all = appendAll(writer, store, 1, 1, storedAtResolve);
    await waitFor(() => store.appendCalls.length === 1);
    all.push(...appendAll(writer, store, 2, 13, storedAtResolve));
    expect(store.appendCalls).toHaveLength(1);
    store.release();
    expectLinked(await Promise.all(all));
    expect(store.appendCalls.map((c) => c.seqs)).toEqual([[1], range(2, 6), range(7, 11), range(12, 13)]);
  });
});

describe('a checkpoint due under a flood', () => {
  it('is signed at once and rides in the next batch sent ahead, so the flow does not stop for an ordinary commit to carry it', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store, { checkpointEvery: 10 });
    await writer.start();
    // Seqs 12–16 (call 3, sent ahead) are held: the checkpoint due once seq 11 has committed goes
    // ahead behind them with seqs 17–21, instead of waiting for them to commit and going with an
    // ordinary commit.
    store.script = ['hold', 'ok', 'ok', 'hold'];
    const storedAtResolve: boolean[] = [];
    const all = appendAll(writer, store, 1, 1, storedAtResolve);
    await waitFor(() => store.calls.length === 1);
    all.push(...appendAll(writer, store, 2, 21, storedAtResolve));
    store.release(0);
    await waitFor(() => store.calls.length === 5);
    expect(store.calls[3]!.outcome).toBe('pending');
    store.release(3);
    expectLinked(await Promise.all(all));
    expect(store.calls.map((c) => [c.kind, c.seqs, c.checkpoints])).toEqual([
      ['ordinary', [1], []],
      ['ahead', range(2, 6), []],
      ['ahead', range(7, 11), []],
      ['ahead', range(12, 16), []],
      ['ahead', range(17, 21), [2]],
    ]);
    expect(store.checkpoints.find((c) => c.n === 2)).toMatchObject({ seq: 11 });
    await writer.flushAndClose();
    const chain = await verified(store, writer.chainId);
    expect(chain).toMatchObject({ ok: true, checked: 21, status: 'SHUTDOWN' });
    expect(store.checkpoints.map((c) => c.n)).toEqual(range(1, store.checkpoints.length));
  });

  it('goes with the ordinary commit after a batch sent ahead with it is refused, so no checkpoint number goes missing', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store, { maxBatch: 2, checkpointEvery: 2 });
    await writer.start();
    // Call 2 (seqs 4–5, sent ahead) is held and then fails: call 3, sent ahead behind it with the checkpoint, is refused.
    store.script = ['hold', 'ok', 'holdThenFail'];
    const storedAtResolve: boolean[] = [];
    const all = appendAll(writer, store, 1, 1, storedAtResolve);
    await waitFor(() => store.calls.length === 1);
    all.push(...appendAll(writer, store, 2, 9, storedAtResolve));
    store.release(0);
    await waitFor(() => store.calls.length === 4);
    expect(store.calls[3]).toMatchObject({ kind: 'ahead', seqs: [6, 7], checkpoints: [2] });
    store.release(2);
    expectLinked(await Promise.all(all));
    expect(store.calls[3]!.outcome).toBe('refused');
    const carried = store.calls.slice(4).find((c) => c.checkpoints.includes(2));
    expect(carried).toMatchObject({ kind: 'ordinary', outcome: 'ok' });
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 9));
    expect(store.gaps).toEqual([]);
    await writer.flushAndClose();
    expect((await verified(store, writer.chainId))?.ok).toBe(true);
    expect(store.checkpoints.map((c) => c.n)).toEqual(range(1, store.checkpoints.length));
  });
});

describe('when the commit ahead of it fails', () => {
  it('is refused by the store, and both batches are committed in order once the store recovers, nothing lost and no gap', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store);
    await writer.start();
    store.script = ['holdThenFail'];
    const storedAtResolve: boolean[] = [];
    const all = appendAll(writer, store, 1, 1, storedAtResolve);
    await waitFor(() => store.calls.length === 1);
    all.push(...appendAll(writer, store, 2, 13, storedAtResolve));
    expect(store.calls[1]).toMatchObject({ kind: 'ahead', seqs: range(2, 6) });
    store.release(0);
    const records = await Promise.all(all);
    expectLinked(records);
    expect(storedAtResolve.every(Boolean)).toBe(true);
    expect(store.calls[0]!.outcome).toBe('failed');
    expect(store.calls[1]!.outcome).toBe('refused');
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 13));
    expect(store.gaps).toEqual([]);
    await writer.flushAndClose();
    expect((await verified(store, writer.chainId))?.ok).toBe(true);
  });

  it('takes the answer of a batch that followed a commit whose acknowledgement was lost (the retry of that commit changes nothing)', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store);
    await writer.start();
    // The first commit lands but its caller hears a failure: the batch ahead follows it in the store.
    store.script = ['holdThenLoseAck'];
    const storedAtResolve: boolean[] = [];
    const all = appendAll(writer, store, 1, 1, storedAtResolve);
    await waitFor(() => store.calls.length === 1);
    all.push(...appendAll(writer, store, 2, 13, storedAtResolve));
    store.release(0);
    const records = await Promise.all(all);
    expectLinked(records);
    expect(store.calls[0]!.outcome).toBe('failed');
    expect(store.calls[1]).toMatchObject({ kind: 'ahead', seqs: range(2, 6), outcome: 'ok' });
    expect(storedAtResolve.every(Boolean)).toBe(true);
    expect(seqsOf(store, writer.chainId)).toEqual(range(1, 13));
    expect(store.gaps).toEqual([]);
    await writer.flushAndClose();
    expect((await verified(store, writer.chainId))?.ok).toBe(true);
  });

  it('refuses the appends of a batch sent ahead when the close gives up on a store that does not answer', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store);
    await writer.start();
    store.script = ['hold'];
    const storedAtResolve: boolean[] = [];
    const all = appendAll(writer, store, 1, 1, storedAtResolve).map(settle);
    await waitFor(() => store.calls.length === 1);
    const ahead = appendAll(writer, store, 2, 6, storedAtResolve).map(settle);
    expect(store.calls[1]).toMatchObject({ kind: 'ahead', seqs: range(2, 6) });
    await expect(writer.flushAndClose({ timeoutMs: 20 })).rejects.toThrow(/not committed at close/);
    expect(await Promise.all([...all, ...ahead])).toEqual(range(1, 6).map(() => ({ code: 'AUDIT_UNAVAILABLE' })));
    expect(writer.depth()).toBe(0);
  });
});
