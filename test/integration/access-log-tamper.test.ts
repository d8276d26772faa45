/**
 * Tampering with the access log in the database itself, as someone with write access but not
 * the keys would: every case is reported with the right kind at the right seq by
 * `verifyAccessLog` (through a new gateway on the same store) and by `npm run audit:verify`; an
 * untouched log verifies clean. Each case works on its own copy of the store, taken after the
 * source gateway shut down (which flushes the log, writes a final signed checkpoint and closes
 * the chain in the ledger).
 *
 * The cases (issue 15): alter a record; alter only a filter column; delete a record; swap two
 * seqs; insert a forged record with a correct plain hash; cut the tail and rewrite the head;
 * delete the tail with the later checkpoints and the head; delete a whole chain; delete a
 * checkpoint in the middle.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { AUDITOR, problemKeys, verifyAccessLogVia } from './support/access-log-auditor.js';
import { runAuditVerify } from './support/access-log-cli.js';
import { computeRecordHash } from '../../audit/chain.js';
import { alterColumn, alterRecordField, appendForgedRecord, chainRows, checkpointRows, copyDataDir, cutTailRewriteHead, DB_FILE, deleteChain, deleteCheckpoint, deleteRecord, deleteTailCheckpointsAndHead, insertRowCopy, setHeadSeq, skewDecisionIndex, storedRecord, swapRecords } from './support/access-log-sqlite.js';

const QUERY = 'query Tamper($id: ID!) { client(clientId: $id) { id name } }';
const TRAFFIC = 12;

describe('access log tampering', () => {
  let chainId: string;
  /** Pristine copy of the source system's data directory (keys + checkpointed database). */
  let pristine: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    // A checkpoint after every 4 records, so the chain has checkpoints in its middle to delete.
    const source: TestSystem = await startTestSystem({ audit: { sqliteSync: 'normal', checkpointEvery: 4 } });
    try {
      chainId = source.gateway.chainId;
      const products = ['PRD-CERTIFIED', 'PRD-LIMITED', 'PRD-SUSPENDED'];
      for (let i = 0; i < TRAFFIC; i++) {
        // Awaited one by one, so seq order is send order and statuses differ between neighbours.
        const product = products[i % products.length]!;
        const r = await source.gql(QUERY, { token: await source.token({ product }), variables: { id: `C-00000${(i % 9) + 1}` } });
        if (!r.headers.get('x-request-id')) throw new Error('no x-request-id');
      }
      // Flushes the writer and signs a final checkpoint covering every record.
      await source.gateway.close();
      const checkpoints = await source.store.checkpointsOf(chainId);
      if (Math.max(...checkpoints.map((c) => c.seq)) !== TRAFFIC) throw new Error(`final checkpoint does not cover seq ${TRAFFIC}: ${JSON.stringify(checkpoints.map((c) => c.seq))}`);
      // The store stops first: its write thread's own fold and WAL checkpoint (every 250 ms) would
      // otherwise race the copy's TRUNCATE checkpoint, which then answers busy.
      await source.store.close();
      pristine = copyDataDir(source.dataDir, 'dsp-tamper-pristine-');
      dirs.push(pristine);
    } finally {
      await source.close();
    }
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh copy of the pristine store, tampered with by `tamper`. */
  function tamperedCopy(tamper: (dbPath: string) => void): string {
    const dir = copyDataDir(pristine, 'dsp-tamper-case-');
    dirs.push(dir);
    tamper(join(dir, DB_FILE));
    return dir;
  }

  /** The CLI's verdict, then verifyAccessLog's through a new gateway started on the same store and keys. */
  async function verifyBothWays(dir: string) {
    const storeUrl = `sqlite:${join(dir, DB_FILE)}`;
    const cli = await runAuditVerify({ dataDir: dir, storeUrl });
    const sys = await startTestSystem({ dataDir: dir }, { storeUrl });
    try {
      expect(sys.gateway.chainId).not.toBe(chainId);
      const api = await verifyAccessLogVia(sys, await sys.token(AUDITOR), chainId);
      const cliChain = cli.json?.chains.find((c) => c.chainId === chainId) ?? null;
      return { cli, cliChain, api };
    } finally {
      await sys.close();
    }
  }

  it('has a chain of gap-free seqs 1..N to tamper with', () => {
    const rows = chainRows(join(pristine, DB_FILE), chainId);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: TRAFFIC }, (_, i) => i + 1));
  });

  it('verifies an untouched log clean (CLI exit 0, report ok)', async () => {
    const dir = tamperedCopy(() => {});
    const { cli, cliChain, api } = await verifyBothWays(dir);
    expect({ code: cli.code, stderr: cli.stderr.includes('could not verify') }).toEqual({ code: 0, stderr: false });
    expect(cli.json?.ok).toBe(true);
    expect(cliChain).toMatchObject({ ok: true, checked: TRAFFIC, problems: [] });
    expect(api).toMatchObject({ chainId, ok: true, checked: TRAFFIC, problems: [], lastSeq: TRAFFIC, latestCheckpointSeq: TRAFFIC });
  });

  it('reports ALTERED at the seq whose field was changed', async () => {
    const seq = 5;
    const dir = tamperedCopy((db) => {
      const before = storedRecord(db, chainId, seq);
      alterRecordField(db, chainId, seq, 'httpStatus', before.httpStatus === 200 ? 403 : 200);
    });
    const { cli, cliChain, api } = await verifyBothWays(dir);
    expect(cli.code).toBe(1);
    expect(cli.json?.ok).toBe(false);
    expect(problemKeys(cliChain!.problems)).toEqual([`ALTERED@${seq}`]);
    expect(api.ok).toBe(false);
    expect(problemKeys(api.problems)).toEqual([`ALTERED@${seq}`]);
  });

  it('reports MISSING at the seq of a deleted record', async () => {
    const seq = 7;
    const dir = tamperedCopy((db) => deleteRecord(db, chainId, seq));
    const { cli, cliChain, api } = await verifyBothWays(dir);
    expect(cli.code).toBe(1);
    expect(problemKeys(cliChain!.problems)).toEqual([`MISSING@${seq}`]);
    expect(api.ok).toBe(false);
    expect(problemKeys(api.problems)).toEqual([`MISSING@${seq}`]);
  });

  it('reports the removal of the last record, which the final checkpoint covers', async () => {
    const dir = tamperedCopy((db) => deleteRecord(db, chainId, TRAFFIC));
    const { cli, cliChain, api } = await verifyBothWays(dir);
    expect(cli.code).toBe(1);
    expect(cliChain!.ok).toBe(false);
    expect(api.ok).toBe(false);
    expect(api.problems.map((p) => p.seq)).toContain(TRAFFIC);
    expect(cliChain!.problems.map((p) => p.seq)).toContain(TRAFFIC);
  });

  it('reports both seqs of two swapped records', async () => {
    const [a, b] = [3, 9];
    const dir = tamperedCopy((db) => swapRecords(db, chainId, a, b));
    const { cli, cliChain, api } = await verifyBothWays(dir);
    expect(cli.code).toBe(1);
    expect(problemKeys(cliChain!.problems)).toEqual([`REORDERED@${a}`, `REORDERED@${b}`]);
    expect(api.ok).toBe(false);
    expect(problemKeys(api.problems)).toEqual([`REORDERED@${a}`, `REORDERED@${b}`]);
  });

  /** Runs one case both ways and expects exactly `expected` (kind@seq) for the chain, each finding naming a seq range and the run saying where trust ends. */
  async function expectFindings(tamper: (db: string) => void, expected: string[]) {
    const dir = tamperedCopy(tamper);
    const { cli, cliChain, api } = await verifyBothWays(dir);
    expect(cli.code).toBe(1);
    expect(cli.json?.ok).toBe(false);
    expect(problemKeys(cliChain!.problems)).toEqual(expected);
    expect(api.ok).toBe(false);
    expect(problemKeys(api.problems)).toEqual(expected);
    for (const p of cliChain!.problems as Array<{ seq: number; toSeq?: number }>) expect(p.toSeq).toBeGreaterThanOrEqual(p.seq);
    return { cliChain: cliChain!, api };
  }

  it('reports ALTERED at the seq whose filter column alone was changed (decision turned to DENIED, the record left intact)', async () => {
    const seq = 4;
    const { api } = await expectFindings((db) => {
      if (storedRecord(db, chainId, seq).decision === 'DENIED') throw new Error('pick a record that was not denied');
      alterColumn(db, chainId, seq, 'decision', 'DENIED');
    }, [`ALTERED@${seq}`]);
    expect(api.problems[0]!.detail).toMatch(/filter column/);
  });

  it('reports FORGED at a record appended with a correct plain SHA-256 hash and a rewritten head', async () => {
    await expectFindings((db) => appendForgedRecord(db, chainId, (r) => computeRecordHash(r, null)), [`FORGED@${TRAFFIC + 1}`]);
  });

  it('reports FORGED a row stored with a text seq, which auditors\' queries list but no read by seq returns', async () => {
    const { api } = await expectFindings((db) => insertRowCopy(db, chainId, 5, { seqSql: "'5b'" }), [`FORGED@${TRAFFIC + 1}`]);
    expect(api.problems[0]!.detail).toMatch(/seq '5b'/);
  });

  it('reports, under a label of its own, a row whose chain id is stored as a blob with the bytes of the real chain\'s id', async () => {
    const dir = tamperedCopy((db) => insertRowCopy(db, chainId, 5, { seqSql: 'seq', chainSql: 'CAST(chain_id AS BLOB)' }));
    const { cli, cliChain } = await verifyBothWays(dir);
    expect(cli.code).toBe(1);
    expect(cliChain).toMatchObject({ ok: true, checked: TRAFFIC });
    const label = `[blob ${Buffer.from(chainId).toString('hex')}]`;
    const forged = cli.json?.chains.find((c) => c.chainId === label);
    expect(forged && problemKeys(forged.problems)).toEqual(['FORGED@1']);
  });

  it('reports an index made to disagree with its table (the verifier reads the table, filters the index) through the storage check of the whole-log verification', async () => {
    const dir = tamperedCopy((db) => skewDecisionIndex(db, chainId, 5));
    const cli = await runAuditVerify({ dataDir: dir, storeUrl: `sqlite:${join(dir, DB_FILE)}` });
    expect(cli.code).toBe(1);
    expect(cli.json?.chains.find((c) => c.chainId === chainId)).toMatchObject({ ok: true });
    expect((cli.json as unknown as { storageProblems: string[] }).storageProblems).toEqual(expect.arrayContaining([expect.stringMatching(/^integrity_check: .*access_records_by_decision/)]));
    const sys = await startTestSystem({ dataDir: dir }, { storeUrl: `sqlite:${join(dir, DB_FILE)}` });
    try {
      // What an auditor's filter now finds: a record whose hashed decision is another.
      expect(await sys.store.countAccessLogs({ decision: 'FORGED_DECISION' as never })).toBe(1);
      const r = await sys.gql('query { verifyAccessLogs { ok storageProblems } }', { token: await sys.token(AUDITOR) });
      const v = r.body.data?.verifyAccessLogs as { ok: boolean; storageProblems: string[] };
      expect(v.ok).toBe(false);
      expect(v.storageProblems.length).toBeGreaterThan(0);
    } finally {
      await sys.close();
    }
  });

  it('answers through the API when a forged chain head claims a seq past the API\'s SafeInt (2^53-1): the finding is held at the largest SafeInt and names the real seq', async () => {
    const { cliChain, api } = await expectFindings((db) => setHeadSeq(db, chainId, 2 ** 60), [`TRUNCATED@${TRAFFIC + 1}`]);
    expect((cliChain.problems[0] as { toSeq?: number }).toSeq).toBe(2 ** 60);
    expect(api.problems[0]!.detail).toMatch(/1152921504606847000, past the API's SafeInt range/);
  });

  it('reports TRUNCATED from the first removed seq when the tail is cut and the head rewritten', async () => {
    const keep = 8;
    const { cliChain } = await expectFindings((db) => cutTailRewriteHead(db, chainId, keep), [`TRUNCATED@${keep + 1}`]);
    expect((cliChain.problems[0] as { toSeq?: number }).toSeq).toBe(TRAFFIC);
  });

  it('reports the removed tail, the removed checkpoints and where trust ends when the tail goes with its checkpoints and the head', async () => {
    const keep = 6;
    const finalSeq = Math.max(...checkpointRows(join(pristine, DB_FILE), chainId).map((c) => c.seq));
    const { cliChain } = await expectFindings((db) => deleteTailCheckpointsAndHead(db, chainId, keep), [`CHECKPOINT_MISSING@${finalSeq}`, `TRUNCATED@${keep + 1}`]);
    const trusted = (cliChain as unknown as { lastTrustedCheckpoint: { seq: number } | null }).lastTrustedCheckpoint;
    expect(trusted!.seq).toBeLessThanOrEqual(keep);
  });

  it('reports CHAIN_MISSING when a whole chain (records, checkpoints and head) is deleted: the ledger still names it', async () => {
    await expectFindings((db) => deleteChain(db, chainId), ['CHAIN_MISSING@1']);
  });

  it('reports CHECKPOINT_MISSING at the next checkpoint when one in the middle is deleted', async () => {
    const rows = checkpointRows(join(pristine, DB_FILE), chainId);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    const next = rows.find((r) => r.n === 3)!;
    await expectFindings((db) => deleteCheckpoint(db, chainId, 2), [`CHECKPOINT_MISSING@${next.seq}`]);
  });
});
