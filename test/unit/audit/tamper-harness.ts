/** Review harness: a SQLite file store with chains written by the real writer, tampered with by plain SQL. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { chainKeyOf } from '../../../audit/chain.js';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter } from '../../../gateway/access-log/writer.js';
import { createStore } from '../../../store/index.js';
import type { Store } from '../../../store/port.js';
import { sampleRecord } from './fixtures.js';

export const HMAC_KEY = Buffer.alloc(32, 7);
export const CHAIN_KEY = chainKeyOf(HMAC_KEY);
const noWait = async (): Promise<void> => {};

export function tempFile(name = 'dsp.db'): string {
  return join(mkdtempSync(join(tmpdir(), 'dsp-review-audit-')), name);
}

export interface WriteOptions { chainId: string; instanceId?: string; records: number; checkpointEvery?: number; crash?: boolean; now?: () => number; adoptLegacyChains?: boolean }

/** Starts a writer on `store`, appends `records` records one by one, then shuts it down (or leaves it as if crashed). */
export async function writeChain(store: Store, key: SigningKey, o: WriteOptions): Promise<void> {
  const writer = createAccessLogWriter({
    store, chainId: o.chainId, instanceId: o.instanceId ?? 'gw-a', signingKey: key, chainKey: CHAIN_KEY, sleep: noWait,
    checkpointEvery: o.checkpointEvery ?? 1_000_000, checkpointIntervalMs: 3_600_000, ...(o.now ? { now: o.now } : {}), ...(o.adoptLegacyChains ? { adoptLegacyChains: true } : {}),
  });
  await writer.start();
  for (let i = 1; i <= o.records; i++) await writer.append(sampleRecord(i, { instanceId: o.instanceId ?? 'gw-a' }));
  if (!o.crash) await writer.flushAndClose();
  else {
    // Let everything commit, then drop the writer without a final checkpoint or CLOSE.
    while (writer.stats().committedSeq < o.records) await new Promise((r) => setImmediate(r));
  }
}

export function raw<T>(file: string, use: (db: Database.Database) => T): T {
  const db = new Database(file, { fileMustExist: true, timeout: 5000 });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

export async function openStore(file: string): Promise<Store> {
  return createStore(`sqlite:${file}`);
}
