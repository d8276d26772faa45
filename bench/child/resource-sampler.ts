/** CPU time, peak RSS, event-loop delay and GC pauses of this process since the last reset (read by the benchmark over IPC). */
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks';
import { percentile } from '../stats.js';
import type { ChildStats } from './protocol.js';

const hrtimeUs = () => Number(process.hrtime.bigint() / 1000n);

/** A growing list of durations, ms, summarised as n, p50, p99 and max. */
function durations() {
  let values = new Float64Array(4096);
  let n = 0;
  return {
    add(ms: number): void {
      if (n === values.length) {
        const grown = new Float64Array(values.length * 2);
        grown.set(values);
        values = grown;
      }
      values[n++] = ms;
    },
    clear(): void {
      n = 0;
    },
    summary(): { n: number; p50Ms: number; p99Ms: number; maxMs: number } | undefined {
      if (n === 0) return undefined;
      const sorted = values.slice(0, n).sort();
      return { n, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted[n - 1]! };
    },
  };
}

export function createResourceSampler(intervalMs = 50) {
  let cpu = process.cpuUsage();
  let peak = process.memoryUsage.rss();
  let since = hrtimeUs();
  // Sampling is cheap (one syscall) and unref'd, so it never keeps the process alive.
  const timer = setInterval(() => {
    const rss = process.memoryUsage.rss();
    if (rss > peak) peak = rss;
  }, intervalMs);
  timer.unref();
  // Stalls and their likeliest cause, side by side: a request's tail latency on an idle-ish event
  // loop is a stall, and a GC pause is the first suspect.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gc = { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if (((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.majorCount++;
        gc.majorMaxMs = Math.max(gc.majorMaxMs, e.duration);
      }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  // Every GraphQL request's time inside this process, from the server's side.
  const startedAt = new WeakMap<ServerResponse, number>();
  const served = durations();
  const onStart = (message: unknown) => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    if (request.method === 'POST' && request.url?.startsWith('/graphql')) startedAt.set(response, performance.now());
  };
  const onFinish = (message: unknown) => {
    const { response } = message as { response: ServerResponse };
    const t = startedAt.get(response);
    if (t !== undefined) served.add(performance.now() - t);
  };
  subscribe('http.server.request.start', onStart);
  subscribe('http.server.response.finish', onFinish);
  const commits = durations();
  return {
    /** One access-log commit, as the writer timed it (startGateway's onRecordsCommitted). */
    noteCommit(ms: number): void {
      commits.add(ms);
    },
    reset(): void {
      cpu = process.cpuUsage();
      peak = process.memoryUsage.rss();
      since = hrtimeUs();
      loop.reset();
      Object.assign(gc, { count: 0, totalMs: 0, maxMs: 0, majorCount: 0, majorMaxMs: 0 });
      served.clear();
      commits.clear();
    },
    read(): ChildStats {
      const d = process.cpuUsage(cpu);
      const rss = process.memoryUsage.rss();
      if (rss > peak) peak = rss;
      const summary = served.summary();
      const committed = commits.summary();
      return {
        cpuUserUs: d.user,
        cpuSystemUs: d.system,
        rssPeakBytes: peak,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        sinceUs: since,
        atUs: hrtimeUs(),
        loopDelayP99Ms: loop.percentile(99) / 1e6,
        loopDelayMaxMs: loop.max / 1e6,
        gc: { ...gc },
        ...(summary ? { served: summary } : {}),
        ...(committed ? { commits: committed } : {}),
      };
    },
    stop(): void {
      clearInterval(timer);
      loop.disable();
      gcObserver.disconnect();
    },
  };
}
