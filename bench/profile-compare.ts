/**
 * Where one variant's CPU goes that another's does not: profiles each variant in turn under the
 * same closed-loop load (`--cpu-prof` on a fresh child, the loaded window only) and prints the
 * difference per request, µs, by category and by function. What found, in session 5, that the
 * enforced gateway's `postMessage` time on the one pinned CPU is the write thread's work for
 * rate-limit refills (the thread runs while the main thread is inside postMessage).
 *
 *   npx tsx bench/profile-compare.ts [one|three|many] [durationS=8] [intervalUs=250] [variants=bare-http,enforced]
 *
 * Variants: bare-http, enforced (durable access log), enforced-log-off. Profiling slows every
 * variant several-fold: compare the differences, not the absolute figures.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { startHarness } from './harness.js';
import { profileEnforcedGateway } from './profile.js';
import { summariseProfile, type CpuProfile } from './profile-summary.js';
import { workloads, type WorkloadName } from './workloads.js';
const [name = 'one', duration = '8', interval = '100', which = 'bare-http,enforced'] = process.argv.slice(2);
const workload = workloads()[name as WorkloadName];
if (!workload) throw new Error(`unknown workload ${name}`);
const h = await startHarness();
try {
  const { env, gatewayEnv, auth } = h;
  const out: Record<string, { perReq: Map<string, number>; cats: Map<string, number>; rps: number; busyUs: number }> = {};
  for (const v of which.split(',')) {
    const spec = v === 'bare-http' ? h.bareHttpSpec() : { role: 'enforced' as const, dataDir: env.dataDir, env: gatewayEnv, accessLog: (v === 'enforced-log-off' ? 'off' : 'durable') as 'off' | 'durable' };
    const run = await profileEnforcedGateway({
      spec, outDir: join(fileURLToPath(new URL('./results/', import.meta.url)), 'profiles'),
      name: `cmp-${v}-${Date.now()}`, bodies: workload.bodies,
      headers: v === 'bare-http' ? {} : auth,
      connections: 50, warmupS: 3, durationS: Number(duration), intervalUs: Number(interval),
    });
    const s = summariseProfile(JSON.parse(readFileSync(run.file, 'utf8')) as CpuProfile, { top: 1e9, fromUs: run.window.from, toUs: run.window.to });
    const reqs = run.rps * (s.windowMs / 1000);
    const perReq = new Map<string, number>();
    for (const f of s.functions) perReq.set(`${f.name} ${f.location}`, (perReq.get(`${f.name} ${f.location}`) ?? 0) + f.selfMs * 1000 / reqs);
    const cats = new Map<string, number>();
    for (const c of s.categories) cats.set(c.name, c.selfMs * 1000 / reqs);
    out[v] = { perReq, cats, rps: run.rps, busyUs: s.busyMs * 1000 / reqs };
    console.log(`${v}: ${Math.round(run.rps)} req/s, busy ${out[v].busyUs.toFixed(0)} µs/req  ${run.file} ${run.window.from} ${run.window.to}`);
  }
  const [a, b] = which.split(',');
  const A = out[a!]!, B = out[b!]!;
  const diff = (x: Map<string, number>, y: Map<string, number>) => [...new Set([...x.keys(), ...y.keys()])].map((k) => [k, (y.get(k) ?? 0) - (x.get(k) ?? 0), x.get(k) ?? 0, y.get(k) ?? 0] as const).sort((p, q) => Math.abs(q[1]) - Math.abs(p[1]));
  console.log(`\ncategories µs/req (${a} → ${b}):`);
  for (const [k, d, x, y] of diff(A.cats, B.cats).slice(0, 30)) console.log(`${d.toFixed(1).padStart(7)}  ${x.toFixed(1).padStart(6)} → ${y.toFixed(1).padStart(6)}  ${k}`);
  console.log(`\nfunctions µs/req:`);
  for (const [k, d, x, y] of diff(A.perReq, B.perReq).slice(0, 70)) console.log(`${d.toFixed(1).padStart(7)}  ${x.toFixed(1).padStart(6)} → ${y.toFixed(1).padStart(6)}  ${k.slice(0, 140)}`);
} finally {
  await h.dispose();
}
