/**
 * Review of SQLite's batches sent ahead (access-log-writes.ts appendToChainAfter): the
 * compare-and-set is on the chain_heads row alone, a row nothing signs and the rest of the access
 * log never trusts (writer.ts crashedEnd). Edited, it makes the store write a batch after a gap,
 * or chain the gateway's own records onto a hash no record has.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainBatch } from '../../../audit/chain.js';
import { GENESIS_HASH } from '../../../audit/record.js';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter } from '../../../gateway/access-log/writer.js';
import { SqliteStore } from '../../../store/sqlite/index.js';
import { sampleBatch, sampleRecord, testSigningKey } from '../audit/fixtures.js';
import { sampleHead } from '../../contract/samples.js';

const KEY = new Uint8Array(32).fill(3);
const dir = mkdtempSync(join(tmpdir(), 'dsp-review-ahead-'));
const opened: SqliteStore[] = [];
const raws: Database.Database[] = [];
let n = 0;
let signingKey: SigningKey;
const FORGED = 'ab'.repeat(32);

beforeAll(async () => {
  signingKey = await testSigningKey();
});
afterAll(async () => {
  for (const r of raws) r.close();
  await Promise.all(opened.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function open(options: { writeThread?: boolean } = {}): Promise<{ store: SqliteStore; raw: Database.Database }> {
  const path = join(dir, `h${++n}.db`);
  const store = new SqliteStore({ path, ...options });
  await store.init();
  opened.push(store);
  const raw = new Database(path);
  raw.pragma('busy_timeout = 5000');
  raws.push(raw);
  return { store, raw };
}

const batchOf = (chainId: string, first: number, last: number, headHash: string): ChainBatch => sampleBatch(chainId, first, last, headHash, KEY);

describe.each([
  ['on the write thread', {}],
  ['on the store connection', { writeThread: false }],
])('appendToChainAfter with the head row edited, %s', (_where, options) => {
  it('does not write a batch after a gap when the head row claims records that are not there', async () => {
    const { store, raw } = await open(options);
    await store.openChain(sampleHead('gap'));
    // Records 1-3 were never committed (the batch before failed); the head row is edited to say they were.
    raw.prepare("UPDATE chain_heads SET last_seq = 3 WHERE chain_id = 'gap'").run();
    await expect(store.appendToChainAfter(batchOf('gap', 4, 6, ''))).rejects.toThrow();
    expect((await store.readChain('gap', 1, 10)).map((r) => r.seq)).toEqual([]);
  });

  it('does not chain the batch onto a hash no stored record has', async () => {
    const { store, raw } = await open(options);
    await store.openChain(sampleHead('forged'));
    const first = await store.appendToChain(batchOf('forged', 1, 3, GENESIS_HASH));
    raw.prepare("UPDATE chain_heads SET last_hash = ? WHERE chain_id = 'forged'").run(FORGED);
    await store.appendToChainAfter(batchOf('forged', 4, 6, '')).catch(() => null);
    const stored = await store.readChain('forged', 1, 10);
    // Either refused (nothing after 3) or linked to record 3 as stored.
    for (const r of stored.filter((x) => x.seq > 3)) expect(r.prevHash).toBe(r.seq === 4 ? first[2] : stored.find((x) => x.seq === r.seq - 1)!.hash);
  });
});

describe('the writer on SQLite with the head row rewritten under it', () => {
  it('resolves every record with the hash that is stored, and the stored chain links', async () => {
    const { store, raw } = await open({ writeThread: false });
    // Someone with write access to the file makes every head move leave a forged hash behind.
    // Before batches were sent ahead nothing the writer wrote depended on this unsigned row.
    raw.exec(`CREATE TRIGGER forge_head AFTER UPDATE ON chain_heads WHEN NEW.last_hash <> '${FORGED}' BEGIN UPDATE chain_heads SET last_hash = '${FORGED}' WHERE chain_id = NEW.chain_id; END`);
    let sentAhead = 0;
    const followed = store.appendToChainAfter.bind(store);
    store.appendToChainAfter = (batch, checkpoints) => {
      sentAhead += 1;
      return followed(batch, checkpoints);
    };
    const writer = createAccessLogWriter({ store, chainId: 'rewritten', instanceId: 'gw-r', signingKey, chainKey: Buffer.from(KEY), maxBatch: 5, checkpointIntervalMs: 3_600_000 });
    await writer.start();
    const records = await Promise.all(Array.from({ length: 20 }, (_, i) => writer.append(sampleRecord(i + 1))));
    await writer.flushAndClose();
    expect(sentAhead).toBeGreaterThan(0);
    const stored = await store.readChain('rewritten', 1, 100);
    expect(stored.map((r) => r.seq)).toEqual(records.map((r) => r.seq));
    expect(stored.map((r) => r.hash)).toEqual(records.map((r) => r.hash));
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.prevHash).toBe(stored[i - 1]!.hash);
  });
});
