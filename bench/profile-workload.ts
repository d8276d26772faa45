/**
 * A CPU profile of the enforced gateway alone, under one workload, at a finer sampling interval
 * than `npm run bench` uses (which profiles the three-subgraph workload at 500 µs): for finding
 * where the enforced path's own microseconds go. Prints the summary and the profile's path.
 *
 *   npx tsx bench/profile-workload.ts [one|three|many] [durationS=8] [intervalUs=100]
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness } from './harness.js';
import { profileEnforcedGateway } from './profile.js';
import { workloads, type WorkloadName } from './workloads.js';
const [name = 'one', duration = '8', interval = '100'] = process.argv.slice(2);
const workload = workloads()[name as WorkloadName];
if (!workload) throw new Error(`unknown workload ${name}`);
const h = await startHarness();
try {
  const run = await profileEnforcedGateway({
    spec: { role: 'enforced', dataDir: h.env.dataDir, env: h.gatewayEnv, accessLog: 'durable' },
    outDir: join(fileURLToPath(new URL('./results/', import.meta.url)), 'profiles'),
    name: `workload-${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    bodies: workload.bodies,
    headers: h.auth,
    connections: 50,
    warmupS: 3,
    durationS: Number(duration),
    intervalUs: Number(interval),
  });
  console.log(`${run.file}\n${Math.round(run.rps)} req/s while profiled; busy ${run.summary.busyMs.toFixed(0)} ms of ${run.summary.windowMs.toFixed(0)} ms`);
  for (const r of run.summary.categories.slice(0, 30)) console.log(`${(100 * r.share).toFixed(1).padStart(5)}%  ${r.name}`);
} finally {
  await h.dispose();
}
