/**
 * `npm run bench`: the load benchmark of DSP Gateway against the bare Apollo gateway and the
 * subgraph alone, on loopback, plus micro-figures and a CPU profile of the enforced path.
 * Prints Markdown tables and writes bench/results/<timestamp>.{json,md} (git-ignored).
 * Options: bench/options.ts (`--quick`, `--micro`, `--duration=S`, `--connections=N`, …).
 *
 * Process placement: the servers under test each run in their own forked process (bare gateway,
 * enforced gateway, enforced gateway with logging off, and one process hosting the five
 * subgraphs shared by both gateways); this process generates the load (autocannon) and runs the
 * micro-figures. Where the machine allows (bench/pinning.ts), every gateway variant is pinned to the
 * last CPU and this process and the subgraphs to the others, so only one gateway is busy on its
 * CPU at a time (the idle ones wait on their sockets) and its CPU per request is its own. Every
 * gateway, the bare ones included, runs with the gateway's production Node flags
 * (GATEWAY_NODE_FLAGS: bench/child/children.ts, nodeFlagsFor), the subgraphs with Node's defaults.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../core/config.js';
import { devIssuerJwksPath } from '../core/keys.js';
import { signDevToken } from '../gateway/auth/dev-tokens.js';
import { DEMO_ORGS } from '../registry/demo-register.js';
import { checkAnswers } from './check-answers.js';
import { forkServer, type ServerChild } from './child/children.js';
import type { AssertedIdentity, ChildSpec } from './child/protocol.js';
import { measureFixedRateLatency } from './fixed-rate.js';
import { runLoadPhase, type CellPlan, type Variant } from './load-phase.js';
import { machineInfo } from './machine.js';
import { measureIngestInGatewayRuntime } from './micro/access-log-ingest.js';
import { measureDecisionCache } from './micro/decision-cache.js';
import { measureRateLimitCheck } from './micro/rate-limit.js';
import { measureRequestSigning } from './micro/request-signing.js';
import { measureSuspensionPropagation } from './micro/suspension-propagation.js';
import { measureTokenVerification } from './micro/token-verification.js';
import { measureTrustedDocuments } from './micro/trusted-documents.js';
import { measureDpopVerification } from './micro/dpop-verification.js';
import { parseOptions } from './options.js';
import { choosePlacement, pin } from './pinning.js';
import { profileEnforcedGateway } from './profile.js';
import { dpopFigures, headlines, loggingFigures, renderMarkdown, type BenchReport } from './report.js';
import { DPOP_PRODUCT, enforcedGatewayEnv, LOAD_PRODUCT, prepareEnvironment, SUSPENSION_PRODUCT } from './setup.js';
import { demoProofSigner } from './dpop-proofs.js';
import { ensureDemoDpopKey } from '../core/keys.js';
import { workloads as allWorkloads } from './workloads.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const PLACEMENT =
  'Each server under test in its own forked Node process (bare gateway; enforced gateway; enforced gateway with the access log off; one process hosting the five subgraphs, shared by both gateways). ' +
  'The load generator (autocannon, 50 connections) and the micro-figures run in the benchmark process; idle gateways wait on their sockets. ' +
  "Every gateway runs with the gateway's production Node flags (GATEWAY_NODE_FLAGS); the subgraphs' process with Node's defaults.";

const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  const machine = machineInfo();
  const started = performance.now();
  log(`options ${JSON.stringify(options)}`);
  log(`machine: ${machine.nproc} CPUs, node ${machine.node}, load average ${machine.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')}`);

  const env = await prepareEnvironment();
  const placement = choosePlacement(options.pin);
  pin(process.pid, placement.others);
  log(placement.description);
  const children: ServerChild[] = [];
  const fork = async (name: string, spec: ChildSpec) => {
    const child = await forkServer(name, spec);
    pin(child.pid, spec.role === 'subgraphs' ? placement.others : placement.gateway);
    children.push(child);
    return child;
  };
  const report: BenchReport = { machine, options, placement: `${PLACEMENT} ${placement.description}`, workloads: [], elapsedS: 0, cells: [], headline: [], logging: [], micro: {}, profile: null };

  try {
    const subgraphs = await fork('subgraphs', { role: 'subgraphs', dataDir: env.dataDir, storeUrl: env.storeUrl, hmacKeyBase64: env.hmacKeyBase64 });
    const gatewayEnv = enforcedGatewayEnv(env, subgraphs.urls, devIssuerJwksPath(env.dataDir));
    const config = loadConfig(gatewayEnv);
    const enforcedSpec = (accessLog: 'durable' | 'off'): ChildSpec => ({ role: 'enforced', dataDir: env.dataDir, env: gatewayEnv, accessLog });

    const product = (await env.store.productById(LOAD_PRODUCT))!;
    const identity: AssertedIdentity = { sub: 'bench-user', org: DEMO_ORGS.practitioner, softwareId: LOAD_PRODUCT, softwareVersion: '2.1.0', developerId: product.developerId, tier: product.certification?.tier ?? 'STANDARD' };
    const token = await signDevToken(env.keys.issuer, { product: LOAD_PRODUCT, version: identity.softwareVersion, sub: identity.sub, org: identity.org, ttlS: 3000 }, config);
    const auth = { authorization: `Bearer ${token}` };
    // The DPoP-bound product, same identity otherwise: its token carries cnf.jkt and every request a fresh proof.
    const boundToken = await signDevToken(env.keys.issuer, { product: DPOP_PRODUCT, version: identity.softwareVersion, sub: identity.sub, org: identity.org, ttlS: 3000, jkt: (await ensureDemoDpopKey(env.dataDir)).thumbprint }, config);

    const needLoad = options.load;
    const [bare, bareHttp, enforced, enforcedOff] = await Promise.all([
      needLoad ? fork('bare', { role: 'bare', dataDir: env.dataDir, hmacKeyBase64: env.hmacKeyBase64, subgraphUrls: subgraphs.urls, assertion: identity }) : null,
      needLoad ? fork('bare-http', { role: 'bare', dataDir: env.dataDir, hmacKeyBase64: env.hmacKeyBase64, subgraphUrls: subgraphs.urls, assertion: identity, transport: 'node-http' }) : null,
      needLoad || options.micro ? fork('enforced', enforcedSpec('durable')) : null,
      needLoad ? fork('enforced-log-off', enforcedSpec('off')) : null,
    ]);
    if (enforced) report.gatewayNodeFlags = [...enforced.nodeFlags];
    log(`servers ready: subgraphs pid ${subgraphs.pid}${bare ? `, bare pid ${bare.pid}` : ''}${enforced ? `, enforced pid ${enforced.pid}` : ''}${enforcedOff ? `, enforced-log-off pid ${enforcedOff.pid}` : ''}`);

    const all = allWorkloads();
    const chosen = options.workloads.map((w) => all[w]);
    report.workloads = chosen.map(({ name, title, query }) => ({ name, title, query }));

    if (needLoad && bare && bareHttp && enforced && enforcedOff) {
      // No "subgraph alone" floor: a subgraph accepts each signed request once (core/request-signature.ts),
      // and a load generator repeats fixed headers.
      const v = {
        bare: { name: 'bare', url: bare.urls.graphql!, headers: {}, server: bare },
        bareHttp: { name: 'bare-http', url: bareHttp.urls.graphql!, headers: {}, server: bareHttp },
        enforced: { name: 'enforced', url: enforced.urls.graphql!, headers: auth, server: enforced },
        off: { name: 'enforced-log-off', url: enforcedOff.urls.graphql!, headers: auth, server: enforcedOff },
        // The gateway's default PUBLIC_URL is http://localhost:<port>/graphql: the proofs' htu.
        dpop: { name: 'enforced-dpop', url: enforced.urls.graphql!, headers: { authorization: `DPoP ${boundToken}` }, perRequestHeaders: dpopHeaders(enforced.urls.graphql!, boundToken, env.dataDir), server: enforced },
      } satisfies Record<string, Variant>;
      const variantsOf: Record<string, Variant[]> = { one: [v.bare, v.bareHttp, v.enforced, v.dpop, v.off], three: [v.bare, v.bareHttp, v.enforced, v.dpop, v.off], many: [v.bare, v.bareHttp, v.enforced] };
      const cells: CellPlan[] = chosen.map((workload) => ({ workload, variants: variantsOf[workload.name]! }));
      for (const c of cells) await checkAnswers(c.workload, c.variants);
      log('answers checked: every variant returns the same data without errors');
      report.cells = await runLoadPhase({ cells, subgraphs, connections: options.connections, durationS: options.durationS, warmupS: options.warmupS, rounds: options.rounds, onProgress: log });
      report.headline = headlines(report.cells);
      report.headlineSameTransport = headlines(report.cells, 'bare-http');
      report.logging = loggingFigures(report.cells);
      report.dpop = dpopFigures(report.cells);
      report.fixedRate = [];
      for (const h of report.headlineSameTransport.filter((x) => x.workload === 'one' || x.workload === 'three')) {
        const workload = chosen.find((w) => w.name === h.workload)!;
        // The issue's steady 200 req/s, unless that is more than half of either variant's saturated
        // throughput: both keep headroom, so queues stay short.
        const rate = Math.max(10, Math.round(Math.min(200, h.bareRps * 0.5, h.enforcedRps * 0.5)));
        report.fixedRate.push(
          await measureFixedRateLatency({ workload: h.workload, bodies: workload.bodies, bare: v.bareHttp, enforced: v.enforced, logOff: v.off, rate, connections: options.connections, durationS: options.durationS, rounds: options.rounds, onProgress: log }),
        );
      }
      await Promise.all([bare.stop(), bareHttp.stop(), enforcedOff.stop()]);
    }

    if (options.micro) {
      const budget = options.quick ? 300 : 1000;
      log('micro: access-log ingest');
      // On this process's own CPU (the load generator's), and on every CPU, as a gateway runs: its
      // event loop and its SQLite write thread each on a core. The gateways under test are idle now.
      // (machine.nproc was read before this process was pinned: availableParallelism follows the pinning.)
      const everyCpu = `0-${machine.nproc - 1}`;
      // (placement.others is null when nothing is pinned, one CPU among the reasons: bench/pinning.ts.)
      // In a process of its own with the gateway's Node flags (measureIngestInGatewayRuntime).
      const placements = placement.others === null
        ? [{ cpus: 'unpinned', cpuList: null }]
        : [
            { cpus: `CPU ${placement.others}`, cpuList: placement.others },
            { cpus: `CPUs ${everyCpu}`, cpuList: everyCpu },
          ];
      report.micro.ingest = await measureIngestInGatewayRuntime({ dir: env.dataDir, hmacKeyBase64: env.hmacKeyBase64, durationMs: options.quick ? 1000 : 2000, rounds: options.rounds, placements }, log);
      log('micro: token verification');
      report.micro.token = await measureTokenVerification({ keys: env.keys, budgetMs: budget });
      log('micro: DPoP proof verification');
      report.micro.dpop = await measureDpopVerification({ key: await ensureDemoDpopKey(env.dataDir), dir: env.dataDir, budgetMs: budget });
      log('micro: subgraph request signing');
      report.micro.requestSigning = measureRequestSigning({ budgetMs: budget });
      log('micro: trusted documents');
      report.micro.trustedDocuments = measureTrustedDocuments({ budgetMs: budget });
      log('micro: decision cache');
      report.micro.decision = await measureDecisionCache({ store: env.store, keys: env.keys, workloads: chosen, budgetMs: budget / 2 });
      log('micro: rate-limit check');
      report.micro.rateLimit = await measureRateLimitCheck({ dir: env.dataDir, budgetMs: budget });
      log(`micro: suspension propagation, ${options.trials} trials`);
      const suspensionToken = await signDevToken(env.keys.issuer, { product: SUSPENSION_PRODUCT, org: DEMO_ORGS.practitioner, ttlS: 3000 }, config);
      report.micro.suspension = await measureSuspensionPropagation({ store: env.store, url: enforced!.urls.graphql!, token: suspensionToken, productId: SUSPENSION_PRODUCT, trials: options.trials });
    }
    await enforced?.stop();

    if (options.profile) {
      const workload = all.three;
      log(`profile: enforced gateway under the ${workload.name} workload, ${options.durationS} s`);
      const run = await profileEnforcedGateway({
        spec: enforcedSpec('durable'),
        outDir: join(RESULTS_DIR, 'profiles'),
        name: `enforced-${machine.date.replace(/[:.]/g, '-')}`,
        bodies: workload.bodies,
        headers: auth,
        connections: options.connections,
        warmupS: options.warmupS,
        durationS: options.durationS,
      });
      report.profile = { ...run, workload: workload.name };
    }
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    await env.dispose();
  }

  report.elapsedS = (performance.now() - started) / 1000;
  const markdown = renderMarkdown(report);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  writeFileSync(join(RESULTS_DIR, `${stamp}.json`), JSON.stringify(report, null, 2));
  writeFileSync(join(RESULTS_DIR, `${stamp}.md`), `${markdown}\n`);
  process.stdout.write(`${markdown}\n\n`);
  log(`wrote bench/results/${stamp}.json and .md in ${(report.elapsedS / 60).toFixed(1)} min`);
}

/** A fresh DPoP header per request for the enforced gateway at `url` (its htu: localhost and the same port and path). */
function dpopHeaders(url: string, token: string, dataDir: string): () => Record<string, string> {
  const u = new URL(url);
  const sign = demoProofSigner(dataDir, `http://localhost:${u.port}${u.pathname}`, token);
  return () => ({ dpop: sign('POST') });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
