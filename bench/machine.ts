/** Where a run happened: the figures mean little without it. */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem, release } from 'node:os';

export interface MachineInfo {
  date: string;
  nproc: number;
  cpuModel: string;
  memory: string;
  /** `free -h` as printed, when available. */
  free: string | null;
  node: string;
  kernel: string;
  loadAverageAtStart: [number, number, number];
}

export function machineInfo(): MachineInfo {
  let free: string | null = null;
  try {
    free = execFileSync('free', ['-h'], { encoding: 'utf8' }).trim();
  } catch {
    /* not Linux, or no procps */
  }
  const [l1, l5, l15] = loadavg();
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    free,
    node: process.version,
    kernel: release(),
    loadAverageAtStart: [l1!, l5!, l15!],
  };
}
