/**
 * `npm run audit:verify` end to end: a real SQLite file written by the real writer, tampered
 * with plain SQL as an attacker with database access would, checked by the CLI in a child process.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { ensureKeys } from '../../../core/keys.js';
import { chainKeyOf } from '../../../audit/chain.js';
import { createAccessLogWriter } from '../../../gateway/access-log/writer.js';
import { createStore } from '../../../store/index.js';
import { sampleRecord } from './fixtures.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

function runCli(env: Record<string, string>, args: string[] = []): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['scripts/audit-verify.ts', ...args], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'test', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 2) : 0, stdout, stderr });
    });
  });
}

describe('npm run audit:verify', () => {
  let dir: string;
  let env: Record<string, string>;
  let chainId: string;
  const dbFile = () => join(dir, 'dsp.db');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
    env = { DATA_DIR: dir, STORE_URL: `sqlite:${dbFile()}` };
    const keys = await ensureKeys(dir);
    const store = await createStore(env.STORE_URL!);
    const writer = createAccessLogWriter({ store, chainId: 'gw-cli:1:aaaaaa', instanceId: 'gw-cli', signingKey: keys.gateway, chainKey: chainKeyOf(keys.hmacKey) });
    chainId = writer.chainId;
    await writer.start();
    await Promise.all(Array.from({ length: 30 }, (_, i) => writer.append(sampleRecord(i + 1))));
    await writer.flushAndClose();
    await store.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 and reports the untouched log clean', async () => {
    const r = await runCli(env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`chain ${chainId}  OK  SHUTDOWN  30 records`);
    expect(r.stdout).toMatch(/^ledger  OK  2 entries, head 2:[0-9a-f]{64}$/m);
  });

  it('with --chain, checks the file\'s header and schema too: a trigger someone added fails it though every record verifies', async () => {
    const clean = await runCli(env, ['--chain', chainId]);
    expect(clean.code).toBe(0);
    // The ledger, which says how the chain ended, is checked with it.
    expect(clean.stdout).toMatch(/^ledger  OK  2 entries, head 2:[0-9a-f]{64}\nstorage  OK$/m);
    const db = new Database(dbFile());
    try {
      db.exec("CREATE TRIGGER hide_denied AFTER INSERT ON access_staged BEGIN UPDATE access_staged SET decision = 'ALLOWED' WHERE chain_id = new.chain_id AND seq = new.seq; END");
      const r = await runCli(env, ['--chain', chainId]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^storage  FAILED\n  schema: trigger hide_denied on access_staged is not one/m);
      expect(r.stdout).toContain(`chain ${chainId}  OK  SHUTDOWN  30 records`);
      // A ledger head recorded earlier counts with --chain too.
      const trusted = await runCli(env, ['--chain', chainId, '--trusted-ledger', `99:${'a'.repeat(64)}`]);
      expect(trusted.stdout).toMatch(/^  ledger seq 99  MISSING  the ledger no longer reaches seq 99/m);
      const json = await runCli(env, ['--chain', chainId, '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, storageProblems: [expect.stringMatching(/^schema: trigger hide_denied/)] });
    } finally {
      db.exec('DROP TRIGGER IF EXISTS hide_denied');
      db.close();
    }
  });

  it('exits 1 and names the seq of every tampered record', async () => {
    const db = new Database(dbFile());
    const row = (seq: number) => db.prepare('SELECT record FROM access_records WHERE chain_id = ? AND seq = ?').pluck().get(chainId, seq) as string;
    const setRow = (seq: number, record: string) => db.prepare('UPDATE access_records SET record = ? WHERE chain_id = ? AND seq = ?').run(record, chainId, seq);
    db.prepare("UPDATE access_records SET record = json_set(record, '$.decision', 'DENIED') WHERE chain_id = ? AND seq = 4").run(chainId);
    db.prepare('DELETE FROM access_records WHERE chain_id = ? AND seq = 12').run(chainId);
    const [a, b] = [row(20), row(22)];
    setRow(20, b);
    setRow(22, a);
    // A forged chain head whose id holds a C1 control (U+009B starts a terminal command) and a bidi override.
    db.prepare("INSERT INTO chain_heads (chain_id, instance_id, started_at, last_seq, last_hash, updated_at) VALUES (?, 'x', '2025-01-01T00:00:00.000Z', 0, '', '2025-01-01T00:00:00.000Z')").run('forged\u009b2J\u202e');
    db.close();

    const r = await runCli(env);
    expect(r.code).toBe(1);
    const json = await runCli(env, ['--json']);
    expect(json.code).toBe(1);
    const report = (JSON.parse(json.stdout) as { chains: Array<{ problems: Array<{ seq: number; kind: string }> }> }).chains[0]!;
    expect(report.problems.map((p) => `${p.kind}@${p.seq}`)).toEqual(['ALTERED@4', 'MISSING@12', 'REORDERED@20', 'REORDERED@22']);
    // Both outputs show the forged id escaped, never the raw characters.
    for (const out of [r.stdout, json.stdout]) expect(out).not.toMatch(/[\u0080-\u009f\u202a-\u202e]/);
    expect((JSON.parse(json.stdout) as { chains: Array<{ chainId: string }> }).chains.map((c) => c.chainId)).toContain('forged\u009b2J\u202e');
    for (const seq of [4, 12, 20, 22]) expect(r.stdout).toMatch(new RegExp(`seq ${seq}  [A-Z]+`));
  });

  it('without the gateway\'s keys, exits 2 naming what it needs and creates no key (review s18d F10)', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'audit-verify-nokeys-'));
    try {
      const r = await runCli({ DATA_DIR: elsewhere, STORE_URL: env.STORE_URL! });
      expect([r.code, r.stderr]).toEqual([2, expect.stringContaining('set GATEWAY_JWKS_FILE')]);
      expect(existsSync(join(elsewhere, 'keys'))).toBe(false);
      // The public key set alone is not enough: the keyed hashes need the audit key.
      const withSet = await runCli({ DATA_DIR: elsewhere, STORE_URL: env.STORE_URL!, GATEWAY_JWKS_FILE: join(dir, 'keys', 'gateway.jwks.json') });
      expect([withSet.code, withSet.stderr]).toEqual([2, expect.stringContaining('set AUDIT_HMAC_KEY')]);
      const both = await runCli({ DATA_DIR: elsewhere, STORE_URL: env.STORE_URL!, GATEWAY_JWKS_FILE: join(dir, 'keys', 'gateway.jwks.json'), AUDIT_HMAC_KEY_FILE: join(dir, 'keys', 'audit-hmac.b64') });
      // Judged, not refused (clean or tampered, depending on the tests before this one).
      expect([both.code === 2, both.stdout]).toEqual([false, expect.stringContaining(`chain ${chainId}`)]);
      expect(existsSync(join(elsewhere, 'keys'))).toBe(false);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('exits 2 when it cannot run', async () => {
    expect((await runCli({ ...env, STORE_URL: 'sqlite:' })).code).toBe(2);
    expect((await runCli(env, ['--chain', 'no-such-chain'])).code).toBe(2);
  });
});
