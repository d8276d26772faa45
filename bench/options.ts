/**
 * Benchmark options, from flags (`npm run bench -- --duration=5`) or environment (BENCH_*).
 * Flags win over environment; both over the defaults.
 */
import type { WorkloadName } from './workloads.js';

export interface BenchOptions {
  /** Seconds per measured run. Default 10 (--quick: 3). Flag --duration, env BENCH_DURATION_S. */
  durationS: number;
  /** Concurrent connections. Default 50. Flag --connections, env BENCH_CONNECTIONS. */
  connections: number;
  /** Measured rounds per cell (variants interleaved within each). Default 2 (--quick: 1). Flag --rounds, env BENCH_ROUNDS. */
  rounds: number;
  /** Warm-up seconds per cell, once, before the rounds. Default 3 (--quick: 1). Flag --warmup, env BENCH_WARMUP_S. */
  warmupS: number;
  /** Load phase. Default on; --micro runs only the micro-figures, --no-load skips it. */
  load: boolean;
  /** Micro-figures. Default on; --no-micro skips them. */
  micro: boolean;
  /** CPU profile of the enforced gateway. Default on; --no-profile skips it. */
  profile: boolean;
  /** Suspension propagation trials. Default 20. Flag --trials, env BENCH_TRIALS. */
  trials: number;
  /** Workloads to load. Default all. Flag --workloads=one,three,many. */
  workloads: WorkloadName[];
  quick: boolean;
  /** Pin the gateway under test apart from the load generator and subgraphs (bench/pinning.ts). Default on; --no-pin turns it off. */
  pin: boolean;
}

const ALL: WorkloadName[] = ['one', 'three', 'many'];

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string | true>();
  for (const arg of argv) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${arg} (flags: --quick --micro --no-load --no-micro --no-profile --no-pin --duration=S --connections=N --rounds=N --warmup=S --trials=N --workloads=one,three,many)`);
    flags.set(m[1]!, m[2] ?? true);
  }
  const known = new Set(['quick', 'micro', 'no-load', 'no-micro', 'no-profile', 'no-pin', 'duration', 'connections', 'rounds', 'warmup', 'trials', 'workloads']);
  for (const k of flags.keys()) if (!known.has(k)) throw new Error(`unknown flag --${k}`);
  const quick = flags.has('quick');
  const num = (flag: string, envName: string, dflt: number): number => {
    const raw = flags.get(flag) ?? env[envName];
    if (raw === undefined || raw === true || raw === '') return dflt;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} / ${envName}: not a positive number: ${raw}`);
    return n;
  };
  const microOnly = flags.has('micro');
  const workloadsRaw = flags.get('workloads');
  const workloads = typeof workloadsRaw === 'string' ? (workloadsRaw.split(',').map((s) => s.trim()) as WorkloadName[]) : ALL;
  for (const w of workloads) if (!ALL.includes(w)) throw new Error(`--workloads: unknown workload ${w}`);
  return {
    durationS: num('duration', 'BENCH_DURATION_S', quick ? 3 : 10),
    connections: Math.round(num('connections', 'BENCH_CONNECTIONS', 50)),
    rounds: Math.round(num('rounds', 'BENCH_ROUNDS', quick ? 1 : 2)),
    warmupS: num('warmup', 'BENCH_WARMUP_S', quick ? 1 : 3),
    load: !microOnly && !flags.has('no-load'),
    micro: !flags.has('no-micro'),
    profile: !microOnly && !flags.has('no-profile'),
    trials: Math.round(num('trials', 'BENCH_TRIALS', 20)),
    workloads,
    quick,
    pin: !flags.has('no-pin'),
  };
}
