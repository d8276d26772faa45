/** Plain-text rendering of verification results, for the CLI (`npm run audit:verify`). */
import type { LedgerProblem } from './ledger.js';
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
  return lines;
}

/** The ledger's line: entries, its head (to record for the next run's --trusted-ledger), its findings. */
export function formatLedger(ledger: { entries: number; head: { seq: number; hash: string } | null; problems: readonly LedgerProblem[] }): string[] {
  const lines = [`ledger  ${ledger.problems.length ? 'FAILED' : 'OK'}  ${ledger.entries} entr${ledger.entries === 1 ? 'y' : 'ies'}${ledger.head ? `, head ${ledger.head.seq}:${ledger.head.hash}` : ''}`];
  for (const p of ledger.problems) lines.push(`  ledger seq ${p.seq}  ${p.kind}  ${p.detail}`);
  return lines;
}
