/**
 * At start, the access-log writer closes the chains whose writers are gone as CRASH, recording
 * how far each got from its checkpoints. Only checkpoints the gateway's key signed, at a seq a
 * chain can have, decide that: rows someone wrote into the store must neither stop the writer
 * from starting nor keep a dead chain from being closed.
 */
import { describe, expect, it } from '@jest/globals';
import { chainKeyOf } from '../../../../audit/chain.js';
import { signCheckpoint } from '../../../../audit/checkpoint.js';
import { nextLedgerBody, readLedger, sealLedgerEntry } from '../../../../audit/ledger.js';
import { GENESIS_HASH } from '../../../../audit/record.js';
import { createAccessLogWriter } from '../../../../gateway/access-log/writer.js';
import { createStore } from '../../../../store/index.js';
import { testSigningKey } from '../../audit/fixtures.js';

describe('closing a crashed chain at start', () => {
  it('ignores forged checkpoint rows (unsigned final, seq Infinity): starts, and closes the dead chain from its signed checkpoints', async () => {
    const key = await testSigningKey();
    const store = await createStore('sqlite::memory:');
    try {
      const time = '2025-01-01T00:00:00.000Z';
      await store.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: 'chain-old', instanceId: 'gw-test', time, hashAlg: 'hmac-sha256', ending: null })));
      await store.openChain({ chainId: 'chain-old', instanceId: 'gw-test', startedAt: time, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: time });
      await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 0, hash: GENESIS_HASH, time, n: 1, final: false }));
      // Someone with the file: a "final" checkpoint no key signed (it would skip the CLOSE), and one at seq Infinity (signing the CLOSE would fail).
      await store.appendCheckpoint({ chainId: 'chain-old', seq: 2, hash: 'x', time, n: 2, final: true, signature: 'x.y.z' });
      await store.appendCheckpoint({ chainId: 'chain-old', seq: Number.POSITIVE_INFINITY, hash: 'x', time: '2025-01-01T00:00:01.000Z', signature: 'x.y.z' });
      const writer = createAccessLogWriter({ store, chainId: 'chain-new', instanceId: 'gw-test', signingKey: key, chainKey: chainKeyOf(Buffer.alloc(32, 1)) });
      await writer.start();
      await writer.flushAndClose();
      const close = (await store.readLedger()).find((e) => e.kind === 'CLOSE' && e.chainId === 'chain-old');
      expect(close?.ending).toEqual({ how: 'CRASH', lastSeq: 0, lastHash: GENESIS_HASH, lastCheckpointSeq: 0, lastCheckpointN: 1, unsignedRecords: 0 });
    } finally {
      await store.close();
    }
  });

  it('writes the CLOSE a clean shutdown did not get to write (its final checkpoint signed, the store gone before the CLOSE), so the next start is no missing CLOSE', async () => {
    const key = await testSigningKey();
    const store = await createStore('sqlite::memory:');
    try {
      const time = '2025-01-01T00:00:00.000Z';
      await store.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: 'chain-old', instanceId: 'gw-test', time, hashAlg: 'hmac-sha256', ending: null })));
      await store.openChain({ chainId: 'chain-old', instanceId: 'gw-test', startedAt: time, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: time });
      await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 0, hash: GENESIS_HASH, time, n: 1, final: true }));
      const writer = createAccessLogWriter({ store, chainId: 'chain-new', instanceId: 'gw-test', signingKey: key, chainKey: chainKeyOf(Buffer.alloc(32, 1)) });
      await writer.start();
      await writer.flushAndClose();
      const reading = await readLedger(await store.readLedger(), key.publicJwks);
      expect(reading.problems).toEqual([]);
      expect(reading.chains.get('chain-old')?.closed?.ending).toEqual({ how: 'SHUTDOWN', lastSeq: 0, lastHash: GENESIS_HASH, lastCheckpointSeq: 0, lastCheckpointN: 1, unsignedRecords: 0 });
    } finally {
      await store.close();
    }
  });

  it('closes an abandoned chain, and adopts the chains of a store from before the ledger, once when several gateways start together', async () => {
    const key = await testSigningKey();
    for (const ledgerFirst of [true, false]) {
      const store = await createStore('sqlite::memory:');
      try {
        const time = '2025-01-01T00:00:00.000Z';
        if (ledgerFirst) await store.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: 'chain-dead', instanceId: 'gw-dead', time, hashAlg: 'hmac-sha256', ending: null })));
        await store.openChain({ chainId: 'chain-dead', instanceId: 'gw-dead', startedAt: time, lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: time });
        const writers = ['gw-a', 'gw-b', 'gw-c'].map((id) => createAccessLogWriter({ store, chainId: `chain-${id}`, instanceId: id, signingKey: key, chainKey: chainKeyOf(Buffer.alloc(32, 1)) }));
        await Promise.all(writers.map((w) => w.start()));
        await Promise.all(writers.map((w) => w.flushAndClose()));
        const entries = await store.readLedger();
        expect({ ledgerFirst, problems: (await readLedger(entries, key.publicJwks)).problems }).toEqual({ ledgerFirst, problems: [] });
        expect(entries.filter((e) => e.chainId === 'chain-dead').map((e) => e.kind)).toEqual([ledgerFirst ? 'OPEN' : 'ADOPT', 'CLOSE']);
      } finally {
        await store.close();
      }
    }
  });

  it('does not believe a chain head that is not a whole number, or that was moved back before the last signed checkpoint: the CLOSE ends the chain at that checkpoint', async () => {
    const key = await testSigningKey();
    for (const lastSeq of ['abc' as unknown as number, 2.5, 3]) {
      const store = await createStore('sqlite::memory:');
      try {
        const time = '2025-01-01T00:00:00.000Z';
        const hash5 = 'a'.repeat(64);
        await store.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: 'chain-old', instanceId: 'gw-test', time, hashAlg: 'hmac-sha256', ending: null })));
        await store.openChain({ chainId: 'chain-old', instanceId: 'gw-test', startedAt: time, lastSeq, lastHash: hash5, updatedAt: time });
        await store.appendCheckpoint(await signCheckpoint(key, { chainId: 'chain-old', seq: 5, hash: hash5, time, n: 1, final: false }));
        const writer = createAccessLogWriter({ store, chainId: 'chain-new', instanceId: 'gw-test', signingKey: key, chainKey: chainKeyOf(Buffer.alloc(32, 1)) });
        await writer.start();
        await writer.flushAndClose();
        const close = (await store.readLedger()).find((e) => e.kind === 'CLOSE' && e.chainId === 'chain-old');
        expect({ lastSeq, ending: close?.ending }).toEqual({ lastSeq, ending: { how: 'CRASH', lastSeq: 5, lastHash: hash5, lastCheckpointSeq: 5, lastCheckpointN: 1, unsignedRecords: 0 } });
      } finally {
        await store.close();
      }
    }
  });
});
