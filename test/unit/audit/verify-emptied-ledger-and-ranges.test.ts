/**
 * Review (attacker's view) of the access log's tamper evidence: each test here failed on the
 * code as reviewed. Someone with write access to the SQLite file, without the audit key or the
 * gateway key.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { canonicalRecordJson, normalizeForHash } from '../../../audit/chain.js';
import { GENESIS_HASH, type ChainedAccessRecord } from '../../../audit/record.js';
import { verifyAccessLog, verifyChainInLog } from '../../../audit/verify-store.js';
import type { Store } from '../../../store/port.js';
import { CHAIN_KEY, openStore, raw, tempFile, writeChain } from './tamper-harness.js';
import { testSigningKey } from './fixtures.js';

const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});
async function open(file: string): Promise<Store> {
  const s = await openStore(file);
  stores.push(s);
  return s;
}
const kinds = (problems: Array<{ kind: string; seq: number }>) => problems.map((p) => `${p.kind}@${p.seq}`);

describe('range verification', () => {
  it('reports records deleted from the middle of a range when later records (and a signed checkpoint past the range) prove they existed', async () => {
    const key = await testSigningKey();
    const file = tempFile();
    let store = await open(file);
    // A chain whose writer crashed (no restart yet): OPEN in the ledger, 12 records, a signed checkpoint at 8.
    await writeChain(store, key, { chainId: 'chain-a', records: 12, checkpointEvery: 8, crash: true });
    await store.close();
    // The attacker deletes records 5..7 and moves the unsigned chain-head row back to 4.
    raw(file, (db) => {
      db.prepare("DELETE FROM access_records WHERE chain_id = 'chain-a' AND seq BETWEEN 5 AND 7").run();
      db.prepare("UPDATE chain_heads SET last_seq = 4 WHERE chain_id = 'chain-a'").run();
    });
    store = await open(file);
    const seqs = (await store.checkpointsOf('chain-a')).map((c) => c.seq);
    expect(seqs.some((s) => s > 7)).toBe(true); // a signed checkpoint past the range
    const whole = await verifyChainInLog(store, 'chain-a', key.publicJwks, { chainKey: CHAIN_KEY });
    expect(kinds(whole!.problems)).toEqual(['MISSING@5', 'MISSING@6', 'MISSING@7']);
    // The auditor verifies the range 5..7: the records there are gone, records 8..12 remain.
    const range = await verifyChainInLog(store, 'chain-a', key.publicJwks, { chainKey: CHAIN_KEY, fromSeq: 5, toSeq: 7 });
    expect({ ok: range!.ok, problems: kinds(range!.problems) }).toEqual({ ok: false, problems: expect.arrayContaining([expect.stringMatching(/^(MISSING|TRUNCATED)@5$/)]) });
  });
});

/** The record text the gateway writes (canonical, hash last), for a record hashed with plain SHA-256 by someone without any key. */
function plainlyHashed(record: Omit<ChainedAccessRecord, 'hash'>): { text: string; hash: string } {
  const canonical = canonicalRecordJson(normalizeForHash(record));
  const hash = createHash('sha256').update(canonical).digest('hex');
  return { text: `${canonical.slice(0, -1)},"hash":${JSON.stringify(hash)}}`, hash };
}

describe('range verification (no checkpoint past the range)', () => {
  it('reports the deleted end of a range from the records stored after it alone, and still passes an intact range and one past the chain', async () => {
    const key = await testSigningKey();
    const file = tempFile();
    let store = await open(file);
    await writeChain(store, key, { chainId: 'chain-a', records: 12, crash: true }); // only the start checkpoint (seq 0)
    await store.close();
    raw(file, (db) => {
      db.prepare("DELETE FROM access_records WHERE chain_id = 'chain-a' AND seq BETWEEN 6 AND 7").run();
      db.prepare("UPDATE chain_heads SET last_seq = 5 WHERE chain_id = 'chain-a'").run();
    });
    store = await open(file);
    const range = await verifyChainInLog(store, 'chain-a', key.publicJwks, { chainKey: CHAIN_KEY, fromSeq: 3, toSeq: 7 });
    expect({ ok: range!.ok, problems: range!.problems.map((p) => `${p.kind}@${p.seq}-${p.toSeq}`) }).toEqual({ ok: false, problems: ['MISSING@6-7'] });
    expect((await verifyChainInLog(store, 'chain-a', key.publicJwks, { chainKey: CHAIN_KEY, fromSeq: 8, toSeq: 12 }))!.ok).toBe(true);
    expect((await verifyChainInLog(store, 'chain-a', key.publicJwks, { chainKey: CHAIN_KEY, fromSeq: 20, toSeq: 30 }))!.ok).toBe(true);
  });
});

describe('an emptied ledger', () => {
  it('does not let a keyed chain be rewritten under plain SHA-256 and then verify clean once the next start adopts it', async () => {
    const key = await testSigningKey();
    const file = tempFile();
    let store = await open(file);
    // A gateway wrote a keyed chain and shut down cleanly (OPEN, final checkpoint, CLOSE).
    await writeChain(store, key, { chainId: 'chain-a', instanceId: 'gw-a', records: 5 });
    expect((await verifyAccessLog(store, key.publicJwks, { chainKey: CHAIN_KEY })).ok).toBe(true);
    await store.close();
    // While the gateway is down: empty the ledger and the checkpoints, and rewrite record 3 (a
    // different subject and client IP), relinking the chain with plain SHA-256 from seq 1.
    raw(file, (db) => {
      db.prepare('DELETE FROM chain_ledger').run();
      db.prepare('DELETE FROM checkpoints').run();
      const rows = db.prepare("SELECT seq, record FROM access_records WHERE chain_id = 'chain-a' ORDER BY seq").all() as Array<{ seq: number; record: string }>;
      let prevHash = GENESIS_HASH;
      for (const row of rows) {
        const { hash: _old, ...record } = JSON.parse(row.record) as ChainedAccessRecord;
        if (row.seq === 3) Object.assign(record, { sub: 'someone-else', clientIp: '203.0.113.9' });
        const { text, hash } = plainlyHashed({ ...record, prevHash });
        db.prepare("UPDATE access_records SET record = ? WHERE chain_id = 'chain-a' AND seq = ?").run(text, row.seq);
        prevHash = hash;
      }
      db.prepare("UPDATE chain_heads SET last_hash = ? WHERE chain_id = 'chain-a'").run(prevHash);
    });
    store = await open(file);
    expect((await store.readChain('chain-a', 3, 3))[0]!.sub).toBe('someone-else');
    // The gateway starts again (a new chain, the same instance) and stops. Either it refuses to
    // adopt the chains of an emptied ledger, or the verification afterwards is not clean.
    const started = await writeChain(store, key, { chainId: 'chain-b', instanceId: 'gw-a', records: 1 }).then(
      () => true,
      (err: Error) => {
        expect(err.message).toMatch(/ledger is empty/);
        return false;
      },
    );
    const report = await verifyAccessLog(store, key.publicJwks, { chainKey: CHAIN_KEY });
    const a = report.chains.find((c) => c.chainId === 'chain-a')!;
    // Record 3 was rewritten by someone without the audit key: the verification must not be clean.
    expect({ started, ok: report.ok, chainOk: a.ok }).toEqual({ started: false, ok: false, chainOk: false });
    // The operator who upgrades a store from before the ledger says so, and the start adopts.
    await writeChain(store, key, { chainId: 'chain-c', instanceId: 'gw-a', records: 1, adoptLegacyChains: true });
    expect((await store.readLedger()).filter((e) => e.kind === 'ADOPT').map((e) => e.chainId)).toEqual(['chain-a']);
  });
});
