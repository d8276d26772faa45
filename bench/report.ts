/** The run's report: its JSON shape, the headline figures derived from the cells, and Markdown tables (printed and saved). */
import type { FixedRateResult } from './fixed-rate.js';
import type { CellResult, VariantName } from './load-phase.js';
import type { MachineInfo } from './machine.js';
import type { DecisionCostResult } from './micro/decision-cache.js';
import type { IngestResult } from './micro/access-log-ingest.js';
import type { SuspensionResult } from './micro/suspension-propagation.js';
import type { TokenVerificationResult } from './micro/token-verification.js';
import type { DpopVerificationResult } from './micro/dpop-verification.js';
import type { RequestSigningResult } from './micro/request-signing.js';
import type { TrustedDocumentsCost } from './micro/trusted-documents.js';
import type { BenchOptions } from './options.js';
import type { ProfileRun } from './profile.js';
import { inclusiveRows } from './profile-summary.js';
import type { RateLimitCost } from './micro/rate-limit.js';
import type { Workload, WorkloadName } from './workloads.js';

export interface Headline {
  workload: WorkloadName;
  bareRps: number;
  enforcedRps: number;
  /** enforced / bare throughput over all rounds. */
  ratio: number;
  /** The same per round (enforced and bare of one round ran back to back). */
  roundRatios: number[];
  addedP50Ms: number;
  addedP99Ms: number;
  addedCpuUsPerReq: number;
}

export interface LoggingFigure {
  workload: WorkloadName;
  onRps: number;
  offRps: number;
  /** logging on / off throughput. */
  ratio: number;
  addedP99Ms: number;
  addedCpuUsPerReq: number;
}

/** The DPoP-bound product beside the plain one, on the same enforced gateway (one extra signature and a replay-cache write per request). */
export interface DpopFigure {
  workload: WorkloadName;
  plainRps: number;
  dpopRps: number;
  /** DPoP / plain throughput. */
  ratio: number;
  addedP50Ms: number;
  addedP99Ms: number;
  addedCpuUsPerReq: number;
}

export interface BenchReport {
  machine: MachineInfo;
  options: BenchOptions;
  placement: string;
  /** The Node flags every gateway under test ran with, as the enforced one reported them (absent in results from before: Node's defaults). */
  gatewayNodeFlags?: string[];
  workloads: Array<Pick<Workload, 'name' | 'title' | 'query'>>;
  elapsedS: number;
  cells: CellResult[];
  headline: Headline[];
  /** The same ratios against a bare gateway with DSP Gateway's subgraph transport. */
  headlineSameTransport?: Headline[];
  /** p50/p99 of bare and enforced at the same fixed rate below saturation (bench/fixed-rate.ts). */
  fixedRate?: FixedRateResult[];
  logging: LoggingFigure[];
  dpop?: DpopFigure[];
  micro: {
    ingest?: IngestResult[];
    token?: TokenVerificationResult;
    dpop?: DpopVerificationResult;
    requestSigning?: RequestSigningResult[];
    trustedDocuments?: TrustedDocumentsCost[];
    decision?: DecisionCostResult[];
    rateLimit?: RateLimitCost[];
    suspension?: SuspensionResult;
  };
  profile: (ProfileRun & { workload: WorkloadName }) | null;
}

const cell = (cells: CellResult[], w: WorkloadName, v: VariantName) => cells.find((c) => c.workload === w && c.variant === v);

/** Enforced against a bare gateway: Apollo's defaults ('bare') or the same subgraph transport ('bare-http'). */
export function headlines(cells: CellResult[], baseline: 'bare' | 'bare-http' = 'bare'): Headline[] {
  const out: Headline[] = [];
  for (const w of ['one', 'three', 'many'] as const) {
    const bare = cell(cells, w, baseline);
    const enf = cell(cells, w, 'enforced');
    if (!bare || !enf) continue;
    out.push({
      workload: w,
      bareRps: bare.rps,
      enforcedRps: enf.rps,
      ratio: enf.rps / bare.rps,
      roundRatios: enf.rounds.map((m, i) => m.rps / (bare.rounds[i]?.rps ?? Number.NaN)),
      addedP50Ms: enf.p50 - bare.p50,
      addedP99Ms: enf.p99 - bare.p99,
      addedCpuUsPerReq: enf.serverCpuUsPerReq - bare.serverCpuUsPerReq,
    });
  }
  return out;
}

export function dpopFigures(cells: CellResult[]): DpopFigure[] {
  const out: DpopFigure[] = [];
  for (const w of ['one', 'three', 'many'] as const) {
    const plain = cell(cells, w, 'enforced');
    const dpop = cell(cells, w, 'enforced-dpop');
    if (!plain || !dpop) continue;
    out.push({ workload: w, plainRps: plain.rps, dpopRps: dpop.rps, ratio: dpop.rps / plain.rps, addedP50Ms: dpop.p50 - plain.p50, addedP99Ms: dpop.p99 - plain.p99, addedCpuUsPerReq: dpop.serverCpuUsPerReq - plain.serverCpuUsPerReq });
  }
  return out;
}

export function loggingFigures(cells: CellResult[]): LoggingFigure[] {
  const out: LoggingFigure[] = [];
  for (const w of ['one', 'three', 'many'] as const) {
    const on = cell(cells, w, 'enforced');
    const off = cell(cells, w, 'enforced-log-off');
    if (!on || !off) continue;
    out.push({ workload: w, onRps: on.rps, offRps: off.rps, ratio: on.rps / off.rps, addedP99Ms: on.p99 - off.p99, addedCpuUsPerReq: on.serverCpuUsPerReq - off.serverCpuUsPerReq });
  }
  return out;
}

/** A figure with `d` decimals, or – when there is none (also bench/readme-table.ts). */
export const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
/** A difference with its sign. */
export const signed = (x: number, d = 2) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const parts: string[] = [];
  const load = r.cells.length ? ` · ${r.options.connections} connections, ${r.options.rounds} round(s) × ${r.options.durationS} s per cell after a ${r.options.warmupS} s warm-up` : '';
  parts.push(
    `Run of ${m.date} · ${m.nproc} CPUs (${m.cpuModel}) · ${m.memory} RAM · Node ${m.node} · Linux ${m.kernel} · load average at start ${m.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}${load} · run took ${(r.elapsedS / 60).toFixed(1)} min${r.gatewayNodeFlags ? ` · gateways under test with \`${r.gatewayNodeFlags.join(' ') || '(no flags)'}\`` : ''}`,
  );
  if (r.headline.length) {
    parts.push('### Headline: enforced / bare');
    parts.push(
      table(
        ['workload', 'bare req/s', 'enforced req/s', 'enforced / bare', 'per round', 'added p50 ms', 'added p99 ms', 'added gateway CPU µs/req'],
        r.headline.map((h) => [h.workload, f(h.bareRps, 0), f(h.enforcedRps, 0), f(h.ratio, 3), h.roundRatios.map((x) => f(x, 3)).join(', '), signed(h.addedP50Ms), signed(h.addedP99Ms), signed(h.addedCpuUsPerReq, 0)]),
      ),
    );
  }
  if (r.headlineSameTransport?.length) {
    parts.push('### Enforced / bare with the same subgraph transport (what enforcement itself costs)');
    parts.push(
      table(
        ['workload', 'bare-http req/s', 'enforced req/s', 'enforced / bare-http', 'per round', 'added p50 ms', 'added p99 ms', 'added gateway CPU µs/req'],
        r.headlineSameTransport.map((h) => [h.workload, f(h.bareRps, 0), f(h.enforcedRps, 0), f(h.ratio, 3), h.roundRatios.map((x) => f(x, 3)).join(', '), signed(h.addedP50Ms), signed(h.addedP99Ms), signed(h.addedCpuUsPerReq, 0)]),
      ),
    );
  }
  if (r.fixedRate?.length) {
    parts.push(`### Added latency below saturation (${r.fixedRate[0]!.connections} connections, the same evenly paced rate for bare-http and enforced, latency from each request's due time)`);
    parts.push(
      table(
        ['workload', 'rate req/s', 'bare-http p50 ms', 'enforced p50 ms', 'bare-http p99 ms', 'enforced p99 ms', 'added p50 ms', 'added p50 per round ms', 'added p99 ms', 'enforced, log off: p50 / p99 ms', 'longest event-loop stall ms: bare-http / enforced / log off', 'longest GC pause ms (major GCs): bare-http / enforced / log off', 'timed inside the server, p50 / p99 ms: bare-http; enforced; log off', 'enforced, per round: p99 timed inside the server / access-log commit p99 / longest commit, ms'],
        r.fixedRate.map((x) => [
          x.workload,
          f(x.rate, 0),
          f(x.bare.p50, 2),
          f(x.enforced.p50, 2),
          f(x.bare.p99, 2),
          f(x.enforced.p99, 2),
          signed(x.addedP50Ms),
          x.roundsAddedP50Ms?.map((d) => signed(d)).join(' / ') ?? '–',
          signed(x.addedP99Ms),
          x.logOff ? `${f(x.logOff.p50, 2)} / ${f(x.logOff.p99, 2)}` : '–',
          [x.bare, x.enforced, x.logOff].map((l) => (l?.stalls ? f(l.stalls.loopDelayMaxMs, 1) : '–')).join(' / '),
          [x.bare, x.enforced, x.logOff].map((l) => (l?.stalls ? `${f(l.stalls.gcMaxMs, 1)} (${l.stalls.gcMajorCount})` : '–')).join(' / '),
          [x.bare, x.enforced, x.logOff].map((l) => (l?.served ? `${f(l.served.p50Ms, 2)} / ${f(l.served.p99Ms, 2)}` : '–')).join('; '),
          // Whether a round's tail is its records' commits: the two side by side.
          x.enforced.commits && x.enforced.served
            ? x.enforced.served.roundsP99Ms.map((p, i) => `${f(p, 1)} / ${f(x.enforced.commits!.roundsP99Ms[i] ?? Number.NaN, 1)} / ${f(x.enforced.commits!.roundsMaxMs[i] ?? Number.NaN, 1)}`).join('; ')
            : '–',
        ]),
      ),
    );
  }
  if (r.cells.length) {
    parts.push('### All cells');
    parts.push(
      table(
        ['workload', 'variant', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'server CPU µs/req', 'subgraphs CPU µs/req', 'server peak RSS MB', 'machine busy', 'failed'],
        r.cells.map((c) => [
          c.workload,
          c.variant,
          f(c.rps, 0),
          f(c.p50, 2),
          f(c.p95, 2),
          f(c.p99, 2),
          f(c.serverCpuUsPerReq, 0),
          c.subgraphCpuUsPerReq === null ? '(is the server)' : f(c.subgraphCpuUsPerReq, 0),
          f(c.serverRssPeakMb, 0),
          c.rounds.map((x) => (x.machineBusy === null ? '–' : pct(x.machineBusy))).join(', '),
          String(c.failed),
        ]),
      ),
    );
  }
  if (r.logging.length) {
    parts.push('### Access log on (durable, SQLite, sync=full) vs off');
    parts.push(table(['workload', 'on req/s', 'off req/s', 'on / off', 'added p99 ms', 'added CPU µs/req'], r.logging.map((l) => [l.workload, f(l.onRps, 0), f(l.offRps, 0), f(l.ratio, 3), signed(l.addedP99Ms), signed(l.addedCpuUsPerReq, 0)])));
  }
  if (r.dpop?.length) {
    parts.push('### DPoP-bound product (PRD-ENHANCED, a fresh proof per request) beside a plain Bearer product (PRD-CERTIFIED), same enforced gateway');
    parts.push(
      table(
        ['workload', 'plain req/s', 'DPoP req/s', 'DPoP / plain', 'added p50 ms', 'added p99 ms', 'added gateway CPU µs/req'],
        r.dpop.map((d) => [d.workload, f(d.plainRps, 0), f(d.dpopRps, 0), f(d.ratio, 3), signed(d.addedP50Ms), signed(d.addedP99Ms), signed(d.addedCpuUsPerReq, 0)]),
      ),
    );
  }
  const micro = r.micro;
  if (micro.ingest) {
    const flags = micro.ingest[0]?.nodeFlags;
    parts.push(`### Access-log ingest (writer + SQLite file store, group commit; each figure the median of its interleaved rounds; ${flags ? `in a process with the gateway's Node flags, \`${flags.join(' ') || '(none)'}\`` : "in the benchmark's own process, Node's default heap"})`);
    parts.push(
      table(
        ['CPUs', 'synchronous', 'checkpoints', 'keys', 'appends in flight', 'records/s (median)', 'rounds', 'event loop µs/record', 'process CPU µs/record', 'checkpoints signed', 'mean batch', 'mean commit ms', 'append→commit p50 ms', 'p99 ms'],
        micro.ingest.map((i) => [i.cpus ?? '', i.sync, i.checkpoints === 'window' ? 'every 1000 records / 1 s' : 'every 10 s only', i.keys === 'varied' ? 'varied' : 'alike', String(i.concurrency), f(i.recordsPerS, 0), (i.roundsPerS ?? [i.recordsPerS]).map((x) => f(x, 0)).join(' / '), f(i.eventLoopUsPerRecord, 1), f(i.cpuUsPerRecord, 1), String(i.checkpointsSigned), f(i.meanBatch, 1), f(i.meanCommitMs, 2), f(i.p50AppendMs, 2), f(i.p99AppendMs, 2)]),
      ),
    );
  }
  if (micro.token) {
    const t = micro.token;
    parts.push(`### Token verification (${t.algorithm})`);
    parts.push(
      table(
        ['', 'µs/verification', 'verifications/s', 'cache hits / misses'],
        [
          ['with cache (default, TOKEN_CACHE_SIZE=10000)', f(t.cached.usPerOp, 2), f(t.cached.opsPerS, 0), `${t.cached.hits} / ${t.cached.misses}`],
          ['without cache (TOKEN_CACHE_SIZE=0)', f(t.uncached.usPerOp, 2), f(t.uncached.opsPerS, 0), `${t.uncached.hits} / ${t.uncached.misses}`],
        ],
      ),
    );
  }
  if (micro.dpop) {
    const d = micro.dpop;
    parts.push(`### DPoP proof verification (${d.algorithm}; signature, thumbprint, claims, jti replay cache)`);
    parts.push(
      table(
        ['replay cache', 'µs/proof', 'proofs/s'],
        [
          ['in memory (the verifier alone)', f(d.memory.usPerOp, 2), f(d.memory.opsPerS, 0)],
          ['SQLite store counters (as the gateway runs)', f(d.store.usPerOp, 2), f(d.store.opsPerS, 0)],
        ],
      ),
    );
  }
  if (micro.requestSigning) {
    parts.push('### Subgraph request signature (gateway CPU per subgraph fetch; target < 10 µs)');
    parts.push(table(['body bytes', 'sign µs (gateway)', 'verify µs (subgraph, incl. replay cache)'], micro.requestSigning.map((x) => [String(x.bodyBytes), f(x.sign.usPerOp, 2), f(x.verify.usPerOp, 2)])));
  }
  if (micro.trustedDocuments) {
    parts.push('### Trusted documents (gateway CPU per request, manifest of 500 operations)');
    parts.push(table(['case', 'µs/request'], micro.trustedDocuments.map((x) => [x.case, f(x.cost.usPerOp, 2)])));
  }
  if (micro.decision) {
    parts.push('### Decision cache (analyse + decide per request)');
    parts.push(table(['workload', 'hit µs', 'miss µs', 'miss / hit'], micro.decision.map((d) => [d.workload, f(d.hit.usPerOp, 2), f(d.miss.usPerOp, 2), f(d.miss.usPerOp / d.hit.usPerOp, 1)])));
  }
  if (micro.rateLimit) {
    parts.push('### Rate-limit check (bench tier: product and org quotas)');
    parts.push(table(['counters', 'µs/check', 'checks/s'], micro.rateLimit.map((x) => [x.store, f(x.usPerOp, 2), f(x.opsPerS, 0)])));
  }
  if (micro.suspension) {
    const s = micro.suspension;
    parts.push(`### Suspension propagation (${s.trials} trials, client polling every ${s.pollIntervalMs} ms, REGISTRY_POLL_MS=250)`);
    parts.push(
      table(
        ['', 'median ms', 'max ms', 'all trials ms'],
        [
          ['suspension → first refusal', f(s.median, 0), f(s.max, 0), s.suspendMs.map((x) => x.toFixed(0)).join(' ')],
          ['reinstatement → first success', f(s.reinstateMedian, 0), f(s.reinstateMax, 0), s.reinstateMs.map((x) => x.toFixed(0)).join(' ')],
        ],
      ),
    );
  }
  if (r.profile) {
    const p = r.profile;
    const s = p.summary;
    parts.push(`### CPU profile of the enforced gateway (${p.workload} workload, ${f(p.rps, 0)} req/s while profiled; ${(s.busyMs / 1000).toFixed(1)} s busy of ${(s.windowMs / 1000).toFixed(1)} s sampled)`);
    parts.push(table(['category', 'self time (share of busy time)'], s.categories.filter((c) => c.share >= 0.001).map((c) => [c.name, pct(c.share)])));
    parts.push(table(['category (ours and libraries)', 'inclusive: on the stack'], inclusiveRows(s).map((c) => [c.name, pct(c.share)])));
    parts.push(table(['function', 'category', 'where', 'self'], s.functions.map((fn) => [`\`${fn.name}\``, fn.category, `\`${fn.location}\``, pct(fn.share)])));
  }
  return parts.join('\n\n');
}
