import { beforeAll, describe, expect, it } from '@jest/globals';
import { computeRecordHash } from '../../../audit/chain.js';
import { signCheckpoint } from '../../../audit/checkpoint.js';
import type { ChainedAccessRecord, Checkpoint } from '../../../audit/record.js';
import { GENESIS_HASH } from '../../../audit/record.js';
import { verifyChain, type VerificationReport } from '../../../audit/verifier.js';
import type { SigningKey } from '../../../core/keys.js';
import { roundTrip, sampleChain, testSigningKey } from './fixtures.js';

const N = 20;
const at = (records: ChainedAccessRecord[], seq: number) => records.findIndex((r) => r.seq === seq);
const kinds = (report: VerificationReport) => report.problems.map((p) => `${p.kind}@${p.seq}`);

/** Two rows exchange everything except their seq column (the adapter reports the column as seq). */
function swapContents(records: ChainedAccessRecord[], a: number, b: number): ChainedAccessRecord[] {
  const out = roundTrip(records);
  const ia = at(out, a);
  const ib = at(out, b);
  const ra = out[ia]!;
  out[ia] = { ...out[ib]!, seq: a };
  out[ib] = { ...ra, seq: b };
  return out;
}

/** Two rows exchange their stored record whole (the adapter returns each record's own seq). */
function swapStoredRecords(records: ChainedAccessRecord[], a: number, b: number): ChainedAccessRecord[] {
  const out = roundTrip(records);
  const ia = at(out, a);
  const ib = at(out, b);
  [out[ia], out[ib]] = [out[ib]!, out[ia]!];
  return out;
}

describe('verifyChain', () => {
  let key: SigningKey;
  let other: SigningKey;
  let records: ChainedAccessRecord[];
  let checkpoints: Checkpoint[];
  const checkpointAt = (seq: number, k: SigningKey = key) =>
    signCheckpoint(k, { chainId: 'chain-test', seq, hash: seq === 0 ? GENESIS_HASH : records[seq - 1]!.hash, time: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString() });
  const verify = (rows: ChainedAccessRecord[], cps: Checkpoint[] = checkpoints, options = {}) => verifyChain(rows, cps, key.publicJwks, { chainId: 'chain-test', ...options });

  beforeAll(async () => {
    [key, other] = await Promise.all([testSigningKey(), testSigningKey()]);
    records = sampleChain(N);
    checkpoints = [await checkpointAt(0), await checkpointAt(10), await checkpointAt(N)];
  });

  it('reports an untouched chain clean', async () => {
    const report = await verify(roundTrip(records));
    expect(report).toMatchObject({ chainId: 'chain-test', ok: true, checked: N, problems: [], omitted: 0, lastSeq: N, checkpointsChecked: 3, latestCheckpointSeq: N });
  });

  it('reports an empty chain with only its start checkpoint clean', async () => {
    const report = await verify([], [checkpoints[0]!]);
    expect(report.ok).toBe(true);
    expect(report.checked).toBe(0);
  });

  it.each([
    ['decision', 'DENIED'],
    ['productId', 'PRD-OTHER'],
    ['latencyMs', 0],
    ['clientDigests', []],
    ['prevHash', GENESIS_HASH],
    ['hash', 'f'.repeat(64)],
  ])('reports ALTERED at seq k (only) when field %s of record k is edited', async (field, value) => {
    const rows = roundTrip(records);
    rows[6] = { ...rows[6]!, [field]: value };
    const report = await verify(rows);
    expect(report.ok).toBe(false);
    expect(kinds(report)).toEqual(['ALTERED@7']);
  });

  it('reports the first record altered', async () => {
    const rows = roundTrip(records);
    rows[0] = { ...rows[0]!, sub: 'someone-else' };
    expect(kinds(await verify(rows))).toEqual(['ALTERED@1']);
  });

  it('reports MISSING at seq k when record k is deleted', async () => {
    const rows = roundTrip(records).filter((r) => r.seq !== 7);
    expect(kinds(await verify(rows))).toEqual(['MISSING@7']);
  });

  it('reports each seq of a deleted run', async () => {
    const rows = roundTrip(records).filter((r) => r.seq < 4 || r.seq > 6);
    expect(kinds(await verify(rows))).toEqual(['MISSING@4', 'MISSING@5', 'MISSING@6']);
  });

  it.each([
    [3, 9],
    [4, 5],
    [1, 2],
    [8, 10],
    [1, N],
  ])('reports REORDERED at both seqs when rows %i and %i swap contents (seq column kept)', async (a, b) => {
    const report = await verify(swapContents(records, a, b));
    expect(report.ok).toBe(false);
    expect(report.problems.every((p) => p.kind === 'REORDERED')).toBe(true);
    expect(report.problems.map((p) => p.seq)).toEqual([a, b]);
  });

  it.each([
    [3, 9],
    [4, 5],
    [1, 2],
    [8, 10],
    [1, N],
  ])('reports REORDERED at both seqs when rows %i and %i swap whole stored records', async (a, b) => {
    const report = await verify(swapStoredRecords(records, a, b));
    expect(report.ok).toBe(false);
    expect(report.problems.every((p) => p.kind === 'REORDERED')).toBe(true);
    expect(report.problems.map((p) => p.seq)).toEqual([a, b]);
  });

  it('reports a record moved far out of place (whole stored record) without blaming the rows in between', async () => {
    const rows = roundTrip(records);
    const [moved] = rows.splice(2, 1); // seq 3's row now holds seq 4, and so on; seq 3 ends up last
    rows.push(moved!);
    const report = await verify(rows);
    expect(kinds(report)).toEqual(['REORDERED@3']);
  });

  it('reports a seq stored twice and the one it replaced', async () => {
    const rows = roundTrip(records);
    rows[3] = roundTrip(rows[2]!); // the row of seq 4 holds a copy of seq 3, own seq field and all
    expect(kinds(await verify(rows))).toEqual(['REORDERED@3', 'MISSING@4']);
  });

  it('combines a stored-record swap with an alteration and a deletion', async () => {
    const rows = swapStoredRecords(records, 5, 9).filter((r) => r.seq !== 14);
    rows[1] = { ...rows[1]!, org: '98765432122' };
    expect(kinds(await verify(rows))).toEqual(['ALTERED@2', 'REORDERED@5', 'REORDERED@9', 'MISSING@14']);
  });

  it('reports a row overwritten with a copy of another', async () => {
    const rows = roundTrip(records);
    rows[7] = { ...rows[2]!, seq: 8 };
    expect(kinds(await verify(rows))).toEqual(['REORDERED@8']);
  });

  it('reports TRUNCATED when a signed checkpoint covers records no longer stored', async () => {
    const rows = roundTrip(records).filter((r) => r.seq <= N - 3);
    expect(kinds(await verify(rows))).toEqual([`TRUNCATED@${N - 2}`]);
  });

  it('reports TRUNCATED when every record after the start checkpoint is gone', async () => {
    expect(kinds(await verify([], checkpoints))).toEqual(['TRUNCATED@1']);
  });

  it('reports TRUNCATED when the chain head says more than is stored', async () => {
    const rows = roundTrip(records).filter((r) => r.seq <= N - 3);
    const head = { chainId: 'chain-test', instanceId: 'gw', startedAt: '', lastSeq: N, lastHash: records[N - 1]!.hash, updatedAt: '' };
    expect(kinds(await verify(rows, [checkpoints[0]!], { head }))).toEqual([`TRUNCATED@${N - 2}`]);
  });

  it('does not mistake the end of a chain without a later checkpoint for truncation', async () => {
    const rows = roundTrip(records).filter((r) => r.seq <= 15);
    const report = await verify(rows, checkpoints.slice(0, 2));
    expect(report.ok).toBe(true);
  });

  it('reports CHECKPOINT_SIGNATURE for a checkpoint signed by another key', async () => {
    const forged = await checkpointAt(15, other);
    expect(kinds(await verify(roundTrip(records), [...checkpoints, forged]))).toEqual(['CHECKPOINT_SIGNATURE@15']);
  });

  it('reports CHECKPOINT_SIGNATURE for a checkpoint whose columns were edited', async () => {
    const edited = { ...checkpoints[1]!, seq: 11 };
    expect(kinds(await verify(roundTrip(records), [checkpoints[0]!, edited, checkpoints[2]!]))).toEqual(['CHECKPOINT_SIGNATURE@11']);
  });

  it('does not let a forged checkpoint hide a truncation or claim one', async () => {
    const rows = roundTrip(records).filter((r) => r.seq <= 15);
    const forged = await checkpointAt(N, other);
    expect(kinds(await verify(rows, [checkpoints[0]!, forged]))).toEqual([`CHECKPOINT_SIGNATURE@${N}`]);
  });

  it('reports a record rewritten with a recomputed hash as a broken link, and at k when a checkpoint covers it', async () => {
    const rows = roundTrip(records);
    const rewritten = { ...rows[9]!, decision: 'ALLOWED' as const, sub: 'forger' };
    rows[9] = { ...rewritten, hash: computeRecordHash(rewritten) };
    expect(kinds(await verify(rows))).toEqual(['CHECKPOINT_MISMATCH@10', 'BROKEN_LINK@11']);
  });

  it('catches a chain rewritten from k to the end (hashes and links recomputed) by the signed checkpoints', async () => {
    const rows = roundTrip(records);
    for (let i = 11; i < N; i++) {
      const r = { ...rows[i]!, prevHash: rows[i - 1]!.hash, sub: 'forger' };
      rows[i] = { ...r, hash: computeRecordHash(r) };
    }
    const report = await verify(rows);
    expect(report.ok).toBe(false);
    expect(kinds(report)).toContain(`CHECKPOINT_MISMATCH@${N}`);
  });

  it('reports a renumbered chain (a row deleted and later seqs shifted down) from the deleted seq on', async () => {
    const rows = roundTrip(records)
      .filter((r) => r.seq !== 5)
      .map((r) => (r.seq > 5 ? { ...r, seq: r.seq - 1 } : r));
    const report = await verify(rows);
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.seq).toBe(5);
    expect(report.problems.some((p) => p.seq < 5)).toBe(false);
  });

  it('checks only the range asked for, using the row before it as the anchor', async () => {
    const rows = roundTrip(records);
    rows[1] = { ...rows[1]!, sub: 'changed' }; // seq 2: outside the range
    const range = rows.filter((r) => r.seq >= 5 && r.seq <= 12);
    const report = await verify(range, checkpoints, { fromSeq: 5, toSeq: 12, anchor: rows[3] });
    expect(report).toMatchObject({ ok: true, checked: 8, fromSeq: 5, toSeq: 12, checkpointsChecked: 1 });
  });

  it('reports a broken link into the range from the anchor', async () => {
    const rows = roundTrip(records);
    const rewritten = { ...rows[3]!, sub: 'forger' };
    const anchor = { ...rewritten, hash: computeRecordHash(rewritten) }; // seq 4, self-consistent
    const report = await verify(rows.slice(4, 12), [], { fromSeq: 5, toSeq: 12, anchor });
    expect(kinds(report)).toEqual(['BROKEN_LINK@5']);
  });

  it('lists at most maxProblems and counts the rest', async () => {
    const rows = roundTrip(records).map((r) => ({ ...r, sub: 'changed' }));
    const report = await verify(rows, checkpoints, { maxProblems: 5 });
    expect(report.problems).toHaveLength(5);
    expect(report.omitted).toBe(N - 5);
    expect(report.ok).toBe(false);
  });

  it('judges every filter row a seq has: a second copy of a record (MongoDB keeps no unique seq) whose filter fields differ is reported, whichever comes first', async () => {
    const { indexedColumnsOf } = await import('../../../audit/record.js');
    const rows = roundTrip(records);
    const honest = rows.map(indexedColumnsOf);
    const forged = { ...honest[1]!, decision: 'FORGED_DECISION' };
    for (const indexed of [[...honest.slice(0, 2), forged, ...honest.slice(2)], [honest[0]!, forged, ...honest.slice(1)]]) {
      expect(kinds(await verify(rows, checkpoints, { indexed }))).toEqual(['ALTERED@2']);
    }
    // An exact copy (a retried write that raced a slow one, or someone's insert) is reported
    // (review-audit): the auditors' queries, counts and summaries list every copy.
    expect(kinds(await verify(rows, checkpoints, { indexed: [...honest, honest[4]!] }))).toEqual(['DUPLICATED@5']);
  });

  it('sets aside a record whose own seq is not a whole number, and reports it at its row when the row says why, else at the start of the range', async () => {
    const { indexedColumnsOf } = await import('../../../audit/record.js');
    const rows = roundTrip(records);
    const honest = rows.map(indexedColumnsOf);
    const odd = { ...rows[N - 1]!, seq: '21' as unknown as number };
    // SQLite: the row at 21 says its text holds no usable seq.
    const withRow = await verify([...rows, odd], checkpoints, { indexed: [...honest, { ...honest[N - 1]!, seq: 21, storedForm: 'the stored record\'s own seq is "21"' }] });
    expect(kinds(withRow)).toEqual(['ALTERED@21']);
    expect(withRow.problems[0]!.detail).toMatch(/own seq is "21"/);
    // No row says so (MongoDB, whose unplaced rows are reported apart): still reported, at a seq the API can carry.
    const without = await verify([...rows, odd], checkpoints, { indexed: honest });
    expect(kinds(without)).toEqual(['ALTERED@1']);
    expect(without.problems[0]!.detail).toMatch(/1 record read for this range holds a seq that is not a whole number/);
  });

  it('reports a ledger end that names another hash than the record stored at its seq (an end recorded from an edited chain head)', async () => {
    const rows = roundTrip(records);
    const ending = { how: 'CRASH' as const, lastSeq: N, lastHash: rows[N - 1]!.hash, lastCheckpointSeq: N, lastCheckpointN: 0, unsignedRecords: 0 };
    expect((await verify(rows, checkpoints, { ending })).ok).toBe(true);
    const forgedEnd = await verify(rows, checkpoints, { ending: { ...ending, lastHash: 'b'.repeat(64) } });
    expect(kinds(forgedEnd)).toEqual([`CHECKPOINT_MISMATCH@${N}`]);
    expect(forgedEnd.problems[0]!.detail).toMatch(/ledger says the chain ended at seq \d+ \(CRASH\) with another hash/);
  });

  it('says of a keyed-intact record past a crashed chain\'s recorded end that the end may have been recorded short, not only that it was forged', async () => {
    const rows = roundTrip(records);
    const end = N - 2;
    const crash = { how: 'CRASH' as const, lastSeq: end, lastHash: rows[end - 1]!.hash, lastCheckpointSeq: 0, lastCheckpointN: 0, unsignedRecords: end };
    const crashed = await verify(rows, [], { ending: crash });
    expect(kinds(crashed)).toEqual([`FORGED@${end + 1}`, `FORGED@${end + 2}`]);
    expect(crashed.problems[0]!.detail).toMatch(new RegExp(`hashes under the audit key, so someone holding that key wrote it, or the record at seq ${end + 1} was already altered`));
    const shutdown = await verify(rows, [], { ending: { ...crash, how: 'SHUTDOWN' as const } });
    expect(shutdown.problems[0]!.detail).toBe(`the record was stored after the chain ended at seq ${end} (SHUTDOWN)`);
  });

  it('lists a huge gap without enumerating it all', async () => {
    const rows = [...roundTrip(records), { ...roundTrip(records[N - 1]!), seq: 1_000_000_000 }];
    const report = await verify(rows, checkpoints, { maxProblems: 10 });
    expect(report.problems).toHaveLength(10);
    expect(report.omitted).toBeGreaterThan(1_000_000);
  });
});
