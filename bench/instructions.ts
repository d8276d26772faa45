/**
 * `npm run bench:instructions`: what a gateway executes per request, counted rather than timed.
 *
 * On this VM the time a request costs moves by half between one ten-second round and the next
 * (docs/performance.md, twenty-sixth pass: bare-http's own CPU per request ran from 238 to 584 µs
 * in one run, its subgraphs' with it), so a CPU ratio of 1.05 or 1.15 cannot be told apart in
 * some runs. Valgrind's callgrind counts the instructions a process executes, in user space and
 * on all its threads: the same binary given the same requests executes about the same count
 * whatever else the machine is doing. This is no replacement for `npm run bench` (it leaves out
 * the kernel's work, the fsyncs among it, and a process under callgrind runs some fifty times
 * slower, so nothing here is a latency or a throughput), but it prices the gateway's own code.
 *
 * For each variant in turn (bare-http: `@apollo/gateway` with DSP Gateway's subgraph transport;
 * durable: the enforced gateway as `npm run bench` runs it; off: the same with the access log off),
 * the gateway process runs under callgrind with the gateway's production Node flags, the
 * subgraphs natively; `--warmup` requests let V8 compile the hot paths, with callgrind's
 * instrumentation off (valgrind still runs the process, some ten times faster than counting);
 * then instrumentation is switched on, the counters are zeroed, `--requests` are sent
 * `--concurrency` at a time, and the counters are dumped, per thread.
 *
 * Why 12,000 warm-up requests and a window of 6,000: after 3,000 (the default until session 31)
 * V8's optimising compiler was still at work, about 900 functions optimised in the enforced
 * gateway and 130 of them in the next 3,000 requests (`--trace-opt`), and counted in a window of
 * 1,500 it was 410 k instructions per request on V8's helper threads, two thirds of what was
 * reported as "other threads"; after 12,000 it optimised 16 functions in the next 5,000. A major
 * collection comes every three to four thousand requests (its concurrent marking ~290 M
 * instructions), so a window of 1,500 held one or none by chance; 6,000 holds one or two.
 *
 * Work on a timer (the register poll every REGISTRY_POLL_MS, checkpoints every second, the
 * monitor's ticks) runs as often per second of the clock under callgrind as natively, but the
 * requests are some fifty times fewer per second, so per request it would weigh fifty times its
 * share. So the process is also counted idle for `--idle` seconds after the warm-up, and that rate
 * times the window's length is taken off the window's count (`perRequest`); the raw count is kept
 * beside it (`rawPerRequest`).
 *
 *   npm run bench:instructions -- [one|three|many] [--requests=6000] [--warmup=12000] [--idle=20] [--concurrency=10] [--variants=bare,durable] [--keep] [--names]
 *
 * `--keep` leaves each variant's callgrind files (the idle dump, then the window's, one file per
 * thread) for `callgrind_annotate`, and prints where.
 *
 * Needs valgrind (`apt-get install -y valgrind`). Writes bench/results/instructions-<timestamp>.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ServerChild } from './child/children.js';
import { countedVariants, drive, forkVariant, positiveCount, type CountedVariant } from './drive.js';
import { startHarness } from './harness.js';
import { workloads, type WorkloadName } from './workloads.js';

export interface InstructionOptions {
  workload: WorkloadName;
  requests: number;
  warmup: number;
  /** Seconds the process is counted idle (the timers' rate), after the warm-up. */
  idle: number;
  concurrency: number;
  variants: CountedVariant[];
  /** Keep the callgrind files. */
  keep: boolean;
  /**
   * Name the JavaScript functions: the gateway runs with --perf-basic-prof, so V8 writes each
   * compiled function's address range to /tmp/perf-<pid>.map, which is kept beside the callgrind
   * files (implies `keep`) for bench/callgrind-names.ts. The log V8 keeps with it goes there too
   * (v8.log), not into the working directory.
   */
  names: boolean;
}

export interface InstructionCount {
  variant: string;
  /** Requests answered 200 without GraphQL errors in the counted window (of `requests`). */
  ok: number;
  /** Instructions of the whole process per request (every thread), less the idle rate over the window. */
  perRequest: number;
  /** The same without the idle rate taken off. */
  rawPerRequest: number;
  /** Instructions per second of the process idle (its timers). */
  idlePerS: number;
  /** The counted window's length, s. */
  windowS: number;
  /** Of which the main thread's (the event loop: Apollo, our pipeline, V8's work on that thread), idle rate taken off. */
  mainThreadPerRequest: number;
  /** Threads beside it: SQLite's write thread, V8's compiler and GC helpers, libuv's pool. */
  otherThreadsPerRequest: number;
  /**
   * Of the window's count (not idle-adjusted), V8's optimising compiler on its helper threads
   * (TurboFan jobs, callgrind_annotate's inclusive count). Under callgrind a request takes some
   * fifty times longer while the gateway's timers keep their pace, and the enforced gateway kept
   * re-optimising through a window that followed 12,000 warm-up requests: 390 k instructions per
   * request, against 16 functions optimised per 5,000 requests natively (`--trace-opt`). So it
   * is reported apart, and each ratio is given without it too.
   */
  compilerPerRequest: number;
}

/** Reads `--name=value` options and the workload; anything else is an error, so a typo does not measure a default. */
export function parseInstructionOptions(argv: readonly string[]): InstructionOptions {
  const options: InstructionOptions = { workload: 'one', requests: 6000, warmup: 12000, idle: 20, concurrency: 10, variants: ['bare', 'durable'], keep: false, names: false };
  for (const arg of argv) {
    const m = /^--(requests|warmup|idle|concurrency|variants)=(.*)$/.exec(arg);
    if (m) {
      const [, name, value] = m as unknown as [string, string, string];
      if (name === 'variants') options.variants = countedVariants(value);
      else options[name as 'requests' | 'warmup' | 'idle' | 'concurrency'] = positiveCount(name, value);
    } else if (arg === '--keep') options.keep = true;
    else if (arg === '--names') options.names = options.keep = true;
    else if (arg === 'one' || arg === 'three' || arg === 'many') options.workload = arg;
    else throw new Error(`unknown argument ${JSON.stringify(arg)} (one|three|many, --requests=N, --warmup=N, --idle=S, --concurrency=N, --variants=bare,durable,off, --keep, --names)`);
  }
  return options;
}

/**
 * valgrind running callgrind over the gateway: one output file per thread and dump in `out`,
 * instrumentation off until `callgrind_control --instr=on` (after the warm-up).
 */
export function callgrindWrapper(out: string): string[] {
  return ['valgrind', '--tool=callgrind', '--separate-threads=yes', '--instr-atstart=no', `--callgrind-out-file=${join(out, 'callgrind.out.%p')}`, '--log-file=/dev/null'];
}

/** The instruction count a callgrind output file holds (its `summary:` or `totals:` line). */
export function callgrindTotal(text: string): number {
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  if (!m) throw new Error('callgrind output without a summary or totals line');
  return Number(m[1]);
}

/**
 * The files of the newest dump of process `pid` among `files`: with --separate-threads=yes
 * callgrind writes `<out>.<pid>.<dump>-<thread>` per thread (thread 01 is the main thread).
 */
export function newestDump<T extends { name: string }>(files: readonly T[], pid: number): Array<T & { thread: number }> {
  const parts = files.flatMap((f) => {
    const m = new RegExp(`\\.${pid}\\.(\\d+)-(\\d+)$`).exec(f.name);
    return m ? [{ ...f, dump: Number(m[1]), thread: Number(m[2]) }] : [];
  });
  if (parts.length === 0) throw new Error(`no callgrind dump of process ${pid}`);
  const newest = Math.max(...parts.map((p) => p.dump));
  return parts.filter((p) => p.dump === newest);
}

/** Each thread's count in the newest dump of process `pid` (newestDump). */
export function threadCounts(files: ReadonlyArray<{ name: string; text: string }>, pid: number): Map<number, number> {
  return new Map(newestDump(files, pid).map((p) => [p.thread, callgrindTotal(p.text)]));
}

/** The inclusive count of V8's optimising-compiler jobs in one thread's `callgrind_annotate --inclusive=yes --threshold=100` output; 0 when there are none. */
export function compilerInstructions(annotated: string): number {
  const m = /^\s*([\d,]+)\s.*OptimizingCompileDispatcher::CompileTask::RunInternal\(/m.exec(annotated);
  return m ? Number(m[1]!.replaceAll(',', '')) : 0;
}

const sum = (threads: ReadonlyMap<number, number>) => [...threads.values()].reduce((a, b) => a + b, 0);

/**
 * A variant's figures from its two counts, each per thread (thread 1 the main one): idle over
 * `idle.seconds`, and the window of `requests` requests over `window.seconds`, from which the
 * idle rate times the window's length is taken off.
 */
export function instructionCount(variant: string, ok: number, requests: number, idle: { threads: ReadonlyMap<number, number>; seconds: number }, window: { threads: ReadonlyMap<number, number>; seconds: number }, compiler = 0): InstructionCount {
  const all = sum(window.threads);
  const main = window.threads.get(1) ?? 0;
  const idleAll = sum(idle.threads) / idle.seconds;
  const idleMain = (idle.threads.get(1) ?? 0) / idle.seconds;
  return {
    variant,
    ok,
    perRequest: (all - idleAll * window.seconds) / requests,
    rawPerRequest: all / requests,
    idlePerS: idleAll,
    windowS: window.seconds,
    mainThreadPerRequest: (main - idleMain * window.seconds) / requests,
    otherThreadsPerRequest: (all - main - (idleAll - idleMain) * window.seconds) / requests,
    compilerPerRequest: compiler / requests,
  };
}

/** One line per variant and, when bare-http was counted, each other variant's ratio to it. */
export function renderInstructions(workload: string, counts: readonly InstructionCount[]): string {
  const bare = counts.find((c) => c.variant === 'bare');
  const m = (n: number) => `${(n / 1e6).toFixed(2)} M`;
  return counts
    .map(
      (c) =>
        `${workload} / ${c.variant === 'bare' ? 'bare-http' : c.variant}: ${m(c.perRequest)} instructions per request (main thread ${m(c.mainThreadPerRequest)}, other threads ${m(c.otherThreadsPerRequest)}, of which V8's optimising compiler ${m(c.compilerPerRequest)}; ` +
        `${m(c.rawPerRequest)} before the idle rate, ${m(c.idlePerS)}/s over ${c.windowS.toFixed(0)} s, is taken off; ${c.ok} answered)` +
        (bare && c !== bare
          ? `, ${(c.perRequest / bare.perRequest).toFixed(3)}× bare-http (main thread ${(c.mainThreadPerRequest / bare.mainThreadPerRequest).toFixed(3)}×, ` +
            `without the compiler ${((c.perRequest - c.compilerPerRequest) / (bare.perRequest - bare.compilerPerRequest)).toFixed(3)}×, raw ${(c.rawPerRequest / bare.rawPerRequest).toFixed(3)}×)`
          : ''),
    )
    .join('\n');
}

/** compilerInstructions over every thread of the process's newest dump in `out` (callgrind_annotate reads each file). */
export function windowCompiler(out: string, pid: number): number {
  let total = 0;
  for (const { name } of newestDump(readdirSync(out).map((name) => ({ name })), pid)) {
    const annotated = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', join(out, name)], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
    total += compilerInstructions(annotated);
  }
  return total;
}

async function main(): Promise<void> {
  let options: InstructionOptions;
  try {
    options = parseInstructionOptions(process.argv.slice(2));
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    console.error((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'valgrind is not installed (apt-get install -y valgrind)' : (err as Error).message);
    process.exit(2);
  }
  const log = (line: string) => process.stderr.write(`[instructions ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const workload = workloads()[options.workload];
  const h = await startHarness();
  const counts: InstructionCount[] = [];
  try {
    for (const variant of options.variants) {
      const out = mkdtempSync(join(tmpdir(), `callgrind-${variant}-`));
      const wrapper = callgrindWrapper(out);
      const started = Date.now();
      const fork = { wrapper, readyTimeoutMs: 900_000, extraNodeFlags: options.names ? ['--perf-basic-prof', '--no-logfile-per-isolate', `--logfile=${join(out, 'v8.log')}`] : [] };
      let server: ServerChild | null = null;
      try {
        const forked = await forkVariant(h, variant, `gw-instr-${variant}`, fork);
        server = forked.server;
        const { headers } = forked;
        log(`${variant}: started under callgrind in ${Math.round((Date.now() - started) / 1000)} s (flags ${server.nodeFlags.join(' ')})`);
        await drive(server.urls.graphql!, headers, workload.bodies, options.warmup, options.concurrency);
        const pid = String(server.pid);
        // Counting from here: the warm-up ran uninstrumented.
        execFileSync('callgrind_control', ['--instr=on', pid], { stdio: 'ignore' });
        const counted = () => threadCounts(readdirSync(out).map((name) => ({ name, text: readFileSync(join(out, name), 'utf8') })), server!.pid);
        // Idle: what the timers cost per second.
        execFileSync('callgrind_control', ['--zero', pid], { stdio: 'ignore' });
        let t = performance.now();
        await new Promise((resolve) => setTimeout(resolve, options.idle * 1000));
        execFileSync('callgrind_control', ['--dump', pid], { stdio: 'ignore' });
        const idleS = (performance.now() - t) / 1000;
        const idle = counted();
        // The window.
        execFileSync('callgrind_control', ['--zero', pid], { stdio: 'ignore' });
        t = performance.now();
        const ok = await drive(server.urls.graphql!, headers, workload.bodies, options.requests, options.concurrency);
        execFileSync('callgrind_control', ['--dump', pid], { stdio: 'ignore' });
        const windowS = (performance.now() - t) / 1000;
        const window = counted();
        const compiler = windowCompiler(out, server.pid);
        const count = instructionCount(variant, ok, options.requests, { threads: idle, seconds: idleS }, { threads: window, seconds: windowS }, compiler);
        counts.push(count);
        log(renderInstructions(options.workload, [count]));
      } finally {
        await server?.stop();
        const perfMap = server ? `/tmp/perf-${server.pid}.map` : null;
        if (perfMap && existsSync(perfMap)) {
          if (options.names) renameSync(perfMap, join(out, `perf-${server!.pid}.map`));
          else rmSync(perfMap, { force: true });
        }
        if (options.keep) log(`${variant}: callgrind files kept in ${out}`);
        else rmSync(out, { recursive: true, force: true });
      }
    }
  } finally {
    await h.dispose();
  }
  const report = renderInstructions(options.workload, counts);
  console.log(report);
  const results = new URL('./results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  const file = new URL(`./instructions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, results);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, options, counts }, null, 2)}\n`);
  log(`wrote ${file.pathname}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
