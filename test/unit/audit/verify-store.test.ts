import { beforeAll, describe, expect, it } from '@jest/globals';
import { signCheckpoint } from '../../../audit/checkpoint.js';
import { GENESIS_HASH, type ChainedAccessRecord } from '../../../audit/record.js';
import { verifyStoredChain } from '../../../audit/verify-store.js';
import type { SigningKey } from '../../../core/keys.js';
import { FakeAccessLogStore } from '../gateway/access-log/fake-store.js';
import { sampleChain, testSigningKey } from './fixtures.js';

const N = 45;
const kinds = (problems: Array<{ kind: string; seq: number }>) => problems.map((p) => `${p.kind}@${p.seq}`);

describe('verifyStoredChain / verifyStore', () => {
  let key: SigningKey;
  let records: ChainedAccessRecord[];
  beforeAll(async () => {
    key = await testSigningKey();
    records = sampleChain(N, 'chain-a');
  });

  async function storeWith(rows: ChainedAccessRecord[] = records, checkpointSeqs: number[] = [0, 20, N]): Promise<FakeAccessLogStore> {
    const fake = new FakeAccessLogStore();
    await fake.openChain({ chainId: 'chain-a', instanceId: 'gw', startedAt: '2025-01-01T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
    const checkpoints = await Promise.all(
      checkpointSeqs.map((seq) => signCheckpoint(key, { chainId: 'chain-a', seq, hash: seq === 0 ? GENESIS_HASH : records[seq - 1]!.hash, time: `2025-01-01T00:00:${String(seq).padStart(2, '0')}.000Z` })),
    );
    await fake.appendAccessRecords(rows, checkpoints);
    return fake;
  }

  it.each([[1], [7], [10], [1000]])('reports a clean chain clean whatever the window size (%i)', async (windowSize) => {
    const report = await verifyStoredChain(await storeWith(), 'chain-a', key.publicJwks, { windowSize });
    expect(report).toMatchObject({ ok: true, checked: N, lastSeq: N, checkpointsChecked: 3, latestCheckpointSeq: N });
  });

  it('finds gaps at window boundaries, and each problem once', async () => {
    const rows = records.filter((r) => ![10, 11, 21, 30].includes(r.seq));
    const report = await verifyStoredChain(await storeWith(rows), 'chain-a', key.publicJwks, { windowSize: 10 });
    expect(kinds(report!.problems)).toEqual(['MISSING@10', 'MISSING@11', 'MISSING@21', 'MISSING@30']);
  });

  it('finds a removed tail across windows', async () => {
    const report = await verifyStoredChain(await storeWith(records.filter((r) => r.seq <= 12)), 'chain-a', key.publicJwks, { windowSize: 10 });
    expect(kinds(report!.problems)).toEqual(['TRUNCATED@13']);
  });

  it('finds a removed tail from the chain head alone', async () => {
    const fake = await storeWith(records, [0]);
    fake.rows.splice(40);
    const report = await verifyStoredChain(fake, 'chain-a', key.publicJwks, { windowSize: 10 });
    expect(kinds(report!.problems)).toEqual(['TRUNCATED@41']);
  });

  it('finds altered and swapped rows in different windows', async () => {
    const fake = await storeWith();
    const row = (seq: number) => fake.rows.find((r) => r.seq === seq)!;
    row(4).record = row(4).record.replace('"decision":"ALLOWED"', '"decision":"DENIED"');
    [row(22).record, row(24).record] = [row(24).record, row(22).record];
    const report = await verifyStoredChain(fake, 'chain-a', key.publicJwks, { windowSize: 10 });
    expect(kinds(report!.problems)).toEqual(['ALTERED@4', 'REORDERED@22', 'REORDERED@24']);
  });

  it('checks a seq range only', async () => {
    const rows = records.filter((r) => r.seq !== 3);
    const report = await verifyStoredChain(await storeWith(rows), 'chain-a', key.publicJwks, { fromSeq: 10, toSeq: 30, windowSize: 7 });
    expect(report).toMatchObject({ ok: true, checked: 21, fromSeq: 10, toSeq: 30, checkpointsChecked: 1 });
  });

  it('reports a checkpoint row at a seq no position can have (text, Infinity), which no window judges', async () => {
    const fake = await storeWith();
    await fake.appendCheckpoint({ chainId: 'chain-a', seq: 'abc' as unknown as number, hash: 'x', time: '2025-01-01T00:01:00.000Z', signature: 'x.y.z' });
    await fake.appendCheckpoint({ chainId: 'chain-a', seq: Number.POSITIVE_INFINITY, hash: 'x', time: '2025-01-01T00:01:01.000Z', signature: 'x.y.z' });
    const report = await verifyStoredChain(fake, 'chain-a', key.publicJwks, { windowSize: 10 });
    expect(kinds(report!.problems)).toEqual([`FORGED@${N + 1}`, `FORGED@${N + 1}`]);
    expect(report!.problems.map((p) => p.detail).join('\n')).toMatch(/stored at seq abc.*\n.*stored at seq Infinity/);
  });

  it('returns null for a chain the store knows nothing of', async () => {
    expect(await verifyStoredChain(await storeWith(), 'no-such-chain', key.publicJwks)).toBeNull();
  });

  it('verifies each chain on its own', async () => {
    const fake = await storeWith();
    await fake.openChain({ chainId: 'chain-b', instanceId: 'gw2', startedAt: '2025-01-02T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-02T00:00:00.000Z' });
    await fake.appendAccessRecords(sampleChain(5, 'chain-b'));
    fake.rows.splice(fake.rows.findIndex((r) => r.chainId === 'chain-b' && r.seq === 2), 1);
    const reports = [await verifyStoredChain(fake, 'chain-a', key.publicJwks), await verifyStoredChain(fake, 'chain-b', key.publicJwks)];
    expect(reports.map((r) => [r!.chainId, r!.ok, kinds(r!.problems)])).toEqual([
      ['chain-a', true, []],
      ['chain-b', false, ['MISSING@2']],
    ]);
  });
});
