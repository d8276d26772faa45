/**
 * Issue 4: tampering with the access log in the database itself — altering a field, deleting a
 * record, swapping two records — is reported at the right seq by `verifyAccessLog` (through a
 * new gateway on the same store) and by `npm run audit:verify`; an untouched log verifies clean.
 * Each case works on its own copy of the store, taken after the source gateway shut down (which
 * flushes the log and writes a final signed checkpoint).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { AUDITOR, problemKeys, verifyAccessLogVia } from './support/access-log-auditor.js';
import { runAuditVerify } from './support/access-log-cli.js';
import { alterRecordField, chainRows, copyDataDir, DB_FILE, deleteRecord, storedRecord, swapRecords } from './support/access-log-sqlite.js';

const QUERY = 'query Tamper($id: ID!) { client(clientId: $id) { id name } }';
const TRAFFIC = 12;

describe('access log tampering', () => {
  let chainId: string;
  /** Pristine copy of the source system's data directory (keys + checkpointed database). */
  let pristine: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    const source: TestSystem = await startTestSystem();
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
});
