/**
 * CPU per request of enforced-gateway variants that differ by environment, beside bare-http, in
 * interleaved rounds (order reversed every other round), each gateway pinned as in `npm run bench`.
 * For taking one feature's cost apart from the rest (session 5: rate limits, lease sizes).
 *
 *   npx tsx bench/ablate.ts [one|three|many] [rounds=2] [variants=bare,durable,off,off-norl,off-lease500]
 *
 * A variant is `bare` (bare-http), or `durable`/`off` (the access log on or off) followed by
 * options: `-norl` (RATE_LIMITS_ENABLED=false), `-leaseN` (RATE_LIMIT_LEASE=N), `-pageN` (its own
 * copy of the seeded store with N-byte SQLite pages, bench/store-copy.ts), `+NAME=value` (any
 * other variable). Besides each variant's median it prints the median of its per-round ratio to
 * the first variant (list `bare` first), which a slow spell of a shared machine moves less.
 */
import { forkServer, type ServerChild } from './child/children.js';
import { startHarness } from './harness.js';
import { storeCopyWithPageSize } from './store-copy.js';
import { runLoad } from './load.js';
import { pin } from './pinning.js';
import { median } from './stats.js';
import { workloads, type WorkloadName } from './workloads.js';
const [wl = 'one', roundsS = '2', which = 'bare,durable,off,off-norl,off-lease500'] = process.argv.slice(2);
const workload = workloads()[wl as WorkloadName];
if (!workload) throw new Error(`unknown workload ${wl}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const h = await startHarness();
const children: ServerChild[] = [];
try {
  const { env, placement, gatewayEnv, auth } = h;
  const variants: { name: string; server: ServerChild; headers: Record<string, string> }[] = [];
  let i = 0;
  for (const v of which.split(',')) {
    i++;
    if (v === 'bare') { variants.push({ name: v, server: await forkServer('bare-http', h.bareHttpSpec()), headers: {} }); continue; }
    const extra: Record<string, string> = { INSTANCE_ID: `gw-${i}` };
    if (v.includes('norl')) extra.RATE_LIMITS_ENABLED = 'false';
    const lease = /lease(\d+)/.exec(v); if (lease) extra.RATE_LIMIT_LEASE = lease[1]!;
    const page = /page(\d+)/.exec(v); if (page) extra.STORE_URL = storeCopyWithPageSize(env.dataDir, Number(page[1]));
    for (const kv of v.split('+').slice(1)) { const at = kv.indexOf('='); extra[kv.slice(0, at)] = kv.slice(at + 1); }
    variants.push({ name: v, server: await forkServer(v, { role: 'enforced', dataDir: env.dataDir, env: { ...gatewayEnv, ...extra }, accessLog: v.startsWith('durable') ? 'durable' : 'off' }), headers: auth });
  }
  for (const v of variants) { children.push(v.server); pin(v.server.pid, placement.gateway); }
  const res = new Map(variants.map((v) => [v.name, { cpu: [] as number[], rps: [] as number[] }]));
  for (const v of variants) await runLoad({ url: v.server.urls.graphql!, connections: 50, durationS: 2, bodies: workload.bodies, headers: v.headers });
  for (let r = 0; r < Number(roundsS); r++) {
    for (const v of r % 2 ? [...variants].reverse() : variants) {
      await sleep(300); await v.server.reset();
      const sat = await runLoad({ url: v.server.urls.graphql!, connections: 50, durationS: 5, bodies: workload.bodies, headers: v.headers });
      const s = await v.server.stats();
      if (sat.failed) throw new Error(`${v.name}: ${sat.failed} failed`);
      res.get(v.name)!.cpu.push((s.cpuUserUs + s.cpuSystemUs) / sat.ok); res.get(v.name)!.rps.push(sat.ok / sat.durationS);
    }
  }
  // Within a round the variants ran back to back, so a slow spell of the machine moves them
  // together: each variant's CPU ÷ the first variant's in the same round is steadier than either.
  const first = res.get(variants[0]!.name)!.cpu;
  for (const [n, r] of res) {
    const ratios = r.cpu.map((c, i) => c / first[i]!);
    console.log(`${n.padEnd(28)} CPU ${median(r.cpu).toFixed(0)} µs/req (${r.cpu.map((x) => x.toFixed(0)).join(', ')})  ÷ ${variants[0]!.name} ${median(ratios).toFixed(3)} (${ratios.map((x) => x.toFixed(2)).join(', ')})  ${median(r.rps).toFixed(0)} req/s (${r.rps.map((x) => x.toFixed(0)).join(', ')})`);
  }
} finally {
  await Promise.allSettled(children.map((c) => c.stop()));
  await h.dispose();
}
