/**
 * Assembles the gateway: keys and store in, an HTTP server out. Per-server setup (Apollo,
 * supergraph, requirement map, limiters, caches, writer) happens here once; the request path
 * (gateway/http/graphql-handler.ts) only reads what this built.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloGateway } from '@apollo/gateway';
import type { Tracer } from '@opentelemetry/api';
import type { JWK } from 'jose';
import { createAssertionSigner } from '../core/assertion.js';
import { MIB } from '../core/approximate-size.js';
import { createDocumentStore } from './apollo/document-store.js';
import { internSchemaNames } from './apollo/schema-names.js';
import { createQueryPlanStore } from './apollo/query-plan-store.js';
import { createCacheSweeper } from '../core/idle-expiry.js';
import { operationsDenial } from '../core/roles.js';
import { createStaffRead } from './http/staff-read.js';
import { createRequestSigner } from '../core/request-signature.js';
import type { Config } from '../core/config.js';
import { closeServer, listen } from '../core/http.js';
import type { KeyMaterial } from '../core/keys.js';
import { apolloLoggerOf, createLogger, type Logger } from '../core/logger.js';
import type { Store } from '../store/port.js';
import { createAuthenticator } from './auth/authenticator.js';
import { createDpopVerifier, createStoreReplayCache } from './auth/dpop.js';
import { createAccessLogWriter, type AccessLogWriter } from './access-log/writer.js';
import { createDecisionCache, type DecisionCache } from '../authorisation/decision-cache.js';
import { DEFAULT_MAX_WALK_VISITS } from '../authorisation/operation-analysis.js';
import { createFilteringGateway } from './apollo/filtering-gateway.js';
import { coerceVariablesOnce } from './apollo/coerce-once.js';
import { knownRootTypesRule } from './apollo/known-root-types.js';
import { reservedAliasesRule, reservedVariablesRule } from './apollo/reserved-variables.js';
import { operationLimitRules, parseOptions } from '../limits/operation-limits/index.js';
import { createEnforcementPlugin } from './apollo/enforcement-plugin.js';
import { introspectionPolicyOf } from '../authorisation/introspection.js';
import { createRateLimits } from '../limits/rate-limit.js';
import { createFormatError } from './apollo/format-error.js';
import { createGatewayServer } from './routes.js';
import { createAuditExport } from './access-log/export.js';
import { createGraphQLHandler } from './pipeline.js';
import { createClientIpResolver } from './http/client-ip.js';
import { createReadiness } from './http/readiness.js';
import { createRegistrySnapshot, type RegistrySnapshot } from './registry-snapshot.js';
import { createDashboard, createMetrics, createMetricsEndpoint, createMonitor, type Metrics, type Monitor } from '../monitoring/index.js';
import { createProtectiveSuspension } from '../monitoring/protective-suspension.js';
import type { GatewayContext } from './apollo/context.js';
import { createConsole } from '../console/index.js';
import { createConsoleRecorder } from '../console/access-record.js';
import { signDevToken } from './auth/dev-tokens.js';
import { AssertingDataSource } from './subgraphs/data-source.js';
import type { ChainedAccessRecord } from '../audit/record.js';
import { chainKeyOf } from '../audit/chain.js';

export const SUPERGRAPH_PATH = fileURLToPath(new URL('../schema/supergraph.graphql', import.meta.url));

export interface GatewayOptions {
  config: Readonly<Config>;
  store: Store;
  keys: KeyMaterial;
  logger?: Logger;
  /** Clock (ms). Default Date.now. */
  now?: () => number;
  /** Supergraph SDL. Default: schema/supergraph.graphql. */
  supergraphSdl?: string;
  /** Issuer keys to trust when neither JWKS_FILE nor JWKS_URL is set. Default: the development issuer's. */
  issuerJwks?: { keys: JWK[] };
  /** Called with every committed batch of access records (monitoring, metrics). */
  onRecordsCommitted?: (records: ChainedAccessRecord[], commitMs: number) => void;
  /**
   * The access-log writer to use instead of the durable one built from config (the benchmark's
   * logging-off figure). startGateway starts it and closes it. Default: createAccessLogWriter on `store`.
   */
  accessLogWriter?: AccessLogWriter;
  /** Tracing on (core/tracing.ts): spans per request, stage, field authorisation and access-log commit. */
  tracer?: Tracer | null;
  /** How long close() lets requests in flight finish before it cuts their connections, ms. Default 10 000. */
  shutdownGraceMs?: number;
}

export interface RunningGateway {
  url: string;
  /** The /graphql URL as clients call it: what a DPoP proof's `htu` must be (config `publicUrl`, else http://localhost:<port>/graphql). */
  publicUrl: string;
  port: number;
  server: Server;
  snapshot: RegistrySnapshot;
  writer: AccessLogWriter;
  decisionCache: DecisionCache;
  monitor: Monitor;
  metrics: Metrics;
  chainId: string;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, store, keys } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'gateway' });

  const snapshot = createRegistrySnapshot({ store, pollMs: config.registry.pollMs, stalenessMs: config.registry.stalenessMs, now, logger });
  await snapshot.start();

  const authenticator = createAuthenticator({ auth: config.auth, jwks: options.issuerJwks ?? keys.issuer?.publicJwks, now, cacheIdleMs: config.enforcement.cacheIdleS * 1000 });
  // DPoP proofs (RFC 9449); seen jti values are shared through the store, so every instance refuses a replay.
  const dpop = createDpopVerifier({
    algorithms: config.auth.dpopAlgorithms,
    windowS: config.auth.dpopProofWindowS,
    replay: createStoreReplayCache({ createStoreLimiter: (spec) => store.createRateLimiter(spec), proofWindowS: config.auth.dpopProofWindowS }),
    now,
    keyIdle: { idleMs: config.enforcement.cacheIdleS * 1000 },
  });
  // Known once the port is bound (port 0 in tests); requests only arrive after that.
  let publicUrl = config.publicUrl ?? `http://localhost:${config.port}/graphql`;
  // No injected clock for the leases: a lease's window is the store limiter's, counted by
  // rate-limiter-flexible on Date.now (on SQLite's write thread that follows an injected clock,
  // store/sqlite/write-thread/worker.ts; MongoDB's does not). Small quotas are exact, not leased.
  const rateLimits = createRateLimits({ config: config.rateLimits, createStoreLimiter: (spec) => store.createRateLimiter(spec), logger });

  // Monitoring reads committed records in-process; metrics read live gauges lazily.
  let writerRef: AccessLogWriter | null = null;
  const monitor = createMonitor({
    store,
    config: config.monitoring,
    now,
    logger,
    suspendProduct: createProtectiveSuspension({ store, now, logger, onSuspended: () => void snapshot.refresh() }),
  });
  const metrics = createMetrics({
    knownProduct: (id) => snapshot.product(id) !== undefined,
    sources: { bufferDepth: () => writerRef?.depth() ?? 0, snapshotAgeSeconds: () => snapshot.ageMs() / 1000, alertsOpen: () => monitor.openAlerts().length },
  });
  const onCommit = (records: ChainedAccessRecord[], commitMs: number): void => {
    monitor.observe(records);
    metrics.observeBatch(records, commitMs);
    options.onRecordsCommitted?.(records, commitMs);
  };

  const chainId = `${config.instanceId}:${now()}`;
  const writer = options.accessLogWriter ?? createAccessLogWriter({
    store,
    chainId,
    instanceId: config.instanceId,
    signingKey: keys.gateway,
    batchWindowMs: config.audit.batchWindowMs,
    adoptLegacyChains: config.audit.adoptLegacyChains,
    gatherTurns: config.audit.gatherTurns,
    bufferMax: config.audit.bufferMax,
    checkpointIntervalMs: config.audit.checkpointIntervalMs,
    checkpointEvery: config.audit.checkpointEvery,
    chainKey: chainKeyOf(keys.hmacKey),
    retryMaxMs: config.audit.retryMaxMs,
    now,
    logger,
    onCommit,
  });
  writerRef = writer;
  await writer.start();

  /** Set by close() once the grace is over: no subgraph fetch starts after it. */
  let fetchesStopped = false;
  const signer = createAssertionSigner({ privateKey: keys.gateway.privateKey, kid: keys.gateway.kid, ttlS: config.enforcement.assertionTtlS, now });
  const requestSigner = createRequestSigner({ key: keys.subgraphMacKey, now });
  const subgraphUrls = config.subgraphs as Record<string, string>;
  // The caches on the request path: bounded in approximate bytes, and an entry unused for
  // CACHE_IDLE_S is purged by the sweeper below, so memory is given back when traffic stops.
  const idle = { idleMs: config.enforcement.cacheIdleS * 1000 };
  const queryPlanStore = createQueryPlanStore(config.enforcement.queryPlanCacheMiB * MIB, idle);
  const documentStore = createDocumentStore(config.enforcement.documentCacheMiB * MIB, idle);
  // @apollo/gateway builds an OpenTelemetry metrics exporter of its own unless this is set: it
  // probes the cloud metadata addresses at start and posts to Apollo's usage-reporting endpoint
  // at close and hourly, with OTEL_EXPORTER_OTLP_HEADERS (the tracing collector's credentials).
  // Forced, not defaulted: nothing about this gateway leaves for Apollo's cloud.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const supergraphSdl = options.supergraphSdl ?? readFileSync(SUPERGRAPH_PATH, 'utf8');
  // Before @apollo/gateway parses the schema: its names stay one-byte strings (schema-names.ts).
  const releaseSchemaNames = internSchemaNames(supergraphSdl);
  const apolloGateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => new AssertingDataSource({ name, url: subgraphUrls[name] ?? url!, signer, requestSigner, timeoutMs: config.subgraphTimeoutMs, stopping: () => fetchesStopped, logger, schema: () => gateway.current()?.apiSchema ?? null }),
    logger: apolloLoggerOf(logger),
    // Apollo's own spans (plan, fetch, execute) join the request's trace when tracing is on; the
    // document text is never put on a span (it may hold a literal TFN).
    telemetry: { includeDocument: false, recordExceptions: false },
    // Ours: bounded in approximate heap bytes like every cache on the request path (Apollo's own
    // counts JSON length, 30 MiB by default), with idle expiry.
    queryPlannerConfig: { cache: queryPlanStore },
    // @apollo/gateway answers an `Apollo-Query-Plan-Experimental` request header with the query
    // plan (which subgraph serves which field, the subgraph operations) whenever NODE_ENV is not
    // `production`: the internal topology, to any caller (review s19b F1). Never.
    __exposeQueryPlanExperimental: false,
  });
  // The enforcement plugin coerces each request's variables; the gateway does not repeat it.
  coerceVariablesOnce(apolloGateway);
  const gateway = createFilteringGateway(apolloGateway);
  // Each field an admitted operation selects costs at least 1: a cost limit raised past the walk's
  // default budget raises the budget with it, so no operation the limits admit is refused by it.
  const decisionCache = createDecisionCache(config.enforcement.decisionCacheSize, config.enforcement.decisionCacheMiB * MIB, idle, Math.max(DEFAULT_MAX_WALK_VISITS, 4 * config.operationLimits.maxCost));
  // Swept every quarter of the idle time (1–30 s); at most one forced collection per idle time.
  const sweeper = createCacheSweeper({ caches: [queryPlanStore, documentStore, decisionCache, authenticator, dpop], intervalMs: Math.min(30_000, Math.max(1_000, idle.idleMs / 4)), minCollectIntervalMs: idle.idleMs });
  const limits = config.operationLimits;
  const introspection = introspectionPolicyOf(config);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    plugins: [
      createEnforcementPlugin({ gateway, cache: decisionCache, fieldDenial: config.enforcement.fieldDenial, operationLimits: limits, tracer: options.tracer ?? null, introspection }),
      // No cache policy is computed (every answer is no-store: gateway/routes.ts), and the gateway
      // is no subgraph, so it never answers with a trace; each plugin Apollo would otherwise
      // install is called on every request (a dozen promises between them).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      // A browser's GET gets no Apollo landing page (HTML that loads Apollo's scripts from their
      // CDN and names the server's software): it is answered as any GET without a query.
      ApolloServerPluginLandingPageDisabled(),
      // Nothing about the traffic leaves for Apollo's cloud, whatever APOLLO_KEY, APOLLO_GRAPH_REF
      // or APOLLO_SCHEMA_REPORTING a platform's environment holds (Apollo would report by itself).
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
    ],
    // Off only where nobody may introspect: Apollo's rule is a validation rule, skipped for cached
    // documents, so a per-caller allowance (staff outside production) is decided by our plugin instead.
    introspection: introspection !== 'nobody',
    // No "Did you mean …?" leaves the gateway: formatError strips it from every error's message
    // (withoutSuggestions), validation errors included, so Apollo's own switch for it
    // (hideSchemaDetailsFromClientErrors, a plugin with three hooks on every request) is not needed.
    hideSchemaDetailsFromClientErrors: false,
    validationRules: [knownRootTypesRule, reservedVariablesRule, reservedAliasesRule, ...operationLimitRules(limits)],
    parseOptions: parseOptions(limits),
    persistedQueries: false,
    documentStore,
    // Our process drains on SIGTERM (core/shutdown.ts); Apollo's own handler would stop the server
    // and re-send the signal before the drain and the access log's final checkpoint (outside NODE_ENV=test).
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: limits.allowBatchedRequests,
    includeStacktraceInErrorResponses: false,
    formatError: createFormatError(logger, { exposeStack: config.env === 'development' && config.logLevel === 'debug' }),
    logger: apolloLoggerOf(logger),
  });
  try {
    await apollo.start();
  } catch (err) {
    // Refused to start (e.g. an uncovered field): release what was already running.
    sweeper.stop();
    snapshot.stop();
    releaseSchemaNames();
    await writer.flushAndClose().catch(() => {});
    await monitor.close();
    throw err;
  }

  const readiness = createReadiness({ gateway, store, snapshot, writer, subgraphUrls, now, logger });
  const clientIpOf = createClientIpResolver(config.trustedProxies);
  const graphql = createGraphQLHandler({ apollo, authenticator, rateLimits, snapshot, writer, config, gateway, cache: decisionCache, hmacKey: keys.hmacKey, now, logger, newRequestId: randomUUID, clientIpOf, tracer: options.tracer ?? null, dpop, publicUrl: () => publicUrl });
  const dashboard = createDashboard({
    monitor,
    store,
    registry: snapshot,
    // Operations staff only: an ATO admin or auditor token with MFA, as for the alerts query;
    // counted on the staff rate limit and access-logged like any staff request.
    serveData: createStaffRead(
      { authenticator, rateLimits, writer, config, hmacKey: keys.hmacKey, logger, newRequestId: randomUUID, now, clientIpOf },
      // A product token carries no staff roles, so it is refused ROLE_REQUIRED like any token without them.
      { operationName: 'DashboardData', refusedTo: (token) => operationsDenial(token, 'The dashboard') },
    ),
    now,
  });
  // The console's development tools (sign in as, product tokens, the explorer) exist only where the
  // development issuer is what the gateway trusts: never in production, never beside a real JWKS.
  const devIssuer = config.env !== 'production' && !config.auth.jwksFile && !config.auth.jwksUrl && !config.auth.issuerKeys && !options.issuerJwks ? keys.issuer : null;
  const staffConsole = createConsole({
    logger,
    devTools: devIssuer
      ? {
          sign: (o) => signDevToken(devIssuer, o, config),
          authenticate: (header) => authenticator.authenticate(header),
          sessionTtlS: Math.min(3600, config.auth.maxLifetimeS),
          now,
          publicHost: config.publicUrl ? new URL(config.publicUrl).hostname : null,
          record: createConsoleRecorder({ writer, instanceId: config.instanceId, hmacKey: keys.hmacKey, newRequestId: randomUUID, clientIpOf, logger }),
        }
      : null,
  });
  const metricsEndpoint = createMetricsEndpoint({ metrics, bearer: config.monitoring.metricsBearer });
  const auditExport = createAuditExport({ authenticator, rateLimits, writer, store, config, hmacKey: keys.hmacKey, now, logger, newRequestId: randomUUID, clientIpOf });
  const http = createGatewayServer({ graphql, readiness: () => readiness.check(), alive: () => !writer.stats().failed, others: [metricsEndpoint.handle, dashboard.handle, auditExport.handle, staffConsole.handle] }, logger);
  const { server } = http;
  const port = await listen(server, config.port, config.host);
  publicUrl = config.publicUrl ?? `http://localhost:${port}/graphql`;
  const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  logger.info({ port, chainId }, 'gateway listening');

  let closing: Promise<void> | null = null;
  return {
    url: `http://${hostForUrl}:${port}/graphql`,
    publicUrl,
    port,
    server,
    snapshot,
    writer,
    decisionCache,
    monitor,
    metrics,
    chainId,
    close() {
      closing ??= (async () => {
        sweeper.stop();
        http.drain();
        await closeServer(server, options.shutdownGraceMs);
        // Connections still open at the end of the grace were cut, but their handlers run on:
        // their access records are appended before the final checkpoint (review s18b 1). No new
        // subgraph fetch starts from here, so each ends within the subgraph timeout of the fetch
        // it is in (review s18d F1).
        fetchesStopped = true;
        const unfinished = await http.settled(config.subgraphTimeoutMs + 5_000);
        if (unfinished) logger.error({ unfinished }, 'requests still running at shutdown; their access records may be missing');
        await apollo.stop();
        await writer.flushAndClose();
        await monitor.close();
        snapshot.stop();
        releaseSchemaNames();
      })();
      return closing;
    },
  };
}
