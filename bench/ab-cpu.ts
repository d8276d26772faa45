/**
 * Before/after CPU per request of the enforced gateway, for a change that saves microseconds: two
 * checkouts' enforced gateways (A: another directory, e.g. an export of the base commit with this
 * repo's node_modules linked in; B: this repo) run side by side in one environment, on the same
 * subgraphs, beside the bare gateway with the same transport, and are loaded in interleaved rounds
 * (the order reversed every other round), so drift on a shared machine lands on each alike.
 *
 * Each round measures every variant saturated (50 connections, as `npm run bench`) and, with
 * --rate=N, also evenly paced at N req/s (there the enforced gateway's per-commit and timer costs,
 * spread over few requests, dominate). CPU per request is the server process's CPU time (every
 * thread) over its answered requests.
 *
 *   npx tsx bench/ab-cpu.ts <dir A> [--rounds=5] [--duration=5] [--rate=0] [--workload=one]
 */
import { resolve } from 'node:path';
import { forkServer, type ServerChild } from './child/children.js';
import { startHarness } from './harness.js';
import { runLoad } from './load.js';
import { runPaced } from './paced.js';
import { pin } from './pinning.js';
import { median } from './stats.js';
import { workloads, type WorkloadName } from './workloads.js';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number | string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? dflt;
const dirA = args.find((a) => !a.startsWith('--'));
if (!dirA) throw new Error('usage: npx tsx bench/ab-cpu.ts <dir A> [--rounds=5] [--duration=5] [--rate=0] [--workload=one]');
const rounds = Number(flag('rounds', 5));
const durationS = Number(flag('duration', 5));
const rate = Number(flag('rate', 0));
const workload = workloads()[String(flag('workload', 'one')) as WorkloadName];
if (!workload) throw new Error('unknown workload');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const h = await startHarness();
const children: ServerChild[] = [];
try {
  const { env, placement, gatewayEnv, auth } = h;
  // A's own child entry (its gateway code), B's from this checkout.
  const forkA = ((await import(resolve(dirA, 'bench/child/children.ts'))) as { forkServer: typeof forkServer }).forkServer;
  // Each its own instance id, so their access-log chains cannot share an id.
  const spec = (instance: string) => ({ role: 'enforced' as const, dataDir: env.dataDir, env: { ...gatewayEnv, INSTANCE_ID: instance }, accessLog: 'durable' as const });
  const [bare, a, b] = await Promise.all([
    forkServer('bare-http', h.bareHttpSpec()),
    forkA('enforced A', spec('bench-gw-a')),
    forkServer('enforced B', spec('bench-gw-b')),
  ]);
  children.push(bare, a, b);
  for (const c of [bare, a, b]) pin(c.pid, placement.gateway);
  const variants = [
    { name: 'bare-http', server: bare, headers: {} },
    { name: 'A', server: a, headers: auth },
    { name: 'B', server: b, headers: auth },
  ];
  const results = new Map<string, { paced: number[]; saturated: number[]; rps: number[] }>(variants.map((v) => [v.name, { paced: [], saturated: [], rps: [] }]));
  // Warm-up: every variant answers (and caches) the workload first.
  for (const v of variants) await runLoad({ url: v.server.urls.graphql!, connections: 50, durationS: 2, bodies: workload.bodies, headers: v.headers });
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    for (const v of order) {
      const url = v.server.urls.graphql!;
      let paced = { ok: 1, failed: 0 };
      let ps = { cpuUserUs: Number.NaN, cpuSystemUs: 0 };
      if (rate > 0) {
        await sleep(300);
        await v.server.reset();
        paced = await runPaced({ url, connections: 50, durationS, bodies: workload.bodies, headers: v.headers, overallRate: rate });
        ps = await v.server.stats();
      }
      await sleep(300);
      await v.server.reset();
      const sat = await runLoad({ url, connections: 50, durationS, bodies: workload.bodies, headers: v.headers });
      const ss = await v.server.stats();
      if (paced.failed || sat.failed) throw new Error(`${v.name}: ${paced.failed + sat.failed} failed requests`);
      const res = results.get(v.name)!;
      res.paced.push((ps.cpuUserUs + ps.cpuSystemUs) / paced.ok);
      res.saturated.push((ss.cpuUserUs + ss.cpuSystemUs) / sat.ok);
      res.rps.push(sat.ok / sat.durationS);
      process.stderr.write(`round ${r + 1} ${v.name}: ${rate > 0 ? `paced ${res.paced.at(-1)!.toFixed(0)} µs/req, ` : ''}saturated ${res.saturated.at(-1)!.toFixed(0)} µs/req at ${res.rps.at(-1)!.toFixed(0)} req/s\n`);
    }
  }
  const f = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ');
  console.log(`workload ${workload.name}; ${rounds} rounds × ${durationS} s saturated (50 connections)${rate > 0 ? `, and as many paced at ${rate} req/s` : ''}; variants interleaved, order reversed every other round`);
  console.log('| variant | saturated CPU µs/req (median) | each round | saturated req/s (median) |' + (rate > 0 ? ' paced CPU µs/req (median) | each round |' : ''));
  console.log('|---|---|---|---|' + (rate > 0 ? '---|---|' : ''));
  for (const [name, r] of results) console.log(`| ${name} | ${median(r.saturated).toFixed(0)} | ${f(r.saturated)} | ${median(r.rps).toFixed(0)} |` + (rate > 0 ? ` ${median(r.paced).toFixed(0)} | ${f(r.paced)} |` : ''));
  const bh = results.get('bare-http')!;
  const [ra, rb] = [results.get('A')!, results.get('B')!];
  for (const [name, r] of [['A', ra], ['B', rb]] as const) console.log(`${name}: enforced − bare-http ${(median(r.saturated) - median(bh.saturated)).toFixed(0)} µs/req; CPU ratio ${(median(r.saturated) / median(bh.saturated)).toFixed(3)}`);
  // Paired by round (the two ran seconds apart): B − A per round, and its median.
  const paired = ra.saturated.map((x, i) => rb.saturated[i]! - x);
  console.log(`B − A per round: ${f(paired)} µs/req; median ${median(paired).toFixed(0)}`);
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await h.dispose();
}
