/**
 * Memory soak (issue 18): N distinct documents (default 100 000) through the enforced gateway,
 * in its own process with the durable access log, 20 in flight, then idle. Reports the gateway's
 * RSS right after start (before any load), its peak during the load (sampled every 50 ms), and its
 * RSS after the soak once idle for --idle seconds (real time: this is a bench), with where the
 * memory is at each point (V8 heap used / reserved, external, malloc, file-backed), against the
 * ceiling the README states (400 MiB) and whether RSS fell back.
 *
 * "Fell back": the idle RSS gave back at least FELL_BACK_SHARE of what the load added over the
 * start (peak − start). Every cache on the request path is bounded in bytes and forgets entries
 * unused for CACHE_IDLE_S (README "Configuration"), so RSS must plateau however many documents
 * arrive and shrink once they stop.
 *
 *   npm run bench:soak [-- --documents 100000 --concurrency 20 --idle 150 --heap 256 --diagnose]
 *   --heap N       the gateway's --max-old-space-size instead of the production one (GATEWAY_NODE_FLAGS, core/runtime-flags.ts)
 *   --heap 0       Node's default heap limit (the other production flags kept)
 *   --node-flag F  one more node flag for the gateway (e.g. --node-flag --max-semi-space-size=8), repeatable
 *   --env K=V      extra environment for the gateway (e.g. --env CACHE_IDLE_S=10), repeatable
 *   --diagnose     the gateway runs with --expose-gc; after the idle read, a full GC and a last
 *                  read show what was garbage and what is retained (reported, never the figure)
 *   --snapshot     heap snapshots at start and after the idle read (bench/results/soak-*.heapsnapshot)
 * Results: bench/results/soak-<date>-<documents>.json and a summary on stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { loadConfig } from '../core/config.js';
import { devIssuerJwksPath } from '../core/keys.js';
import { GATEWAY_NODE_FLAGS, GATEWAY_ENV } from '../core/runtime-flags.js';
import { signDevToken } from '../gateway/auth/dev-tokens.js';
import type { ChildMemory } from './child/protocol.js';
import { forkServer } from './child/children.js';
import { enforcedGatewayEnv, LOAD_PRODUCT, prepareEnvironment } from './setup.js';

const MIB = 1_048_576;
const CEILING_MIB = 400;
/** Share of the load's growth (peak − start) the idle RSS must have given back. */
const FELL_BACK_SHARE = 0.5;

function arg(name: string, fallback: number, min = 1): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be an integer ≥ ${min}`);
  return v;
}

function envArgs(): Record<string, string> {
  const out: Record<string, string> = {};
  process.argv.forEach((a, i) => {
    if (a !== '--env') return;
    const [k, ...v] = (process.argv[i + 1] ?? '').split('=');
    if (!k || !v.length) throw new Error('--env wants KEY=VALUE');
    out[k] = v.join('=');
  });
  return out;
}

const mib = (bytes: number) => Math.round((bytes / MIB) * 10) / 10;
const log = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The memory breakdown in MiB, for the JSON and the log. */
function breakdown(m: ChildMemory) {
  return {
    rss: mib(m.rss),
    rssAnon: mib(m.rssAnon),
    rssFile: mib(m.rssFile),
    heapUsed: mib(m.heapUsed),
    heapTotal: mib(m.heapTotal),
    heapPhysical: mib(m.heapPhysical),
    oldSpaceUsed: mib(m.oldSpaceUsed),
    oldSpaceSize: mib(m.oldSpaceSize),
    external: mib(m.external),
    arrayBuffers: mib(m.arrayBuffers),
    mallocedByV8: mib(m.mallocedMemory),
    /** Anonymous memory outside the main isolate's heap and external: malloc arenas, the write thread's isolate and SQLite's page cache, code space. */
    otherAnon: mib(m.rssAnon - m.heapPhysical - m.external),
  };
}
const line = (b: ReturnType<typeof breakdown>) => `RSS ${b.rss} MiB (heap used ${b.heapUsed} / reserved ${b.heapTotal}, external ${b.external}, other anon ${b.otherAnon}, file ${b.rssFile})`;

async function main(): Promise<void> {
  const documents = arg('documents', 100_000);
  const concurrency = arg('concurrency', 20);
  const idleS = arg('idle', 150);
  const heapGiven = process.argv.includes('--heap') ? arg('heap', 0, 0) : null;
  const diagnose = process.argv.includes('--diagnose');
  // The gateway runs with the flags and environment it is started with in production (Dockerfile,
  // npm start), unless --heap says otherwise.
  const nodeFlags = GATEWAY_NODE_FLAGS.filter((f) => heapGiven === null || !f.startsWith('--max-old-space-size='));
  if (heapGiven) nodeFlags.push(`--max-old-space-size=${heapGiven}`);
  process.argv.forEach((a, i) => a === '--node-flag' && nodeFlags.push(process.argv[i + 1]!));
  if (diagnose && !nodeFlags.includes('--expose-gc')) nodeFlags.push('--expose-gc');
  const extraEnv = { ...GATEWAY_ENV, ...envArgs() };
  const env = await prepareEnvironment();
  const subgraphs = await forkServer('subgraphs', { role: 'subgraphs', dataDir: env.dataDir, storeUrl: env.storeUrl, hmacKeyBase64: env.hmacKeyBase64 });
  const gatewayEnv = { ...enforcedGatewayEnv(env, subgraphs.urls, devIssuerJwksPath(env.dataDir)), ...extraEnv };
  const gateway = await forkServer('enforced', { role: 'enforced', dataDir: env.dataDir, env: gatewayEnv, accessLog: 'durable' }, { nodeFlags, env: extraEnv });
  const token = await signDevToken(env.keys.issuer, { product: LOAD_PRODUCT, version: '2.1.0', ttlS: 3000 }, loadConfig(gatewayEnv));
  const url = gateway.urls.graphql!;
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  const samples: Array<{ sent: number; elapsedS: number; rssPeakMiB: number } & ReturnType<typeof breakdown>> = [];
  const idleSamples: Array<{ idleS: number } & ReturnType<typeof breakdown>> = [];
  let sent = 0;
  let failed = 0;
  try {
    // Start: listening, nothing served yet (a moment for start-up garbage to be collected).
    await sleep(3000);
    const snapshotDir = process.argv.includes('--snapshot') ? new URL('./results/', import.meta.url).pathname : null;
    if (snapshotDir) await gateway.heapSnapshot(`${snapshotDir}soak-start.heapsnapshot`);
    const start = breakdown(await gateway.memory());
    log(`nodeFlags ${nodeFlags.join(' ') || '(none)'}; env ${JSON.stringify(extraEnv)}`);
    log(`start: ${line(start)}`);
    await gateway.reset();
    const started = performance.now();
    const step = Math.max(1, Math.floor(documents / 10));
    let next = 0;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= documents) return;
        // Distinct text each time: a new document hash, a new parse, a new plan, a new analysis.
        const body = JSON.stringify({ query: `query Soak${i} { client(clientId: "C-000001") { id name } }` });
        const res = await request(url, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
        await res.body.dump();
        if (res.statusCode !== 200) failed++;
        sent++;
        if (sent % step === 0) {
          const [s, m] = [await gateway.stats(), await gateway.memory()];
          const elapsedS = Math.round((performance.now() - started) / 100) / 10;
          samples.push({ sent, elapsedS, rssPeakMiB: mib(s.rssPeakBytes), ...breakdown(m) });
          log(`${sent} documents in ${elapsedS} s, RSS peak so far ${mib(s.rssPeakBytes)} MiB; now ${line(samples.at(-1)!)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsedS = (performance.now() - started) / 1000;
    const loadStats = await gateway.stats();
    const peak = mib(loadStats.rssPeakBytes);
    // The gateway's CPU per document: steadier than the rate on a shared machine (the collections are in it).
    const cpuUsPerDocument = Math.round((loadStats.cpuUserUs + loadStats.cpuSystemUs) / documents);
    const end = breakdown(await gateway.memory());
    log(`load done in ${Math.round(elapsedS)} s: peak RSS ${peak} MiB; ${line(end)}; idle ${idleS} s`);
    // Idle, in real time: the caches' idle expiry, the group commit, V8's memory reducer run.
    const idleStarted = performance.now();
    for (let t = 5; t <= idleS; t += 5) {
      await sleep(Math.max(0, idleStarted + t * 1000 - performance.now()));
      idleSamples.push({ idleS: t, ...breakdown(await gateway.memory()) });
      if (t % 15 === 0 || t === idleS) log(`idle ${t} s: ${line(idleSamples.at(-1)!)}`);
    }
    if (idleS % 5) {
      await sleep(Math.max(0, idleStarted + idleS * 1000 - performance.now()));
      idleSamples.push({ idleS, ...breakdown(await gateway.memory()) });
    }
    const idle = idleSamples.at(-1)!;
    let afterFullGc: ReturnType<typeof breakdown> | null = null;
    if (diagnose) {
      await gateway.gc();
      await sleep(1000);
      afterFullGc = breakdown(await gateway.memory());
      log(`diagnose, after a forced full GC: ${line(afterFullGc)}`);
    }
    if (snapshotDir) await gateway.heapSnapshot(`${snapshotDir}soak-idle.heapsnapshot`);
    const growth = peak - start.rss;
    const givenBack = peak - idle.rss;
    const fellBack = growth <= 0 || givenBack / growth >= FELL_BACK_SHARE;
    const result = {
      documents,
      concurrency,
      nodeFlags,
      env: extraEnv,
      failed,
      elapsedS: Math.round(elapsedS),
      rate: Math.round(documents / elapsedS),
      cpuUsPerDocument,
      startRssMiB: start.rss,
      peakRssMiB: peak,
      idleRssMiB: idle.rss,
      idleS,
      ceilingMiB: CEILING_MIB,
      underCeiling: peak < CEILING_MIB,
      fellBack,
      fellBackRule: `idle RSS gave back ≥ ${FELL_BACK_SHARE * 100} % of (peak − start): gave back ${Math.round(givenBack)} of ${Math.round(growth)} MiB`,
      start,
      end,
      samples,
      idleSamples,
      afterFullGc,
      node: process.version,
    };
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL(`./results/soak-${new Date().toISOString().slice(0, 10)}-${documents}.json`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
    console.log(
      `soak (${nodeFlags.join(' ') || 'default heap'}): ${documents} distinct documents in ${result.elapsedS} s (${result.rate}/s, gateway CPU ${cpuUsPerDocument} µs/document, ${failed} not 200): ` +
        `gateway RSS start ${start.rss} MiB, peak ${peak} MiB (ceiling ${CEILING_MIB}: ${result.underCeiling ? 'under' : 'OVER'}), ` +
        `${idle.rss} MiB after ${idleS} s idle (${fellBack ? 'fell back' : 'did NOT fall back'}: ${result.fellBackRule})`,
    );
  } finally {
    await dispatcher.close();
    await gateway.stop();
    await subgraphs.stop();
    await env.dispose();
  }
}

await main();
