/**
 * Verification speed: how fast `verifyStoredChain` (audit/verify-store.ts) checks one keyed chain
 * on a SQLite file store, and what reading the stored filter copies (`indexedColumnsOf`, with the
 * byte check of stored text) costs within it. The chain is written once through the store's
 * prepared-batch path, then verified `rounds` times.
 *
 * Run alone: `npx tsx bench/micro/verification.ts [records=40000] [rounds=3]`. Timings live here,
 * never in tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { prepareRecord } from '../../audit/chain.js';
import { GENESIS_HASH, type AccessRecord } from '../../audit/record.js';
import { verifyStoredChain } from '../../audit/verify-store.js';
import { sampleRecord as ingestRecord } from './access-log-ingest.js';
import { createStore } from '../../store/index.js';

export interface VerificationResult {
  records: number;
  /** Per round: records/s of the whole verification, and ms to read 10,000 records' filter copies. */
  rounds: Array<{ recordsPerS: number; indexedMsPer10k: number }>;
}

/** The ingest benchmark's record, numbered: every seventh denied with an error code (a code row to read back). */
function sampleRecord(i: number): AccessRecord {
  const denied = i % 7 === 0;
  return ingestRecord({ id: `rec-${i}`, time: new Date(Date.UTC(2026, 0, 1) + i).toISOString(), decision: denied ? 'DENIED' : 'ALLOWED', errorCodes: denied ? ['FIELD_NOT_AUTHORISED'] : [] });
}

export async function measureVerification(records: number, rounds: number): Promise<VerificationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'dsp-bench-verify-'));
  const store = await createStore(`sqlite:${join(dir, 'verify.db')}`, { sqliteSync: 'normal' });
  try {
    const key = Buffer.alloc(32, 7);
    const chainId = 'bench-chain';
    let head = { seq: 0, hash: GENESIS_HASH };
    for (let start = 1; start <= records; start += 500) {
      const prepared = Array.from({ length: Math.min(500, records - start + 1) }, (_, i) => prepareRecord(sampleRecord(start + i), chainId, start + i));
      const hashes = await store.appendToChain({ chainId, head, key, records: prepared.map((p) => p.text), prepared: { cuts: prepared.map((p) => p.cut), columns: prepared.flatMap((p) => p.columns) } });
      head = { seq: head.seq + prepared.length, hash: hashes[hashes.length - 1]! };
    }
    const out: VerificationResult['rounds'] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      const report = await verifyStoredChain(store, chainId, { keys: [] }, { key });
      const t1 = performance.now();
      if (!report?.ok || report.checked !== records) throw new Error(`verification failed: ${JSON.stringify(report?.problems.slice(0, 3))}`);
      await store.indexedColumnsOf(chainId, 1, Math.min(records, 10_000));
      const t2 = performance.now();
      out.push({ recordsPerS: Math.round(records / ((t1 - t0) / 1000)), indexedMsPer10k: ((t2 - t1) * 10_000) / Math.min(records, 10_000) });
    }
    return { records, rounds: out };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureVerification(Number(process.argv[2] ?? 40_000), Number(process.argv[3] ?? 3));
  console.log(`| round | records/s verified | indexedColumnsOf ms per 10,000 |`);
  console.log('|---|---|---|');
  result.rounds.forEach((r, i) => console.log(`| ${i + 1} | ${r.recordsPerS.toLocaleString('en-US')} | ${r.indexedMsPer10k.toFixed(1)} |`));
}
