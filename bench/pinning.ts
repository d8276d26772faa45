/**
 * CPU placement for the benchmark: on a machine with two or more CPUs and `taskset` (util-linux),
 * the gateway under test gets the last CPU to itself and everything else (this process with the
 * load generator, the subgraphs) shares the others, so a gateway's CPU per request is not its
 * neighbours' noise. `taskset -a` sets every thread of a process; threads started later (the
 * SQLite write thread, libuv's pool) inherit their parent thread's CPU set.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface Placement {
  /** CPU list for the gateway under test (e.g. "1"), or null when not pinning. */
  gateway: string | null;
  /** CPU list for the load generator and the subgraphs (e.g. "0"). */
  others: string | null;
  /** What the report says about it. */
  description: string;
}

function tasksetAvailable(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function choosePlacement(wanted: boolean, cpus = availableParallelism(), hasTaskset = tasksetAvailable): Placement {
  if (!wanted) return { gateway: null, others: null, description: 'No CPU pinning (--no-pin): the OS schedules every process over all CPUs.' };
  if (cpus < 2 || !hasTaskset()) return { gateway: null, others: null, description: `No CPU pinning: ${cpus < 2 ? 'one CPU' : 'taskset is not available'}.` };
  const last = cpus - 1;
  const others = last === 1 ? '0' : `0-${last - 1}`;
  return { gateway: String(last), others, description: `Gateways under test pinned to CPU ${last}; the load generator, micro-figures and subgraphs to CPU ${others} (taskset -a); the access-log ingest also runs on every CPU.` };
}

/** Pins every thread of `pid` to `cpuList`; a no-op when `cpuList` is null. */
export function pin(pid: number, cpuList: string | null): void {
  if (cpuList === null) return;
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}
