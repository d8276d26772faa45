// usage: tsx zz-ingest.ts rounds label
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureKeys } from '../../core/keys.js';
import { measureAccessLogIngest } from './access-log-ingest.js';
const dir = mkdtempSync(join(tmpdir(), 'ingab-'));
const keys = await ensureKeys(dir);
const out: string[] = [];
for (let i = 0; i < Number(process.argv[2] ?? 1); i++) {
  const r = await measureAccessLogIngest({ dir, signingKey: keys.gateway, sync: 'full', concurrency: 1000, durationMs: 2000, ...(process.env.ZZ_VARIED ? { keys: 'varied' as const } : {}) });
  out.push(`${Math.round(r.recordsPerS)} (EL ${r.eventLoopUsPerRecord.toFixed(1)} CPU ${r.cpuUsPerRecord.toFixed(1)} commit ${r.meanCommitMs.toFixed(1)}ms batch ${r.meanBatch.toFixed(0)})`);
}
console.log(process.argv[3], out.join(' | '));
rmSync(dir, { recursive: true, force: true });
