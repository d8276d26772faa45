/**
 * The interleaved load phase: each (workload, variant) cell is warmed up once, then measured in
 * several rounds; within a round every workload runs each of its variants back to back, the order
 * reversed on alternate rounds, so drift on a shared machine (other processes, thermal, the access
 * log growing) lands on every variant alike.
 */
import type { ServerChild } from './child/children.js';
import { runLoad } from './load.js';
import { busyShare, machineCpuTicks, mergeSorted, mean, percentile } from './stats.js';
import type { Workload, WorkloadName } from './workloads.js';

export type VariantName = 'bare' | 'bare-http' | 'enforced' | 'enforced-log-off' | 'enforced-dpop';

export interface Variant {
  name: VariantName;
  url: string;
  headers: Record<string, string>;
  /** Headers made afresh for every request (the DPoP variant's proofs). */
  perRequestHeaders?: () => Record<string, string>;
  /** The process serving the variant (CPU and RSS are read from it). */
  server: ServerChild;
}

export interface CellPlan {
  workload: Workload;
  variants: Variant[];
}

export interface RoundMeasure {
  round: number;
  ok: number;
  failed: number;
  durationS: number;
  rps: number;
  p50: number;
  p99: number;
  /** CPU of the serving process, µs per request. */
  serverCpuUsPerReq: number;
  /** CPU of the subgraphs process, µs per request (null for `direct`, where it is the server). */
  subgraphCpuUsPerReq: number | null;
  /** CPU of the load generator (this process), µs per request. */
  loadgenCpuUsPerReq: number;
  serverRssPeakMb: number;
  /** Share of the machine's CPUs busy during the round (everything running on it), 0–1. */
  machineBusy: number | null;
}

export interface CellResult {
  workload: WorkloadName;
  variant: VariantName;
  ok: number;
  failed: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  meanMs: number;
  serverCpuUsPerReq: number;
  subgraphCpuUsPerReq: number | null;
  serverRssPeakMb: number;
  rounds: RoundMeasure[];
}

export interface LoadPhaseOptions {
  cells: CellPlan[];
  subgraphs: ServerChild;
  connections: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  /** Pause between runs so the previous one's tail (log commits, sockets) settles, ms. Default 500. */
  settleMs?: number;
  onProgress?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

export async function runLoadPhase(options: LoadPhaseOptions): Promise<CellResult[]> {
  const settleMs = options.settleMs ?? 500;
  const log = options.onProgress ?? (() => {});
  const key = (w: WorkloadName, v: VariantName) => `${w}/${v}`;
  const latencies = new Map<string, Float64Array[]>();
  const measures = new Map<string, RoundMeasure[]>();

  for (const cell of options.cells) {
    for (const v of cell.variants) {
      log(`warm-up ${key(cell.workload.name, v.name)} ${options.warmupS}s`);
      const warm = await runLoad({ url: v.url, connections: options.connections, durationS: options.warmupS, bodies: cell.workload.bodies, headers: v.headers, ...(v.perRequestHeaders ? { perRequestHeaders: v.perRequestHeaders } : {}) });
      // Answers were checked before; a warm-up with no complete response only means a slow machine.
      if (warm.failed > 0 || warm.ok === 0) log(`warm-up ${key(cell.workload.name, v.name)}: ${warm.ok} ok, ${warm.failed} failed`);
      await sleep(settleMs);
    }
  }

  for (let r = 1; r <= options.rounds; r++) {
    for (const cell of options.cells) {
      const order = r % 2 === 1 ? cell.variants : [...cell.variants].reverse();
      for (const v of order) {
        const k = key(cell.workload.name, v.name);
        const sameProcess = v.server === options.subgraphs;
        await Promise.all([v.server.reset(), sameProcess ? null : options.subgraphs.reset()]);
        const cpu0 = process.cpuUsage();
        const ticks0 = machineCpuTicks();
        const run = await runLoad({ url: v.url, connections: options.connections, durationS: options.durationS, bodies: cell.workload.bodies, headers: v.headers, ...(v.perRequestHeaders ? { perRequestHeaders: v.perRequestHeaders } : {}) });
        const loadgen = process.cpuUsage(cpu0);
        const ticks1 = machineCpuTicks();
        const [server, subgraphs] = await Promise.all([v.server.stats(), sameProcess ? null : options.subgraphs.stats()]);
        const handled = Math.max(1, run.ok + run.failed);
        const sorted = mergeSorted([run.latenciesMs]);
        const m: RoundMeasure = {
          round: r,
          ok: run.ok,
          failed: run.failed,
          durationS: run.durationS,
          rps: run.ok / run.durationS,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          serverCpuUsPerReq: (server.cpuUserUs + server.cpuSystemUs) / handled,
          subgraphCpuUsPerReq: subgraphs ? (subgraphs.cpuUserUs + subgraphs.cpuSystemUs) / handled : null,
          loadgenCpuUsPerReq: (loadgen.user + loadgen.system) / handled,
          serverRssPeakMb: server.rssPeakBytes / MB,
          machineBusy: busyShare(ticks0, ticks1),
        };
        latencies.set(k, [...(latencies.get(k) ?? []), run.latenciesMs]);
        measures.set(k, [...(measures.get(k) ?? []), m]);
        log(`round ${r}/${options.rounds} ${k.padEnd(24)} ${m.rps.toFixed(0).padStart(6)} req/s  p99 ${m.p99.toFixed(1)} ms  cpu ${m.serverCpuUsPerReq.toFixed(0)} µs/req${run.failed ? `  FAILED ${run.failed}` : ''}`);
        await sleep(settleMs);
      }
    }
  }

  const results: CellResult[] = [];
  for (const cell of options.cells) {
    for (const v of cell.variants) {
      const k = key(cell.workload.name, v.name);
      const rounds = measures.get(k) ?? [];
      const sorted = mergeSorted(latencies.get(k) ?? []);
      const ok = rounds.reduce((s, m) => s + m.ok, 0);
      const handledPerRound = rounds.map((m) => m.ok + m.failed);
      const handled = handledPerRound.reduce((a, b) => a + b, 0) || 1;
      // Per-request CPU weighted by requests handled in each round.
      const weighted = (f: (m: RoundMeasure) => number) => rounds.reduce((s, m, i) => s + f(m) * handledPerRound[i]!, 0) / handled;
      results.push({
        workload: cell.workload.name,
        variant: v.name,
        ok,
        failed: rounds.reduce((s, m) => s + m.failed, 0),
        rps: ok / rounds.reduce((s, m) => s + m.durationS, 0),
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        meanMs: mean(sorted),
        serverCpuUsPerReq: weighted((m) => m.serverCpuUsPerReq),
        subgraphCpuUsPerReq: rounds[0]?.subgraphCpuUsPerReq === null ? null : weighted((m) => m.subgraphCpuUsPerReq ?? 0),
        serverRssPeakMb: Math.max(...rounds.map((m) => m.serverRssPeakMb)),
        rounds,
      });
    }
  }
  return results;
}
