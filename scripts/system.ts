/**
 * The whole system in one process: store, keys, demo register, five subgraphs and the gateway.
 * `npm start` uses it with the default ports; integration tests use it with port 0.
 */
import type { JWK } from 'jose';
import type { Config, DeepPartial } from '../core/config.js';
import { loadConfig } from '../core/config.js';
import { ensureDemoDpopKey, keysFor, subgraphKeysOf, type DemoDpopKey, type KeyMaterial } from '../core/keys.js';
import { createLogger, type Logger } from '../core/logger.js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../gateway/server.js';
import { createStore } from '../store/index.js';
import type { Store } from '../store/port.js';
import { seedDemoRegister } from '../store/seed.js';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTracing } from '../core/tracing.js';
import { DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES, startSubgraph, subgraphNeedsStore, type SubgraphName } from '../subgraphs/catalog.js';
import type { RunningServer } from '../subgraphs/shared/server.js';

export interface SystemOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: DeepPartial<Config>;
  /** Use port 0 for every server (tests). Default false: 4000–4005. */
  ephemeralPorts?: boolean;
  now?: () => number;
  logger?: Logger;
  /** Seed the demo register when empty (and create the demo DPoP key it binds). Default: outside production only, as gateway/main.ts. */
  seed?: boolean;
  /** A store to use instead of creating one from config.storeUrl (tests wrap stores to inject faults). */
  store?: Store;
  issuerJwks?: { keys: JWK[] };
  onRecordsCommitted?: GatewayOptions['onRecordsCommitted'];
  /** Turns tracing on with this exporter (tests: the SDK's InMemorySpanExporter), whatever the configuration says. */
  spanExporter?: SpanExporter;
}

export interface RunningSystem {
  config: Readonly<Config>;
  store: Store;
  keys: KeyMaterial;
  /** The demo DPoP key PRD-ENHANCED is bound to (null when the demo register is not seeded). */
  demoDpopKey: DemoDpopKey | null;
  gateway: RunningGateway;
  subgraphs: Record<SubgraphName, RunningServer>;
  logger: Logger;
  /** Stops the gateway first (drains requests, flushes the access log), then subgraphs, then the store. */
  close(): Promise<void>;
}

export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const base = loadConfig(options.env ?? process.env, options.overrides ?? {});
  const logger = options.logger ?? createLogger({ level: base.logLevel, name: 'dsp' });
  const keys = await keysFor(base);
  const store = options.store ?? (await createStore(base.storeUrl, { sqliteSync: base.audit.sqliteSync, retentionDays: base.audit.retentionDays, ...(options.now ? { now: options.now } : {}) }));
  // Never demo products in a production register unless asked for (a test of production's endpoints).
  const demoDpopKey = (options.seed ?? base.env !== 'production') ? await ensureDemoDpopKey(base.dataDir) : null;
  if (demoDpopKey) await seedDemoRegister(store, new Date(), { dpopThumbprints: [demoDpopKey.thumbprint] });
  const tracing = startTracing({ serviceName: base.tracing.serviceName, otlpEndpoint: base.tracing.otlpEndpoint, ...(options.spanExporter ? { exporter: options.spanExporter } : {}) });
  const tracer = tracing?.tracer ?? null;

  const subgraphs = {} as Record<SubgraphName, RunningServer>;
  const deps = { keys: subgraphKeysOf(keys), host: '127.0.0.1', logger, tracer, ...(options.now ? { now: options.now } : {}) };
  for (const name of SUBGRAPH_NAMES) {
    // SUBGRAPH_PORT_BASE moves the five ports together (clients first); 0 takes any free ports.
    const offset = DEFAULT_SUBGRAPH_PORTS[name] - DEFAULT_SUBGRAPH_PORTS.clients;
    const port = options.ephemeralPorts || base.subgraphPortBase === 0 ? 0 : base.subgraphPortBase + offset;
    subgraphs[name] = await startSubgraph(name, { ...deps, store: subgraphNeedsStore(name) ? store : null, port });
  }
  const urls = Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphs[n].url]));
  const config = loadConfig(options.env ?? process.env, {
    ...(options.overrides ?? {}),
    subgraphs: urls as unknown as Config['subgraphs'],
    ...(options.ephemeralPorts ? { port: 0 } : {}),
  });
  const gateway = await startGateway({
    config,
    store,
    keys,
    logger,
    tracer,
    ...(options.now ? { now: options.now } : {}),
    ...(options.issuerJwks ? { issuerJwks: options.issuerJwks } : {}),
    ...(options.onRecordsCommitted ? { onRecordsCommitted: options.onRecordsCommitted } : {}),
  });
  return {
    config,
    store,
    keys,
    demoDpopKey,
    gateway,
    subgraphs,
    logger,
    async close() {
      await gateway.close();
      await Promise.all(Object.values(subgraphs).map((s) => s.close()));
      if (!options.store) await store.close();
      await tracing?.shutdown();
    },
  };
}
