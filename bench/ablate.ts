/**
 * Enforced-gateway variants side by side with bare-http, in interleaved rounds (order reversed
 * every other round), each gateway pinned as in `npm run bench`. For taking one feature's cost
 * apart from the rest, or comparing this tree with an earlier revision.
 *
 *   npx tsx bench/ablate.ts [one|three|many] [rounds=2] [variants=bare,durable,off,off-norl,off-lease500] [--paced[=N]]
 *
 * Variants are named as bench/ablate-variants.ts describes, e.g. `durable-page16384`,
 * `durable-page16384@3dc7f40` (that revision's gateway, on a store copy of its own), `off-norl`,
 * `durable+AUDIT_GATHER_TURNS=0`. List `bare` first: each figure is also given as a per-round
 * ratio or difference to the first variant, which a slow spell of a shared machine moves less
 * than the figure itself.
 *
 * `durable-shm` runs the gateway on a store copy in /dev/shm (a memory file system: its fsyncs
 * return at once), beside `durable` on the disk: how much of the durable log's tail is the disk's.
 *
 * `durable-mature2000000` runs the gateway on a store whose access log already holds two million
 * records with varied keys (its indexes as a mature deployment's), beside `durable` on a fresh one.
 *
 * Saturation (default): CPU µs per request and req/s at 50 connections, 5 s a round. `--paced`:
 * an evenly paced 200 req/s (`--paced=N`: N) for 8 s a round, CPU per request, p50 and p99 at
 * the client and timed inside the server. Each variant with `-pageN` gets a store file of its
 * own; compare versions with `@rev`, each on its own copy, rather than a switch inside one tree
 * (docs/performance.md, eighth pass).
 */
import { parseVariant, type AblateVariant } from './ablate-variants.js';
import { forkServer, type ServerChild } from './child/children.js';
import { startHarness } from './harness.js';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { PAGE_SIZE_BYTES } from '../store/sqlite/connection.js';
import { fillMatureLog } from './micro/ingest-mature.js';
import { storeCopyWithPageSize } from './store-copy.js';
import { runLoad } from './load.js';
import { runPaced } from './paced.js';
import { pin } from './pinning.js';
import { checkoutRevision, type RevisionTree } from './revision-tree.js';
import { median, percentile } from './stats.js';
import { workloads, type WorkloadName } from './workloads.js';

// --paced or --paced=N: an even N req/s (default 200) instead of saturation.
const pacedFlag = process.argv.find((a) => a === '--paced' || a.startsWith('--paced='));
const pacedRate = pacedFlag === undefined ? null : pacedFlag === '--paced' ? 200 : Number(pacedFlag.slice('--paced='.length));
if (pacedRate !== null && !(Number.isInteger(pacedRate) && pacedRate > 0)) throw new Error(`${pacedFlag}: a whole number of requests per second`);
const paced = pacedRate !== null;
const [wl = 'one', roundsS = '2', which = 'bare,durable,off,off-norl,off-lease500'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const workload = workloads()[wl as WorkloadName];
if (!workload) throw new Error(`unknown workload ${wl}`);
const specs = which.split(',').map(parseVariant);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trees = new Map<string, RevisionTree>();
const children: ServerChild[] = [];
let shmDir: string | null = null;
/** The run's own directory in /dev/shm for -shm store copies, removed at the end. */
const memoryDir = () => (shmDir ??= mkdtempSync('/dev/shm/dsp-ablate-'));
const h = await startHarness();
/** A variant's Node flags: the role's own (the gateway's production flags), or Node's defaults (-nodedefaults). */
const flagsOf = (v: AblateVariant) => (v.nodeDefaults ? { nodeFlags: [] } : {});

try {
  const { env, placement, gatewayEnv, auth } = h;
  const variants: { name: string; server: ServerChild; headers: Record<string, string> }[] = [];
  for (const [i, v] of specs.entries()) {
    let entry: string | undefined;
    if (v.revision) {
      if (!trees.has(v.revision)) trees.set(v.revision, checkoutRevision(v.revision));
      const tree = trees.get(v.revision)!;
      entry = tree.entry;
      console.log(`${v.name}: revision ${tree.commit.slice(0, 12)} in ${tree.dir}`);
    }
    if (v.kind === 'bare') {
      variants.push({ name: v.name, server: await forkServer('bare-http', h.bareHttpSpec(), { entry, ...flagsOf(v) }), headers: {} });
      continue;
    }
    const extra: Record<string, string> = { INSTANCE_ID: `gw-${i + 1}`, ...v.env };
    if (v.pageSize || v.mature || v.memoryDisk) extra.STORE_URL = storeCopyWithPageSize(env.dataDir, v.pageSize ?? PAGE_SIZE_BYTES, `v${i + 1}`, v.memoryDisk ? memoryDir() : env.dataDir);
    if (v.mature) {
      const started = Date.now();
      const db = new Database(extra.STORE_URL!.slice('sqlite:'.length));
      try {
        db.pragma('journal_mode = WAL');
        fillMatureLog(db, v.mature);
      } finally {
        db.close();
      }
      console.log(`${v.name}: ${v.mature} varied records filled in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    variants.push({ name: v.name, server: await forkServer(v.name, { role: 'enforced', dataDir: env.dataDir, env: { ...gatewayEnv, ...extra }, accessLog: v.kind }, { entry, ...flagsOf(v) }), headers: auth });
  }
  for (const v of variants) {
    children.push(v.server);
    pin(v.server.pid, placement.gateway);
  }
  const figures = new Map(variants.map((v) => [v.name, new Map<string, number[]>()]));
  const note = (name: string, figure: string, value: number) => {
    const m = figures.get(name)!;
    m.set(figure, [...(m.get(figure) ?? []), value]);
  };
  const load = (v: (typeof variants)[number], durationS: number) =>
    paced
      ? runPaced({ url: v.server.urls.graphql!, connections: 50, durationS, bodies: workload.bodies, headers: v.headers, overallRate: pacedRate! })
      : runLoad({ url: v.server.urls.graphql!, connections: 50, durationS, bodies: workload.bodies, headers: v.headers });
  for (const v of variants) await load(v, 2);
  for (let r = 0; r < Number(roundsS); r++) {
    for (const v of r % 2 ? [...variants].reverse() : variants) {
      await sleep(300);
      await v.server.reset();
      const run = await load(v, paced ? 8 : 5);
      const s = await v.server.stats();
      if (run.failed) throw new Error(`${v.name}: ${run.failed} failed`);
      note(v.name, 'cpu µs/req', (s.cpuUserUs + s.cpuSystemUs) / run.ok);
      if (!paced) {
        note(v.name, 'req/s', run.ok / run.durationS);
        continue;
      }
      const sorted = run.latenciesMs.slice().sort();
      note(v.name, 'p50 ms', percentile(sorted, 50));
      note(v.name, 'p99 ms', percentile(sorted, 99));
      if (s.served) {
        note(v.name, 'served p50 ms', s.served.p50Ms);
        note(v.name, 'served p99 ms', s.served.p99Ms);
      }
      if (s.commits) {
        note(v.name, 'commit p99 ms', s.commits.p99Ms);
        note(v.name, 'commit max ms', s.commits.maxMs);
      }
    }
  }
  // Within a round the variants ran back to back, so a slow spell of the machine moves them
  // together: each figure against the first variant's in the same round is steadier than either.
  const first = figures.get(variants[0]!.name)!;
  const fixed = (xs: number[], digits: number) => xs.map((x) => x.toFixed(digits)).join(', ');
  for (const [name, m] of figures) {
    const parts = [...m].map(([figure, xs]) => {
      const base = first.get(figure) ?? [];
      // A figure the first variant has not (the commits of a gateway with the log on): as it is.
      if (base.length === 0) return `${figure} ${median(xs).toFixed(2)} (${fixed(xs, 2)})`;
      // Times as differences (added ms), CPU and rates as ratios.
      if (figure.endsWith(' ms')) {
        const added = xs.map((x, k) => x - base[k]!);
        return `${figure} ${median(xs).toFixed(2)} (${fixed(xs, 2)}) added ${median(added).toFixed(2)} (${fixed(added, 2)})`;
      }
      const ratios = xs.map((x, k) => x / base[k]!);
      return `${figure} ${median(xs).toFixed(0)} (${fixed(xs, 0)}) ÷ ${median(ratios).toFixed(3)} (${fixed(ratios, 2)})`;
    });
    console.log(`${name}\n  ${parts.join('\n  ')}`);
  }
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await h.dispose();
  for (const tree of trees.values()) tree.dispose();
  if (shmDir) rmSync(shmDir, { recursive: true, force: true });
}
