/** Plain-text rendering of verification results, for the CLI (`npm run audit:verify`). */
import type { LedgerProblem } from './ledger.js';
import { printable } from './sanitize.js';
import type { VerificationReport } from './verifier.js';

/** One summary line per chain, then one indented line per finding (its seq range and kind). */
export function formatVerificationReport(report: VerificationReport & { status?: string; unsignedTail?: number }): string[] {
  const status = report.ok ? 'OK' : 'FAILED';
  const checkpoints = `${report.checkpointsChecked} checkpoint${report.checkpointsChecked === 1 ? '' : 's'}` + (report.latestCheckpointSeq !== null ? ` (latest seq ${report.latestCheckpointSeq})` : '');
  const problems = report.problems.length + report.omitted;
  const state = report.status ? `  ${report.status}${report.unsignedTail ? `, ${report.unsignedTail} unsigned after the last checkpoint` : ''}` : '';
  const lines = [`chain ${report.chainId}  ${status}${state}  ${report.checked} record${report.checked === 1 ? '' : 's'}, ${checkpoints}${problems ? `, ${problems} problem${problems === 1 ? '' : 's'}` : ''}`];
  for (const p of report.problems) lines.push(`  seq ${p.seq}${p.toSeq !== p.seq ? `–${p.toSeq}` : ''}  ${p.kind}  ${p.detail}`);
  if (report.omitted) lines.push(`  … and ${report.omitted} more problems not listed`);
  if (!report.ok) {
    const t = report.lastTrustedCheckpoint;
    lines.push(t ? `  last trusted checkpoint: seq ${t.seq}${t.n !== null ? ` (number ${t.n})` : ''} of ${t.time}` : '  last trusted checkpoint: none');
  }
  // Chain ids, details and times can carry text a forger wrote into the store.
  return lines.map(printable);
}

/** The ledger's line: entries, its head (to record for the next run's --trusted-ledger), its findings. */
export function formatLedger(ledger: { entries: number; head: { seq: number; hash: string } | null; problems: readonly LedgerProblem[]; omitted: number }): string[] {
  const lines = [`ledger  ${ledger.problems.length || ledger.omitted ? 'FAILED' : 'OK'}  ${ledger.entries} entr${ledger.entries === 1 ? 'y' : 'ies'}${ledger.head ? `, head ${ledger.head.seq}:${ledger.head.hash}` : ''}`];
  for (const p of ledger.problems) lines.push(`  ledger seq ${p.seq}  ${p.kind}  ${p.detail}`);
  if (ledger.omitted) lines.push(`  … and ${ledger.omitted} more ledger problems not listed`);
  return lines.map(printable);
}

/** The store's own consistency check (an index out of step with its table): a line, then one per finding. */
export function formatStorage(problems: readonly string[]): string[] {
  return [`storage  ${problems.length ? 'FAILED' : 'OK'}`, ...problems.map((p) => `  ${p}`)].map(printable);
}
