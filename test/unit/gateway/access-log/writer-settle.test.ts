/**
 * At start, the access-log writer closes the chains whose writers are gone, recording how far
 * each got. Only what the gateway's key signed decides that: rows someone wrote into the store
 * must neither stop the writer from starting nor keep a dead chain from being closed, and
 * gateways starting together must not record one chain's end twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { chainableFacts, chainKeyOf, createChain } from '../../../../audit/chain.js';
import { signCheckpoint } from '../../../../audit/checkpoint.js';
import { nextLedgerBody, readLedger, sealLedgerEntry } from '../../../../audit/ledger.js';
import { GENESIS_HASH, type ChainHead, type LedgerEntry } from '../../../../audit/record.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';

const TIME = '2025-01-01T00:00:00.000Z';
/** The chain key of every writer here (the audit key's, shared by the gateways). */
const CHAIN_KEY = chainKeyOf(Buffer.alloc(32, 1));

/** An in-memory store holding chain `chainId` of `instanceId`, its head at `lastSeq`/`lastHash`, opened in the ledger unless `ledger` is false. */
async function storeWithChain(key: SigningKey, options: { chainId?: string; instanceId?: string; lastSeq?: number; lastHash?: string; ledger?: boolean } = {}): Promise<Store> {
  const { chainId = 'chain-old', instanceId = 'gw-test', lastSeq = 0, lastHash = GENESIS_HASH, ledger = true } = options;
  const store = await createStore('sqlite::memory:');
  if (ledger) await store.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId, instanceId, time: TIME, hashAlg: 'hmac-sha256', ending: null })));
  await store.openChain({ chainId, instanceId, startedAt: TIME, lastSeq, lastHash, updatedAt: TIME });
  return store;
}

/** No real liveness wait: nothing signs the old chains here meanwhile (the liveness tests below move a clock instead). */
const noWait = async (): Promise<void> => {};

/** Starts and closes a writer of a new chain for each instance, all at once. */
async function startAndStop(store: Store, key: SigningKey, instanceIds: string[] = ['gw-test']): Promise<void> {
  const writers = instanceIds.map((id) => createAccessLogWriter({ store, chainId: `chain-new-${id}`, instanceId: id, signingKey: key, chainKey: CHAIN_KEY, sleep: noWait, adoptLegacyChains: true }));
  await Promise.all(writers.map((w) => w.start()));
  await Promise.all(writers.map((w) => w.flushAndClose()));
}

const dir = mkdtempSync(join(tmpdir(), 'dsp-writer-settle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A file store holding what storeWithChain makes, plus ledger rows written straight into the file (no key signed them). */
async function fileStoreWithForgedLedgerRows(key: SigningKey, rows: ReadonlyArray<{ seq: bigint; kind: string; chainId: string }>): Promise<Store> {
  const file = join(dir, `forged-${++files}.db`);
  const made = await createStore(`sqlite:${file}`);
  await made.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: 'chain-old', instanceId: 'gw-test', time: TIME, hashAlg: 'hmac-sha256', ending: null })));
  await made.openChain({ chainId: 'chain-old', instanceId: 'gw-test', startedAt: TIME, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: TIME });
  await made.close();
  const raw = new Database(file);
  try {
    const insert = raw.prepare(`INSERT INTO chain_ledger (seq, kind, chain_id, instance_id, time, hash_alg, ending, prev_hash, hash, signature) VALUES (?, ?, ?, 'gw-test', ?, NULL, ?, ?, ?, 'x.y.z')`);
    for (const r of rows) insert.run(r.seq, r.kind, r.chainId, TIME, r.kind === 'CLOSE' ? JSON.stringify({ how: 'SHUTDOWN', lastSeq: 0, lastHash: GENESIS_HASH, lastCheckpointSeq: 0, lastCheckpointN: 0, unsignedRecords: 0 }) : null, GENESIS_HASH, 'f'.repeat(64));
  } finally {
    raw.close();
  }
  return createStore(`sqlite:${file}`);
}

const endingOfOld = async (store: Store) => (await store.readLedger()).find((e) => e.kind === 'CLOSE' && e.chainId === 'chain-old')?.ending;

describe('closing a crashed chain at start', () => {
  it('ignores forged checkpoint rows (unsigned final, seq Infinity): starts, and closes the dead chain from its signed checkpoints', async () => {
    const key = await testSigningKey();
    const store = await storeWithChain(key);
    try {
      await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 0, hash: GENESIS_HASH, time: TIME, n: 1, final: false }));
      // Someone with the file: a "final" checkpoint no key signed (it would skip the CLOSE), and one at seq Infinity (signing the CLOSE would fail).
      await store.appendCheckpoint({ chainId: 'chain-old', seq: 2, hash: 'x', time: TIME, n: 2, final: true, signature: 'x.y.z' });
      await store.appendCheckpoint({ chainId: 'chain-old', seq: Number.POSITIVE_INFINITY, hash: 'x', time: '2025-01-01T00:00:01.000Z', signature: 'x.y.z' });
      await startAndStop(store, key);
      expect(await endingOfOld(store)).toEqual({ how: 'CRASH', lastSeq: 0, lastHash: GENESIS_HASH, lastCheckpointSeq: 0, lastCheckpointN: 1, unsignedRecords: 0 });
    } finally {
      await store.close();
    }
  });

  it('writes the CLOSE a clean shutdown did not get to write (its final checkpoint signed, the store gone before the CLOSE), so the next start is no missing CLOSE', async () => {
    const key = await testSigningKey();
    const store = await storeWithChain(key);
    try {
      await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 0, hash: GENESIS_HASH, time: TIME, n: 1, final: true }));
      await startAndStop(store, key);
      expect((await readLedger(await store.readLedger(), key.publicJwks)).problems).toEqual([]);
      expect(await endingOfOld(store)).toEqual({ how: 'SHUTDOWN', lastSeq: 0, lastHash: GENESIS_HASH, lastCheckpointSeq: 0, lastCheckpointN: 1, unsignedRecords: 0 });
    } finally {
      await store.close();
    }
  });

  it('closes an abandoned chain, and adopts the chains of a store from before the ledger, once when several gateways start together', async () => {
    const key = await testSigningKey();
    for (const ledger of [true, false]) {
      const store = await storeWithChain(key, { instanceId: 'gw-dead', ledger });
      try {
        await startAndStop(store, key, ['gw-a', 'gw-b', 'gw-c']);
        const entries = await store.readLedger();
        expect({ ledger, problems: (await readLedger(entries, key.publicJwks)).problems }).toEqual({ ledger, problems: [] });
        expect(entries.filter((e) => e.chainId === 'chain-old').map((e) => e.kind)).toEqual([ledger ? 'OPEN' : 'ADOPT', 'CLOSE']);
      } finally {
        await store.close();
      }
    }
  });

  it('ends a crashed chain with no records past its last signed checkpoint at that checkpoint, whatever its head row says (not a whole number, moved back before the checkpoint)', async () => {
    const key = await testSigningKey();
    const hash5 = 'a'.repeat(64);
    for (const lastSeq of ['abc' as unknown as number, 2.5, 3]) {
      const store = await storeWithChain(key, { lastSeq, lastHash: hash5 });
      try {
        await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 5, hash: hash5, time: TIME, n: 1, final: false }));
        await startAndStop(store, key);
        expect({ lastSeq, ending: await endingOfOld(store) }).toEqual({ lastSeq, ending: { how: 'CRASH', lastSeq: 5, lastHash: hash5, lastCheckpointSeq: 5, lastCheckpointN: 1, unsignedRecords: 0 } });
      } finally {
        await store.close();
      }
    }
  });

  it('starts after an unsigned ledger row at a seq no count reaches (2^53, 2^63-1): its entries follow the last signed one, and only the forged rows are reported', async () => {
    const key = await testSigningKey();
    const store = await fileStoreWithForgedLedgerRows(key, [
      { seq: 2n ** 53n, kind: 'OPEN', chainId: 'chain-z' },
      { seq: 2n ** 63n - 1n, kind: 'OPEN', chainId: 'chain-y' },
    ]);
    try {
      await startAndStop(store, key);
      await startAndStop(store, key, ['gw-two']);
      const entries = (await store.readLedger()).filter((e) => Number.isSafeInteger(e.seq));
      expect(entries.map((e) => `${e.seq} ${e.kind} ${e.chainId}`)).toEqual(['1 OPEN chain-old', '2 CLOSE chain-old', '3 OPEN chain-new-gw-test', '4 CLOSE chain-new-gw-test', '5 OPEN chain-new-gw-two', '6 CLOSE chain-new-gw-two']);
      expect((await readLedger(await store.readLedger(), key.publicJwks)).problems.map((p) => `${p.seq} ${p.kind}`)).toEqual(['7 ALTERED', '7 ALTERED']);
    } finally {
      await store.close();
    }
  });

  it('places its entries at the first seqs past the last signed entry that no row holds, however many unsigned rows follow it, near or far', async () => {
    const key = await testSigningKey();
    const store = await fileStoreWithForgedLedgerRows(key, [2n, 3n, 1001n, 1002n].map((seq) => ({ seq, kind: 'OPEN', chainId: `chain-forged-${seq}` })));
    try {
      await startAndStop(store, key);
      const entries = await store.readLedger();
      expect(entries.map((e) => `${e.seq} ${e.kind} ${e.chainId}`)).toEqual(['1 OPEN chain-old', '2 OPEN chain-forged-2', '3 OPEN chain-forged-3', '4 CLOSE chain-old', '5 OPEN chain-new-gw-test', '6 CLOSE chain-new-gw-test', '1001 OPEN chain-forged-1001', '1002 OPEN chain-forged-1002']);
      const problems = (await readLedger(entries, key.publicJwks)).problems;
      expect(problems.filter((p) => p.kind === 'ALTERED').map((p) => p.seq)).toEqual([2, 3, 1001, 1002]);
    } finally {
      await store.close();
    }
  });

  it('reads and verifies the ledger once, however many entries a start writes', async () => {
    const key = await testSigningKey();
    const store = await createStore('sqlite::memory:');
    try {
      // A store from before the ledger with 30 chains, all of this instance: each is adopted, then closed.
      for (let i = 0; i < 30; i++) await store.openChain({ chainId: `chain-${i}`, instanceId: 'gw-test', startedAt: TIME, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: TIME });
      let reads = 0;
      const counted = Object.assign(Object.create(store) as Store, { readLedger: () => ((reads += 1), store.readLedger()) });
      const writer = createAccessLogWriter({ store: counted, chainId: 'chain-new', instanceId: 'gw-test', signingKey: key, chainKey: chainKeyOf(Buffer.alloc(32, 1)), sleep: noWait, adoptLegacyChains: true });
      await writer.start();
      expect(reads).toBe(1);
      await writer.flushAndClose();
      const entries = await store.readLedger();
      expect(entries.map((e) => e.kind).join(' ')).toBe(`${'ADOPT '.repeat(30)}${'CLOSE '.repeat(30)}OPEN CLOSE`);
      expect((await readLedger(entries, key.publicJwks)).problems).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('does not take an unsigned CLOSE row for the chain\'s CLOSE: the start writes the real one after it, so the ledger shows the chain closed and only the forged row is reported', async () => {
    const key = await testSigningKey();
    const store = await fileStoreWithForgedLedgerRows(key, [{ seq: 2n, kind: 'CLOSE', chainId: 'chain-old' }]);
    try {
      await startAndStop(store, key);
      const entries = await store.readLedger();
      expect(entries.map((e) => `${e.seq} ${e.kind} ${e.chainId}`)).toEqual(['1 OPEN chain-old', '2 CLOSE chain-old', '3 CLOSE chain-old', '4 OPEN chain-new-gw-test', '5 CLOSE chain-new-gw-test']);
      const reading = await readLedger(entries, key.publicJwks);
      expect(reading.problems.map((p) => `${p.seq} ${p.kind}`)).toEqual(['2 ALTERED']);
      expect(reading.chains.get('chain-old')?.closed?.seq).toBe(3);
    } finally {
      await store.close();
    }
  });

  /** Stores records 1…count of chain-old (chained as its writer would have) and returns their hashes. */
  async function storeRecords(store: Store, count: number): Promise<string[]> {
    const records = Array.from({ length: count }, (_, i) => chainableFacts(sampleRecord(i + 1)));
    return store.appendToChain({ chainId: 'chain-old', head: { seq: 0, hash: GENESIS_HASH }, key: CHAIN_KEY, records });
  }

  it('ends a crashed chain at its last stored record that links on from the last signed checkpoint, whatever its head row says (a seq far past the records, a hash no record has, a seq it cannot believe)', async () => {
    const key = await testSigningKey();
    for (const head of [{ lastSeq: Number.MAX_SAFE_INTEGER, lastHash: 'a'.repeat(64) }, { lastSeq: 1003, lastHash: 'a'.repeat(64) }, { lastSeq: 'abc' as unknown as number, lastHash: 'a'.repeat(64) }, { lastSeq: 0, lastHash: GENESIS_HASH }]) {
      const store = await storeWithChain(key, head);
      try {
        await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 0, hash: GENESIS_HASH, time: TIME, n: 1, final: false }));
        // More than one page of the reading (1000 records).
        const hashes = await storeRecords(store, 1003);
        await startAndStop(store, key);
        expect({ head, ending: await endingOfOld(store) }).toEqual({ head, ending: { how: 'CRASH', lastSeq: 1003, lastHash: hashes.at(-1), lastCheckpointSeq: 0, lastCheckpointN: 1, unsignedRecords: 1003 } });
      } finally {
        await store.close();
      }
    }
  });

  it('follows a crashed chain past its last signed checkpoint only while each record links to the one before', async () => {
    const key = await testSigningKey();
    const store = await storeWithChain(key, { lastSeq: 4, lastHash: 'a'.repeat(64) });
    try {
      const hashes = await storeRecords(store, 2);
      // Seq 3 and 4 continue from something other than record 2 (a row someone wrote).
      await store.appendToChain({ chainId: 'chain-old', head: { seq: 2, hash: 'b'.repeat(64) }, key: CHAIN_KEY, records: [chainableFacts(sampleRecord(3)), chainableFacts(sampleRecord(4))] });
      await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 1, hash: hashes[0]!, time: TIME, n: 1, final: false }));
      await startAndStop(store, key);
      expect(await endingOfOld(store)).toEqual({ how: 'CRASH', lastSeq: 2, lastHash: hashes[1], lastCheckpointSeq: 1, lastCheckpointN: 1, unsignedRecords: 1 });
    } finally {
      await store.close();
    }
  });

  it('follows a crashed chain only while each record hashes to its hash under the chain key: records chained without the key, or one edited, end it', async () => {
    const key = await testSigningKey();
    for (const tamper of ['unkeyed', 'edited'] as const) {
      const store = await storeWithChain(key, { lastSeq: 5, lastHash: 'a'.repeat(64) });
      try {
        const hashes = await storeRecords(store, 3);
        if (tamper === 'unkeyed') {
          // Two more, linked, but hashed by someone without the audit key.
          await store.appendToChain({ chainId: 'chain-old', head: { seq: 3, hash: hashes[2]! }, key: chainKeyOf(Buffer.alloc(32, 9)), records: [chainableFacts(sampleRecord(4)), chainableFacts(sampleRecord(5))] });
        } else {
          // Record 4's decision changed after it was hashed; record 5 still links to its hash.
          const chain = createChain('chain-old', { seq: 3, hash: hashes[2]! }, CHAIN_KEY);
          const [fourth, fifth] = [chain.append(sampleRecord(4)), chain.append(sampleRecord(5))];
          await store.appendAccessRecords([{ ...fourth, decision: fourth.decision === 'DENIED' ? 'ALLOWED' : 'DENIED' }, fifth]);
        }
        await startAndStop(store, key);
        expect({ tamper, ending: await endingOfOld(store) }).toEqual({ tamper, ending: { how: 'CRASH', lastSeq: 3, lastHash: hashes[2], lastCheckpointSeq: 0, lastCheckpointN: 0, unsignedRecords: 3 } });
      } finally {
        await store.close();
      }
    }
  });

  it('reads a crashed chain\'s tail a page of rows at a time, so rows at fractional seqs cannot make one read of any size', async () => {
    const key = await testSigningKey();
    const store = await storeWithChain(key, { lastSeq: 2, lastHash: 'a'.repeat(64) });
    try {
      const hashes = await storeRecords(store, 2);
      const limits: Array<number | undefined> = [];
      const counted = Object.assign(Object.create(store) as Store, { readChain: (chainId: string, from: number, to: number, limit?: number) => (limits.push(limit), store.readChain(chainId, from, to, limit)) });
      await startAndStop(counted, key);
      expect(limits.length).toBeGreaterThan(0);
      expect(limits.every((l) => l !== undefined && l <= 1000)).toBe(true);
      expect(await endingOfOld(store)).toMatchObject({ lastSeq: 2, lastHash: hashes[1] });
    } finally {
      await store.close();
    }
  });

  it('is not cut short by rows at fractional seqs in a crashed chain\'s tail, readable or not (they are not the chain\'s; the verifier reports them)', async () => {
    const key = await testSigningKey();
    const file = join(dir, `fractional-${++files}.db`);
    const made = await createStore(`sqlite:${file}`);
    await made.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: 'chain-old', instanceId: 'gw-test', time: TIME, hashAlg: 'hmac-sha256', ending: null })));
    await made.openChain({ chainId: 'chain-old', instanceId: 'gw-test', startedAt: TIME, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: TIME });
    const hashes = await storeRecords(made, 2500);
    await made.close();
    const raw = new Database(file);
    try {
      const copy = raw.prepare(`INSERT INTO access_records (chain_id, seq, record_id, time_ms, product_id, developer_id, org, decision, operation_name, record)
        SELECT chain_id, ?, record_id || ?, time_ms, product_id, developer_id, org, decision, operation_name, ? FROM access_records WHERE chain_id = 'chain-old' AND seq = 10`);
      copy.run(10.5, 'x', 'not json');
      copy.run(10.25, 'y', raw.prepare("SELECT record FROM access_records WHERE chain_id = 'chain-old' AND seq = 10").pluck().get());
      for (let i = 1; i <= 1200; i++) copy.run(20 + i / 10_000, `z${i}`, 'not json either');
    } finally {
      raw.close();
    }
    const store = await createStore(`sqlite:${file}`);
    try {
      await startAndStop(store, key);
      expect(await endingOfOld(store)).toMatchObject({ how: 'CRASH', lastSeq: 2500, lastHash: hashes.at(-1) });
    } finally {
      await store.close();
    }
  });
});

describe('opening a chain', () => {
  it('writes the ledger OPEN and the chain head in one transaction: a head that cannot be written leaves no OPEN behind', async () => {
    const key = await testSigningKey();
    const real = await createStore('sqlite::memory:');
    // A crash between the two writes, as the store sees it: the head's insert fails (a NOT NULL
    // column left empty) after the ledger's, whichever way the writer asks for it.
    const unwritable = (head: ChainHead) => ({ ...head, instanceId: null as unknown as string });
    const store = new Proxy(real, {
      get(target, property) {
        if (property === 'appendLedgerEntry') return (entry: LedgerEntry, opens?: ChainHead) => target.appendLedgerEntry(entry, opens && unwritable(opens));
        if (property === 'openChain') return (head: ChainHead) => target.openChain(unwritable(head));
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    try {
      const writer = createAccessLogWriter({ store, chainId: 'chain-half', instanceId: 'gw-test', signingKey: key, chainKey: CHAIN_KEY });
      // Rejected (the reason may come from another realm: better-sqlite3 keeps the error class of
      // the first test file that loaded it in this worker, which `rejects.toThrow()` does not take
      // for an error).
      expect(await writer.start().then(() => 'started', () => 'refused')).toBe('refused');
      // Without one transaction the OPEN stayed, and the verifier reported the chain CHAIN_MISSING for ever.
      expect((await real.readLedger()).filter((e) => e.chainId === 'chain-half')).toEqual([]);
      expect((await real.listChains()).map((h) => h.chainId)).not.toContain('chain-half');
    } finally {
      await real.close();
    }
  });
});

describe('an open chain of this instance id (a restart after a crash, or two gateways given one INSTANCE_ID), or of another whose checkpoints read as abandoned', () => {
  const T0 = Date.parse('2026-06-01T00:00:00.000Z');
  const LIVENESS = 3_000;

  /** chain-old of `instanceId` (gw-test: this writer's), its one checkpoint signed at T0. */
  async function oldChain(instanceId = 'gw-test'): Promise<{ store: Store; key: SigningKey }> {
    const key = await testSigningKey();
    const store = await storeWithChain(key, { instanceId });
    await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 0, hash: GENESIS_HASH, time: new Date(T0).toISOString(), n: 1, final: false }));
    return { store, key };
  }

  /** chain-old's writer signs its second checkpoint, stamped T0 + 1 s on its own clock (`final`: as it shuts down). */
  async function signedAgain(store: Store, key: SigningKey, final = false): Promise<void> {
    await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 0, hash: GENESIS_HASH, time: new Date(T0 + 1_000).toISOString(), n: 2, final }));
  }

  /** A writer of gw-test starting at `startAt`, whose sleep runs `during` and moves its clock; livenessMs LIVENESS unless `checkpointIntervalMs` is given (then the default from it). */
  function writerOf(store: Store, key: SigningKey, o: { chainId?: string; startAt?: number; during?: (store: Store, key: SigningKey) => Promise<void>; checkpointIntervalMs?: number } = {}) {
    const clock = { now: o.startAt ?? T0 + 500 };
    const slept: number[] = [];
    const writer = createAccessLogWriter({
      store,
      chainId: o.chainId ?? 'chain-new',
      instanceId: 'gw-test',
      signingKey: key,
      chainKey: CHAIN_KEY,
      now: () => clock.now,
      ...(o.checkpointIntervalMs === undefined ? { livenessMs: LIVENESS, checkpointIntervalMs: 60_000 } : { checkpointIntervalMs: o.checkpointIntervalMs }),
      sleep: async (ms) => {
        slept.push(ms);
        await o.during?.(store, key);
        clock.now += ms;
      },
    });
    return { writer, slept };
  }

  /** oldChain and a writerOf it. */
  async function setUp(during: (store: Store, key: SigningKey) => Promise<void>, startAt = T0 + 500) {
    const { store, key } = await oldChain();
    return { store, key, ...writerOf(store, key, { during, startAt }) };
  }

  it('waits out the liveness window and, if the chain signed nothing more, closes it as crashed', async () => {
    const { store, writer, slept } = await setUp(async () => {});
    try {
      await writer.start();
      expect(slept).toEqual([LIVENESS]);
      expect(await endingOfOld(store)).toMatchObject({ how: 'CRASH', lastCheckpointN: 1 });
      await writer.flushAndClose();
    } finally {
      await store.close();
    }
  });

  it('refuses to start, closing nothing, when the chain signs again meanwhile: another gateway has the same INSTANCE_ID', async () => {
    const { store, writer, slept } = await setUp((s, key) => signedAgain(s, key));
    try {
      const started = await writer.start().then(() => 'started', (err: unknown) => (err as Error).name);
      expect(started).toBe('DuplicateInstanceError');
      expect(slept).toHaveLength(1);
      expect(await endingOfOld(store)).toBeUndefined();
      expect((await store.readLedger()).map((e) => [e.kind, e.chainId])).toEqual([['OPEN', 'chain-old']]);
    } finally {
      await store.close();
    }
  });

  it('waits no longer than one window for a chain whose last checkpoint reads as ahead of this clock (another host\'s clock)', async () => {
    const { store, writer, slept } = await setUp(async () => {}, T0 - 3_600_000);
    try {
      await writer.start();
      expect(slept).toEqual([LIVENESS]);
      expect(await endingOfOld(store)).toMatchObject({ how: 'CRASH' });
      await writer.flushAndClose();
    } finally {
      await store.close();
    }
  });

  it('starts when the chain\'s writer shuts down meanwhile (its final checkpoint is no sign of a live duplicate), closing it as shut down (review s20g)', async () => {
    const { store, writer, slept } = await setUp((s, key) => signedAgain(s, key, true));
    try {
      await writer.start();
      expect(slept).toHaveLength(1);
      expect(await endingOfOld(store)).toMatchObject({ how: 'SHUTDOWN', lastCheckpointN: 2 });
      await writer.flushAndClose();
    } finally {
      await store.close();
    }
  });

  it('dates its own chain after the wait, so a second gateway of this instance id starting a moment later still waits for it and refuses (review s20g)', async () => {
    // Gateway A restarts after chain-old's crash: it waits out the window, then opens chain-new.
    const { store, writer: a, key } = await setUp(async () => {});
    try {
      await a.start();
      // Gateway B, same INSTANCE_ID, starts 600 ms after A opened, before A's next interval checkpoint (1 s after it opened).
      const { writer: b } = writerOf(store, key, {
        chainId: 'chain-b',
        startAt: T0 + LIVENESS + 600,
        // A, still running, signs its interval checkpoint meanwhile.
        during: async () => store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-new', seq: 0, hash: GENESIS_HASH, time: new Date(T0 + LIVENESS + 1_000).toISOString(), n: 2, final: false })),
      });
      const started = await b.start().then(() => 'started', (err: unknown) => (err as Error).name);
      expect(started).toBe('DuplicateInstanceError');
      expect((await store.readLedger()).filter((e) => e.kind === 'CLOSE').map((e) => e.chainId)).toEqual(['chain-old']);
      await a.flushAndClose();
    } finally {
      await store.close();
    }
  });

  it('keeps the wait within what a timer can wait when the checkpoint interval is very long (past it Node waits 1 ms)', async () => {
    const { store, key } = await oldChain();
    try {
      const { writer, slept } = writerOf(store, key, { checkpointIntervalMs: 2_000_000_000 });
      await writer.start();
      expect(slept).toEqual([2_147_483_647]);
      await writer.flushAndClose();
    } finally {
      await store.close();
    }
  });

  it('waits a whole window for a chain of this instance id last heard of long ago, and closes it as crashed if it signed nothing more', async () => {
    const { store, writer, slept } = await setUp(async () => {}, T0 + 3_600_000);
    try {
      await writer.start();
      expect(slept).toEqual([LIVENESS]);
      expect(await endingOfOld(store)).toMatchObject({ how: 'CRASH', lastCheckpointN: 1 });
      await writer.flushAndClose();
    } finally {
      await store.close();
    }
  });

  it('does not wait for a chain of this instance id that shut down (its final checkpoint signed, its CLOSE never written): it closes it as shut down at once (review s21)', async () => {
    const { store, key } = await oldChain();
    try {
      await signedAgain(store, key, true);
      const { writer, slept } = writerOf(store, key, { startAt: T0 + 1_500 });
      await writer.start();
      expect(slept).toEqual([]);
      expect(await endingOfOld(store)).toMatchObject({ how: 'SHUTDOWN', lastCheckpointN: 2 });
      await writer.flushAndClose();
    } finally {
      await store.close();
    }
  });

  it('refuses to start when a chain whose checkpoints read as an hour old signs again meanwhile: the other gateway\'s clock is behind, not its writer gone', async () => {
    // The other gateway's clock is an hour behind this one's: its checkpoints, fresh, read as from T0.
    const { store, writer, slept } = await setUp((s, key) => signedAgain(s, key), T0 + 3_600_000);
    try {
      const started = await writer.start().then(() => 'started', (err: unknown) => (err as Error).name);
      expect(started).toBe('DuplicateInstanceError');
      expect(slept).toEqual([LIVENESS]);
      expect(await endingOfOld(store)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('does not close a live chain of another gateway whose clock is behind this one\'s by more than abandonedAfterMs: it waits, sees it sign again, and starts (review s21)', async () => {
    // gw-other is running; its clock is an hour behind, so its fresh checkpoints read as from T0.
    const { store, key } = await oldChain('gw-other');
    const { writer, slept } = writerOf(store, key, { startAt: T0 + 3_600_000, during: signedAgain });
    try {
      await writer.start();
      expect(await endingOfOld(store)).toBeUndefined();
      expect(slept).toEqual([LIVENESS]);
      await writer.flushAndClose();
    } finally {
      await store.close();
    }
  });
});
