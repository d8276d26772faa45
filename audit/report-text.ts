/** Plain-text rendering of verification reports, for the CLI (`npm run audit:verify`). */
import type { VerificationReport } from './verifier.js';

/** One summary line per chain, then one indented line per problem. */
export function formatVerificationReport(report: VerificationReport): string[] {
  const status = report.ok ? 'OK' : 'FAILED';
  const checkpoints = `${report.checkpointsChecked} checkpoint${report.checkpointsChecked === 1 ? '' : 's'}` + (report.latestCheckpointSeq !== null ? ` (latest seq ${report.latestCheckpointSeq})` : '');
  const problems = report.problems.length + report.omitted;
  const lines = [`chain ${report.chainId}  ${status}  ${report.checked} record${report.checked === 1 ? '' : 's'}, ${checkpoints}${problems ? `, ${problems} problem${problems === 1 ? '' : 's'}` : ''}`];
  for (const p of report.problems) lines.push(`  seq ${p.seq}  ${p.kind}  ${p.detail}`);
  if (report.omitted) lines.push(`  … and ${report.omitted} more problems not listed`);
  return lines;
}
