/**
 * The writer lets go of a batch's prepared texts once the store has them (writer.ts,
 * Pending.prepared). A commit's retries reuse the batch they first handed over; a batch sent
 * ahead and refused is prepared again from its records for its ordinary commit.
 *
 * - prepareRecord is deterministic for every shape the gateway can produce, including the records
 *   it mends in place (lone surrogates), its slow path, and a record `committed()` completed.
 * - A batch stored but not acknowledged, retried, links and verifies, on the fake store and on
 *   real SQLite; so does a batch sent ahead, refused, then committed the ordinary way.
 * - A record changed after append breaks the contract (`append`: the writer takes the record),
 *   but a retry still hands over the text of the first hand-over, so the chain stays intact.
 * - A re-prepare that throws (a programming error) stops the writer for good: its appends are
 *   refused, not left pending behind a retry that can never succeed.
 *
 * (First written as an attacker's review of the change, session 28.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { prepareRecord } from '../../../../audit/chain.js';
import type { AccessRecord, ChainedAccessRecord } from '../../../../audit/record.js';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../../gateway/access-log/writer.js';
import { createStore } from '../../../../store/index.js';
import { StoreUnavailableError, type Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { FakeAccessLogStore } from './fake-store.js';
import { OrderedStore } from './ordered-store.js';
import { waitFor } from '../../../helpers/wait.js';

const CHAIN_KEY = Buffer.alloc(32, 5);
let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});
const writers: AccessLogWriter[] = [];
afterEach(async () => {
  for (const w of writers.splice(0)) await w.flushAndClose({ timeoutMs: 100 }).catch(() => undefined);
});

function writerOn(store: FakeAccessLogStore, options: Partial<AccessLogWriterOptions> = {}): AccessLogWriter {
  const writer = createAccessLogWriter({ store: store as unknown as Store, chainId: `reprep-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, ...options });
  writers.push(writer);
  return writer;
}
const verified = async (store: FakeAccessLogStore, chainId: string) => (await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);

/** Records of every shape prepareRecord treats specially. */
function trickyRecords(): AccessRecord[] {
  const lone = 'x\uD800y';
  return [
    // Lone surrogates everywhere checkHashable mends in place (scalars, lists, reasons, changes, manifest, optional strings).
    sampleRecord(1, { userAgent: lone, roles: [lone], errorCodes: [lone, 'B', 'A', 'B'], clientDigests: ['z', 'a', 'z'], reasons: [{ code: lone, coordinate: undefined }], traceId: lone, issuer: lone, dpopJkt: lone, changes: [{ coordinate: lone, reason: null, ticket: lone }], manifest: { mode: 'LOG', version: 3, entry: lone } }),
    // Slow path: a change with a key that is itself a lone surrogate (mended by delete + re-add, which reorders keys).
    sampleRecord(2, { changes: [{ coordinate: 'Q.f', reason: 'r', ticket: null, ['k\uDC00']: 'v' } as unknown as NonNullable<AccessRecord['changes']>[number]] }),
    // Slow path: a manifest of an unexpected shape, a reason with an extra key and a numeric code.
    sampleRecord(3, { manifest: { mode: 'ENFORCE', version: null, entry: null, extra: { b: 1, a: [2, 'c'] } } as unknown as AccessRecord['manifest'], reasons: [{ code: 7 as unknown as string, coordinate: null, junk: 1 } as unknown as AccessRecord['reasons'][number]] }),
    // A scalar that is not a string (slow path via canonicalJson) and -0 / odd floats.
    sampleRecord(4, { productVersion: 12 as unknown as string, latencyMs: -0, httpStatus: 200.5 }),
    sampleRecord(5),
  ];
}

describe('prepareRecord run again on the same record', () => {
  it('gives the same text, cut and columns, also after the record was mended in place and after committed() completed it', () => {
    for (const [i, r] of trickyRecords().entries()) {
      const first = prepareRecord(r, 'c1', i + 1);
      const again = prepareRecord(r, 'c1', i + 1);
      expect(again).toEqual(first);
      // As committed() leaves it (chainId, seq, prevHash, hash added in place).
      Object.assign(r, { chainId: 'c1', seq: i + 1, prevHash: 'p'.repeat(64), hash: 'h'.repeat(64) });
      expect(prepareRecord(r, 'c1', i + 1)).toEqual(first);
    }
  });

  it('a batch stored but not acknowledged, retried, links and verifies (tricky records)', async () => {
    const store = new FakeAccessLogStore();
    const writer = writerOn(store);
    await writer.start();
    store.failAfterCommitOnce = true;
    const resolved = await Promise.all(trickyRecords().map((r) => writer.append(r)));
    expect(store.appendCalls.length).toBe(2);
    const storedHashes = store.rows.filter((r) => r.chainId === writer.chainId).map((r) => (JSON.parse(r.record) as ChainedAccessRecord).hash);
    expect(resolved.map((r) => r.hash)).toEqual(storedHashes);
    await writer.append(sampleRecord(6));
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 6 });
  });

  it('a batch sent ahead, refused, then committed the ordinary way with a lost acknowledgement, links and verifies', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store, { maxBatch: 5 });
    await writer.start();
    // 0: seq 1 held then failed, so the batch sent ahead (1: seqs 2-6) is refused; 2: seq 1 again;
    // 3: 7-11 sent ahead, refused; 4: 2-6 the ordinary way (prepared again), stored, acknowledgement lost.
    store.script = ['holdThenFail', 'ok', 'ok', 'ok', 'holdThenLoseAck'];
    const all = [writer.append(sampleRecord(1))];
    await waitFor(() => store.calls.length === 1);
    const tricky = trickyRecords();
    for (const r of tricky) all.push(writer.append(r));
    for (let i = 7; i <= 11; i++) all.push(writer.append(sampleRecord(i)));
    await waitFor(() => store.calls.some((c) => c.kind === 'ahead'));
    store.release(0);
    await waitFor(() => store.calls.length >= 5);
    expect(store.calls.slice(0, 5).map((c) => [c.kind, c.seqs])).toEqual([['ordinary', [1]], ['ahead', [2, 3, 4, 5, 6]], ['ordinary', [1]], ['ahead', [7, 8, 9, 10, 11]], ['ordinary', [2, 3, 4, 5, 6]]]);
    store.release(4);
    const records = await Promise.all(all);
    expect(store.calls[4]!.outcome).toBe('failed');
    expect(store.calls[5]).toMatchObject({ kind: 'ordinary', seqs: [2, 3, 4, 5, 6], outcome: 'ok' });
    expect(store.calls.filter((c) => c.kind === 'ahead').map((c) => c.outcome)).toContain('refused');
    records.forEach((r, i) => i > 0 && expect(r.prevHash).toBe(records[i - 1]!.hash));
    await writer.flushAndClose();
    expect(await verified(store, writer.chainId)).toMatchObject({ ok: true, checked: 11 });
  });
});

describe('a record touched after append (a contract violation)', () => {
  it('a record changed after append, whose batch was stored but not acknowledged, leaves the chain intact', async () => {
    const store = new FakeAccessLogStore();
    const writer = writerOn(store);
    await writer.start();
    store.failAfterCommitOnce = true;
    const record = sampleRecord(1);
    const first = writer.append(record);
    record.errorCodes.push('LATE'); // e.g. a caller noting an error after handing the record over
    await first;
    // The writer's head must be the hash of what the store holds at seq 1.
    await writer.append(sampleRecord(2));
    await writer.flushAndClose();
    const report = await verified(store, writer.chainId);
    expect(report?.problems ?? []).toEqual([]); // a retry prepared again from the changed record would link seq 2 to a hash no stored record has
    expect(report).toMatchObject({ ok: true, checked: 2 });
  });

  it('a record made unpreparable after append, whose commit is retried, still commits: the retry prepares nothing', async () => {
    const store = new FakeAccessLogStore();
    const writer = writerOn(store);
    await writer.start();
    store.failing = true;
    const record = sampleRecord(1);
    let settled = false;
    const appended = writer.append(record).then(
      () => (settled = true),
      () => (settled = true),
    );
    await waitFor(() => store.appendCalls.length >= 1);
    (record as { time: string }).time = 'not a date'; // the re-prepare now throws (CanonicalJsonError)
    store.failing = false;
    const before = writer.stats().failures;
    // Until the append settles, not for a time: a commit slower than the 200 ms this slept for
    // (a loaded machine) failed the test with the writer doing nothing wrong. A writer retrying a
    // re-prepare that throws, as a store outage, never settles it (waitFor gives up).
    await waitFor(() => settled);
    const stats = writer.stats();
    // The retry hands over the batch as first prepared: nothing is prepared again, so nothing throws.
    expect({ settled, failedForGood: stats.failed, retriesSinceStoreUp: stats.failures - before }).toEqual({ settled: true, failedForGood: false, retriesSinceStoreUp: 0 });
    void appended;
  });
});

describe('a re-prepare that throws', () => {
  it('stops the writer for good, its appends refused AUDIT_UNAVAILABLE, instead of retrying it as a store outage', async () => {
    const store = new OrderedStore();
    const writer = writerOn(store, { maxBatch: 5 });
    await writer.start();
    // 0: seq 1 held, then fails, so the batch sent ahead (2-6) is refused and must be prepared again.
    store.script = ['holdThenFail'];
    const first = writer.append(sampleRecord(1));
    await waitFor(() => store.calls.length === 1);
    const rest = [2, 3, 4, 5, 6].map((i) => sampleRecord(i));
    const outcomes = rest.map((r) => writer.append(r).then(() => 'committed', (err: unknown) => (err as { extensions?: { code?: string } }).extensions?.code ?? String(err)));
    await waitFor(() => store.calls.some((c) => c.kind === 'ahead'));
    (rest[2] as { time: string }).time = 'not a date'; // its text can no longer be made
    store.release(0);
    expect((await first).seq).toBe(1);
    expect(await Promise.all(outcomes)).toEqual(Array(5).fill('AUDIT_UNAVAILABLE'));
    expect(writer.stats().failed).toBe(true);
    expect(store.calls.filter((c) => c.seqs.includes(4) && c.outcome === 'ok')).toEqual([]);
  });
});

describe('on the real SQLite store (lost acknowledgement: committed, then the call fails)', () => {
  let real: Store;
  let loseAckOnce = false;
  let store: Store;
  beforeAll(async () => {
    real = await createStore('sqlite::memory:');
    store = new Proxy(real, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (prop === 'appendToChain') {
          return async (...args: unknown[]) => {
            const out = await (value as (...a: unknown[]) => Promise<string[]>).apply(target, args);
            if (loseAckOnce) {
              loseAckOnce = false;
              throw new StoreUnavailableError('acknowledgement lost');
            }
            return out;
          };
        }
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  });
  afterAll(async () => {
    await real.close();
  });
  const sqliteWriter = () => {
    const writer = createAccessLogWriter({ store, chainId: `reprep-sqlite-${writers.length}-${Date.now()}`, instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000 });
    writers.push(writer);
    return writer;
  };
  const sqliteVerified = async (chainId: string) => (await verifyAccessLog(store, key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);

  it('tricky records, retried, verify', async () => {
    const writer = sqliteWriter();
    await writer.start();
    loseAckOnce = true;
    const resolved = await Promise.all(trickyRecords().map((r) => writer.append(r)));
    expect(loseAckOnce).toBe(false);
    const stored = await store.readChain(writer.chainId, 1, 5);
    expect(resolved.map((r) => r.hash)).toEqual(stored.map((r) => r.hash));
    await writer.append(sampleRecord(6));
    await writer.flushAndClose();
    expect(await sqliteVerified(writer.chainId)).toMatchObject({ ok: true, checked: 6 });
  });

  it('a record changed after append (contract violation): the retry hands over the first text, so the row kept (ON CONFLICT DO NOTHING) is the one whose hash the writer takes', async () => {
    const writer = sqliteWriter();
    await writer.start();
    loseAckOnce = true;
    const record = sampleRecord(1);
    const first = writer.append(record);
    record.errorCodes.push('LATE');
    const resolvedHash = (await first).hash;
    const [stored] = await store.readChain(writer.chainId, 1, 1);
    expect(resolvedHash).toBe(stored!.hash);
    await writer.append(sampleRecord(2));
    await writer.flushAndClose();
    expect((await sqliteVerified(writer.chainId))?.problems).toEqual([]);
  });
});
