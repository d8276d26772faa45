/**
 * Latency below saturation. At full load p99 is mostly queueing (50 connections over a few
 * hundred req/s), so any throughput difference shows up as tens of ms of p99. Here bare and
 * enforced each serve the SAME steady request rate (200 req/s, or less where either variant could
 * not keep up with it at half its saturated throughput), evenly paced (bench/paced.ts), interleaved
 * in rounds, so the difference is what enforcement adds to a request, not to a queue.
 */
import type { ChildStats } from './child/protocol.js';
import { runPaced } from './paced.js';
import { median, mergeSorted, percentile } from './stats.js';

export interface FixedRateVariant {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The process serving it: when given, its event-loop stalls and GC pauses are read per round. */
  server?: { reset(): Promise<void>; stats(): Promise<ChildStats> };
}

/**
 * What held a variant's event loop during its paced rounds: a tail latency far above the median on
 * a loop that is mostly idle is a stall, so the p99 is read beside these (bench/child/resource-sampler.ts).
 */
export interface Stalls {
  /** The longest event-loop delay of any round, ms (5 ms resolution). */
  loopDelayMaxMs: number;
  /** The highest per-round p99 of the event-loop delay, ms. */
  loopDelayP99Ms: number;
  /** The longest GC pause of any round, ms, and the mark-compact (major) collections over all rounds. */
  gcMaxMs: number;
  gcMajorCount: number;
}

/** The same requests timed inside the server (bench/child/resource-sampler.ts): medians of the rounds' p50 and p99, ms. */
export interface Served {
  p50Ms: number;
  p99Ms: number;
  roundsP99Ms: number[];
}

/** The access-log writer's commits during each round (the durable gateway only), as the writer timed them, ms. */
export interface Commits {
  roundsP99Ms: number[];
  roundsMaxMs: number[];
}

interface Latency {
  p50: number;
  p99: number;
  n: number;
  failed: number;
  stalls?: Stalls;
  served?: Served;
  commits?: Commits;
}

export interface FixedRateResult {
  workload: string;
  rate: number;
  connections: number;
  bare: Latency;
  enforced: Latency;
  /** The enforced gateway with the access log off (a null writer): how much of the added latency is the wait for the record's commit. */
  logOff?: Latency;
  addedP50Ms: number;
  addedP99Ms: number;
  /** Enforced p50 minus bare p50 within each round (the variants of a round run back to back, so a slow spell of the machine moves both). */
  roundsAddedP50Ms?: number[];
}

export async function measureFixedRateLatency(options: {
  workload: string;
  bodies: string[];
  bare: FixedRateVariant;
  enforced: FixedRateVariant;
  /** Optional third variant: the enforced gateway with the access log off. */
  logOff?: FixedRateVariant;
  rate: number;
  connections: number;
  durationS: number;
  rounds: number;
  onProgress?: (line: string) => void;
}): Promise<FixedRateResult> {
  type Which = 'bare' | 'enforced' | 'logOff';
  const samples: Record<Which, Float64Array[]> = { bare: [], enforced: [], logOff: [] };
  const failed = { bare: 0, enforced: 0, logOff: 0 };
  const stalls: Partial<Record<Which, Stalls>> = {};
  const served: Record<Which, Array<{ p50Ms: number; p99Ms: number }>> = { bare: [], enforced: [], logOff: [] };
  const commits: Record<Which, Array<{ p99Ms: number; maxMs: number }>> = { bare: [], enforced: [], logOff: [] };
  const names: Which[] = options.logOff ? ['bare', 'enforced', 'logOff'] : ['bare', 'enforced'];
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const which of order) {
      const v = options[which]!;
      await v.server?.reset();
      const run = await runPaced({ url: v.url, connections: options.connections, durationS: options.durationS, bodies: options.bodies, headers: v.headers, overallRate: options.rate });
      // Each round's latencies sorted once: its own p99 here, its p50 for the per-round figure below.
      const sorted = run.latenciesMs.slice().sort();
      samples[which].push(sorted);
      failed[which] += run.failed;
      const st = await v.server?.stats();
      if (st?.served) served[which].push(st.served);
      if (st?.commits) commits[which].push(st.commits);
      if (st?.loopDelayMaxMs !== undefined && st.gc) {
        const was = stalls[which];
        stalls[which] = {
          loopDelayMaxMs: Math.max(was?.loopDelayMaxMs ?? 0, st.loopDelayMaxMs),
          loopDelayP99Ms: Math.max(was?.loopDelayP99Ms ?? 0, st.loopDelayP99Ms ?? 0),
          gcMaxMs: Math.max(was?.gcMaxMs ?? 0, st.gc.maxMs),
          gcMajorCount: (was?.gcMajorCount ?? 0) + st.gc.majorCount,
        };
      }
      options.onProgress?.(`fixed rate ${options.rate} req/s ${options.workload}/${v.name}: p99 ${percentile(sorted, 99).toFixed(1)} ms`);
    }
  }
  const summary = (which: Which) => {
    const all = mergeSorted(samples[which]);
    const rounds = served[which];
    const timedInside = rounds.length ? { p50Ms: median(rounds.map((r) => r.p50Ms)), p99Ms: median(rounds.map((r) => r.p99Ms)), roundsP99Ms: rounds.map((r) => r.p99Ms) } : undefined;
    const committed = commits[which].length ? { roundsP99Ms: commits[which].map((c) => c.p99Ms), roundsMaxMs: commits[which].map((c) => c.maxMs) } : undefined;
    return { p50: percentile(all, 50), p99: percentile(all, 99), n: all.length, failed: failed[which], ...(stalls[which] ? { stalls: stalls[which] } : {}), ...(timedInside ? { served: timedInside } : {}), ...(committed ? { commits: committed } : {}) };
  };
  const bare = summary('bare');
  const enforced = summary('enforced');
  const logOff = options.logOff ? summary('logOff') : undefined;
  const roundsAddedP50Ms = samples.enforced.map((run, i) => percentile(run, 50) - percentile(samples.bare[i]!, 50));
  return { workload: options.workload, rate: options.rate, connections: options.connections, bare, enforced, logOff, addedP50Ms: enforced.p50 - bare.p50, addedP99Ms: enforced.p99 - bare.p99, roundsAddedP50Ms };
}
