/**
 * At start, the access-log writer closes the chains whose writers are gone, recording how far
 * each got. Only what the gateway's key signed decides that: rows someone wrote into the store
 * must neither stop the writer from starting nor keep a dead chain from being closed, and
 * gateways starting together must not record one chain's end twice.
 */
import { describe, expect, it } from '@jest/globals';
import { chainKeyOf } from '../../../../audit/chain.js';
import { signCheckpoint } from '../../../../audit/checkpoint.js';
import { nextLedgerBody, readLedger, sealLedgerEntry } from '../../../../audit/ledger.js';
import { GENESIS_HASH } from '../../../../audit/record.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import { createStore } from '../../../../store/index.js';
import type { Store } from '../../../../store/port.js';
import { testSigningKey } from '../../audit/fixtures.js';

const TIME = '2025-01-01T00:00:00.000Z';

/** An in-memory store holding chain `chainId` of `instanceId`, its head at `lastSeq`/`lastHash`, opened in the ledger unless `ledger` is false. */
async function storeWithChain(key: SigningKey, options: { chainId?: string; instanceId?: string; lastSeq?: number; lastHash?: string; ledger?: boolean } = {}): Promise<Store> {
  const { chainId = 'chain-old', instanceId = 'gw-test', lastSeq = 0, lastHash = GENESIS_HASH, ledger = true } = options;
  const store = await createStore('sqlite::memory:');
  if (ledger) await store.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId, instanceId, time: TIME, hashAlg: 'hmac-sha256', ending: null })));
  await store.openChain({ chainId, instanceId, startedAt: TIME, lastSeq, lastHash, updatedAt: TIME });
  return store;
}

/** Starts and closes a writer of a new chain for each instance, all at once. */
async function startAndStop(store: Store, key: SigningKey, instanceIds: string[] = ['gw-test']): Promise<void> {
  const writers = instanceIds.map((id) => createAccessLogWriter({ store, chainId: `chain-new-${id}`, instanceId: id, signingKey: key, chainKey: chainKeyOf(Buffer.alloc(32, 1)) }));
  await Promise.all(writers.map((w) => w.start()));
  await Promise.all(writers.map((w) => w.flushAndClose()));
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

  it('does not believe a chain head that is not a whole number, or that was moved back before the last signed checkpoint: the CLOSE ends the chain at that checkpoint', async () => {
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
});
