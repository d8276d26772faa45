/**
 * Memory soak (issue 18): N distinct documents (default 100 000) through the enforced gateway,
 * in its own process with the durable access log, 20 in flight. Reports the gateway's RSS every
 * tenth of the run, its peak, and its RSS after the soak once idle, against the ceiling the
 * README states (400 MiB). Every cache on the request path is bounded in bytes (README
 * "Configuration"), so RSS must plateau however many documents arrive.
 *
 *   npm run bench:soak [-- --documents 100000 --concurrency 20]
 * Results: bench/results/soak-<date>.json and a line on stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { loadConfig } from '../core/config.js';
import { devIssuerJwksPath } from '../core/keys.js';
import { signDevToken } from '../gateway/auth/dev-tokens.js';
import { forkServer } from './child/children.js';
import { enforcedGatewayEnv, LOAD_PRODUCT, prepareEnvironment } from './setup.js';

const MIB = 1_048_576;
const CEILING_MIB = 400;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
}

const log = (line: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  const documents = arg('documents', 100_000);
  const concurrency = arg('concurrency', 20);
  // The V8 old-space bound the gateway runs with (what NODE_OPTIONS gives it in deployment); 0: Node's default.
  const heapMiB = process.argv.includes('--heap') ? arg('heap', 0) : 0;
  const env = await prepareEnvironment();
  const subgraphs = await forkServer('subgraphs', { role: 'subgraphs', dataDir: env.dataDir, storeUrl: env.storeUrl, hmacKeyBase64: env.hmacKeyBase64 });
  const gatewayEnv = enforcedGatewayEnv(env, subgraphs.urls, devIssuerJwksPath(env.dataDir));
  const gateway = await forkServer('enforced', { role: 'enforced', dataDir: env.dataDir, env: gatewayEnv, accessLog: 'durable' }, heapMiB ? { nodeFlags: [`--max-old-space-size=${heapMiB}`] } : {});
  const token = await signDevToken(env.keys.issuer, { product: LOAD_PRODUCT, version: '2.1.0', ttlS: 3000 }, loadConfig(gatewayEnv));
  const url = gateway.urls.graphql!;
  const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });
  const samples: Array<{ sent: number; rssPeakMiB: number }> = [];
  let sent = 0;
  let failed = 0;
  const started = performance.now();
  try {
    await gateway.reset();
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
          const s = await gateway.stats();
          samples.push({ sent, rssPeakMiB: Math.round((s.rssPeakBytes / MIB) * 10) / 10 });
          log(`${sent} documents, RSS peak so far ${samples.at(-1)!.rssPeakMiB} MiB`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const elapsedS = (performance.now() - started) / 1000;
    const peak = (await gateway.stats()).rssPeakBytes / MIB;
    // Idle: let the group commit, the TTLs and V8's idle GC run, then read RSS afresh.
    await new Promise((r) => setTimeout(r, 10_000));
    await gateway.reset();
    const idle = (await gateway.stats()).rssPeakBytes / MIB;
    const result = {
      documents,
      concurrency,
      heapMiB: heapMiB || null,
      failed,
      elapsedS: Math.round(elapsedS),
      rate: Math.round(documents / elapsedS),
      samples,
      peakRssMiB: Math.round(peak),
      idleRssMiB: Math.round(idle),
      ceilingMiB: CEILING_MIB,
      underCeiling: peak < CEILING_MIB,
      node: process.version,
    };
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL(`./results/soak-${new Date().toISOString().slice(0, 10)}.json`, import.meta.url), JSON.stringify(result, null, 2));
    console.log(`soak${heapMiB ? ` (--max-old-space-size=${heapMiB})` : ''}: ${documents} distinct documents in ${result.elapsedS} s (${result.rate}/s, ${failed} not 200): gateway RSS peak ${result.peakRssMiB} MiB (ceiling ${CEILING_MIB}: ${result.underCeiling ? 'under' : 'OVER'}), ${result.idleRssMiB} MiB idle after`);
  } finally {
    await dispatcher.close();
    await gateway.stop();
    await subgraphs.stop();
    await env.dispose();
  }
}

await main();
