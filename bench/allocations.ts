/**
 * `npm run bench:allocations`: what a gateway allocates per request, and where.
 *
 * Garbage is the enforced gateway's largest cost beyond its own code: counted under callgrind
 * (bench/instructions.ts, docs/performance.md, twenty-seventh pass) V8's helper threads spent
 * several hundred thousand instructions per request marking and sweeping in the enforced gateway
 * against a fraction of that in bare-http, and `--trace-gc` showed it both scavenging and
 * running full collections more often. Those follow from the bytes allocated per request and the
 * share that lives long enough to be promoted. This measures the first, by function.
 *
 * For each variant (bare-http, durable, off: as bench/instructions.ts) the gateway runs natively
 * with the production flags, takes `--warmup` requests, then V8's sampling heap profiler runs
 * (over the inspector, in the gateway's process) while `--requests` are sent `--concurrency` at a
 * time. The profiler keeps the samples of objects a collection has freed since, so its total is
 * what was allocated, not what survived. Reports bytes per request: in all, by source (a package,
 * Node, a project file), by function, and by the nearest project function on the stack (which of
 * our code caused an allocation inside a library).
 *
 *   npm run bench:allocations -- [one|three|many] [--requests=3000] [--warmup=3000] [--interval=8192] [--concurrency=10] [--variants=bare,durable] [--keep] [--promoted]
 *
 * `--promoted` keeps only the samples of objects that outlived a scavenge: the bytes per request
 * promoted to the old generation, which is what makes full collections frequent.
 * `--keep` writes the profiles (.heapprofile, which Chrome DevTools opens) to bench/results/.
 * Writes bench/results/allocations-<timestamp>.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceOfFile } from './callgrind-names.js';
import type { ServerChild } from './child/children.js';
import { countedVariants, drive, forkVariant, positiveCount, type CountedVariant } from './drive.js';
import { startHarness } from './harness.js';
import { workloads, type WorkloadName } from './workloads.js';

export interface AllocationOptions {
  workload: WorkloadName;
  requests: number;
  warmup: number;
  /** The profiler's mean sampling interval, bytes. */
  interval: number;
  concurrency: number;
  variants: CountedVariant[];
  keep: boolean;
  /** Only what outlived the young generation (promoted): what full collections mark. */
  promoted: boolean;
}

/** A CDP HeapProfiler.SamplingHeapProfile node (the parts read here). */
export interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

export interface AllocationSummary {
  variant: string;
  ok: number;
  /** Bytes allocated per request (every sample, freed or not). */
  bytesPerRequest: number;
  bySource: Array<[string, number]>;
  byFunction: Array<[string, number]>;
  byProjectCaller: Array<[string, number]>;
}

/** Reads `--name=value` options and the workload; anything else is an error. */
export function parseAllocationOptions(argv: readonly string[]): AllocationOptions {
  const options: AllocationOptions = { workload: 'one', requests: 3000, warmup: 3000, interval: 8192, concurrency: 10, variants: ['bare', 'durable'], keep: false, promoted: false };
  for (const arg of argv) {
    const m = /^--(requests|warmup|interval|concurrency|variants)=(.*)$/.exec(arg);
    if (m) {
      const [, name, value] = m as unknown as [string, string, string];
      if (name === 'variants') options.variants = countedVariants(value);
      else options[name as 'requests' | 'warmup' | 'interval' | 'concurrency'] = positiveCount(name, value);
    } else if (arg === '--keep') options.keep = true;
    else if (arg === '--promoted') options.promoted = true;
    else if (arg === 'one' || arg === 'three' || arg === 'many') options.workload = arg;
    else throw new Error(`unknown argument ${JSON.stringify(arg)} (one|three|many, --requests=N, --warmup=N, --interval=BYTES, --concurrency=N, --variants=bare,durable,off, --keep, --promoted)`);
  }
  return options;
}

/** Whether a frame is the project's own code (not a package's, not Node's). */
const isProject = (url: string) => !url.includes('/node_modules/') && !url.startsWith('node:') && url !== '' && sourceOfFile(url) !== url.replace(/^file:\/\//, '');

const frameName = (f: ProfileNode['callFrame']) => `${f.functionName || '(anonymous)'} ${f.url ? `${sourceOfFile(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '(native)'}`;

/**
 * Sums a profile's self sizes three ways: by source, by function, and by the nearest project
 * function on the stack (an allocation with none above it keeps its own source's name in
 * parentheses). Each map's values add up to the profile's total.
 */
export function summarise(head: ProfileNode): { total: number; bySource: Map<string, number>; byFunction: Map<string, number>; byProjectCaller: Map<string, number> } {
  const bySource = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byProjectCaller = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n);
  let total = 0;
  const walk = (node: ProfileNode, project: string | null) => {
    const here = isProject(node.callFrame.url) ? frameName(node.callFrame) : project;
    if (node.selfSize > 0) {
      total += node.selfSize;
      const source = node.callFrame.url ? sourceOfFile(node.callFrame.url) : `(${node.callFrame.functionName || 'native'})`;
      add(bySource, source, node.selfSize);
      add(byFunction, frameName(node.callFrame), node.selfSize);
      add(byProjectCaller, here ?? `(${source})`, node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(head, null);
  return { total, bySource, byFunction, byProjectCaller };
}

const top = (m: ReadonlyMap<string, number>, per: number, n = 40): Array<[string, number]> =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => [k, Math.round(v / per)]);

async function main(): Promise<void> {
  let options: AllocationOptions;
  try {
    options = parseAllocationOptions(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const log = (line: string) => process.stderr.write(`[allocations ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const workload = workloads()[options.workload];
  const h = await startHarness();
  const results = new URL('./results/', import.meta.url);
  mkdirSync(results, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = mkdtempSync(join(tmpdir(), 'allocations-'));
  const summaries: AllocationSummary[] = [];
  try {
    for (const variant of options.variants) {
      let server: ServerChild | null = null;
      try {
        const forked = await forkVariant(h, variant, `gw-alloc-${variant}`);
        server = forked.server;
        const { headers } = forked;
        await drive(server.urls.graphql!, headers, workload.bodies, options.warmup, options.concurrency);
        await server.startAllocations(options.interval, options.promoted);
        const ok = await drive(server.urls.graphql!, headers, workload.bodies, options.requests, options.concurrency);
        const file = join(dir, `${variant}.heapprofile`);
        await server.stopAllocations(file);
        const { total, bySource, byFunction, byProjectCaller } = summarise((JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode }).head);
        const per = options.requests;
        summaries.push({ variant, ok, bytesPerRequest: Math.round(total / per), bySource: top(bySource, per), byFunction: top(byFunction, per), byProjectCaller: top(byProjectCaller, per) });
        log(`${options.workload} / ${variant === 'bare' ? 'bare-http' : variant}: ${Math.round(total / per).toLocaleString('en-AU')} bytes ${options.promoted ? 'promoted' : 'allocated'} per request (${ok} of ${per} answered)`);
        if (options.keep) {
          const kept = fileURLToPath(new URL(`./allocations-${stamp}-${variant}.heapprofile`, results));
          renameSync(file, kept);
          log(`${variant}: profile kept in ${kept}`);
        }
      } finally {
        await server?.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await h.dispose();
  }
  const f = (n: number) => n.toLocaleString('en-AU').padStart(9);
  for (const s of summaries) {
    console.log(`\n${options.workload} / ${s.variant}: ${f(s.bytesPerRequest)} bytes per request`);
    console.log('  by source:');
    for (const [k, n] of s.bySource.slice(0, 15)) console.log(`  ${f(n)}  ${k}`);
    console.log('  by the nearest project function on the stack:');
    for (const [k, n] of s.byProjectCaller.slice(0, 25)) console.log(`  ${f(n)}  ${k}`);
    console.log('  by function:');
    for (const [k, n] of s.byFunction.slice(0, 25)) console.log(`  ${f(n)}  ${k}`);
  }
  const file = new URL(`./allocations-${stamp}.json`, results);
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), node: process.version, options, summaries }, null, 2)}\n`);
  log(`wrote ${file.pathname}`);
}

if (fileURLToPath(import.meta.url) === process.argv[1]) void main();
