/**
 * SQLite's batches sent ahead (FollowingAppends.appendToChainAfter, store/sqlite/access-log-writes.ts):
 * a prepared batch chained onto the head the file holds, written only when that head is where the
 * batch was sent to follow. And the writer using it under a flood, on the real write thread: every
 * record once, in order, the chain intact.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainBatch } from '../../../audit/chain.js';
import { GENESIS_HASH } from '../../../audit/record.js';
import { verifyAccessLog } from '../../../audit/verify-store.js';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter } from '../../../gateway/access-log/writer.js';
import { SqliteStore } from '../../../store/sqlite/index.js';
import { sampleBatch, sampleRecord, testSigningKey } from '../audit/fixtures.js';
import { sampleCheckpoint, sampleHead } from '../../contract/samples.js';

const KEY = new Uint8Array(32).fill(3);
const dir = mkdtempSync(join(tmpdir(), 'dsp-append-after-'));
const opened: SqliteStore[] = [];
let n = 0;
let signingKey: SigningKey;

beforeAll(async () => {
  signingKey = await testSigningKey();
});
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: { writeThread?: boolean } = {}): Promise<SqliteStore> {
  const store = new SqliteStore({ path: join(dir, `a${++n}.db`), ...options });
  await store.init();
  opened.push(store);
  return store;
}

const batchOf = (chainId: string, first: number, last: number, headHash: string): ChainBatch => sampleBatch(chainId, first, last, headHash, KEY);

describe.each([
  ['on the write thread', {}],
  ['on the store connection', { writeThread: false }],
])('appendToChainAfter %s', (_where, options) => {
  it('chains onto the stored head at the seq it follows, and says which hash that was', async () => {
    const store = await open(options);
    await store.openChain(sampleHead('c'));
    const first = await store.appendToChain(batchOf('c', 1, 3, GENESIS_HASH));
    const after = await store.appendToChainAfter(batchOf('c', 4, 6, ''));
    expect(after.prevHash).toBe(first[2]);
    const stored = await store.readChain('c', 1, 10);
    expect(stored.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(stored.map((r) => r.hash)).toEqual([...first, ...after.hashes]);
    expect(stored[3]!.prevHash).toBe(first[2]);
    expect((await store.listChains()).find((h) => h.chainId === 'c')).toMatchObject({ lastSeq: 6, lastHash: after.hashes[2] });
  });

  it('writes the checkpoints sent with it in its transaction, and none of them when it is refused', async () => {
    const store = await open(options);
    await store.openChain(sampleHead('k'));
    const first = await store.appendToChain(batchOf('k', 1, 3, GENESIS_HASH));
    const covering = sampleCheckpoint('k', 3, { hash: first[2]!, n: 2, final: false });
    await expect(store.appendToChainAfter(batchOf('k', 5, 6, ''), [covering])).rejects.toThrow(/not at seq 4/);
    expect(await store.checkpointsOf('k')).toEqual([]);
    await store.appendToChainAfter(batchOf('k', 4, 6, ''), [covering]);
    expect(await store.checkpointsOf('k')).toEqual([covering]);
  });

  it('writes nothing when the head is not at the seq it follows (the batch before it missing, or already followed)', async () => {
    const store = await open(options);
    await store.openChain(sampleHead('d'));
    await expect(store.appendToChainAfter(batchOf('d', 2, 3, ''))).rejects.toThrow(/not at seq 1/);
    await store.appendToChain(batchOf('d', 1, 2, GENESIS_HASH));
    await expect(store.appendToChainAfter(batchOf('d', 2, 3, ''))).rejects.toThrow(/not at seq 1/);
    await expect(store.appendToChainAfter(batchOf('e', 1, 1, ''))).rejects.toThrow(/not at seq 0/);
    expect((await store.readChain('d', 1, 10)).map((r) => r.seq)).toEqual([1, 2]);
    expect((await store.listChains()).find((h) => h.chainId === 'd')?.lastSeq).toBe(2);
    expect((await store.listChains()).some((h) => h.chainId === 'e')).toBe(false);
  });
});

describe('the writer under a flood on SQLite', () => {
  it('sends batches ahead on the write thread, which follow in order: every record once, each resolved after its commit, the chain intact', async () => {
    const store = await open();
    let sentAhead = 0;
    const followed = store.appendToChainAfter.bind(store);
    store.appendToChainAfter = (batch, checkpoints) => {
      sentAhead += 1;
      return followed(batch, checkpoints);
    };
    const chainKey = Buffer.from(KEY);
    const writer = createAccessLogWriter({ store, chainId: 'flood', instanceId: 'gw-flood', signingKey, chainKey, maxBatch: 50, checkpointEvery: 120, checkpointIntervalMs: 3_600_000 });
    await writer.start();
    const records = await Promise.all(Array.from({ length: 1_000 }, (_, i) => writer.append(sampleRecord(i + 1))));
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 1_000 }, (_, i) => i + 1));
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
    expect(sentAhead).toBeGreaterThan(0);
    await writer.flushAndClose();
    const stored = await store.readChain('flood', 1, 2_000);
    expect(stored.map((r) => r.hash)).toEqual(records.map((r) => r.hash));
    const report = (await verifyAccessLog(store, signingKey.publicJwks, { chainKey })).chains.find((c) => c.chainId === 'flood');
    expect(report).toMatchObject({ ok: true, checked: 1_000, status: 'SHUTDOWN', problems: [] });
  });
});
