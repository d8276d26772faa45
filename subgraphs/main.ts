/**
 * Starts ONE subgraph (for real deployments): `npm run start:subgraph -- clients`.
 * Port: SUBGRAPH_PORT, else the default of that subgraph (4001–4005).
 */
import { ConfigError, loadConfig, wholeNumberOf } from '../core/config.js';
import { keySecretsOf, loadSubgraphKeys } from '../core/keys.js';
import { createLogger } from '../core/logger.js';
import { drainOnTerminationSignals, orExitOnMistake } from '../core/shutdown.js';
import { startTracing } from '../core/tracing.js';
import { createStore } from '../store/index.js';
import { DEFAULT_SUBGRAPH_PORTS, SUBGRAPH_NAMES, startSubgraph, subgraphNeedsStore, type SubgraphName } from './catalog.js';

const name = (process.argv[2] ?? process.env.SUBGRAPH) as SubgraphName | undefined;
if (!name || !SUBGRAPH_NAMES.includes(name)) {
  console.error(`usage: npm run start:subgraph -- <${SUBGRAPH_NAMES.join('|')}>`);
  process.exit(2);
}
const portText = process.env.SUBGRAPH_PORT;
const port = portText ? wholeNumberOf(portText) : DEFAULT_SUBGRAPH_PORTS[name];
if (port === undefined || port < 0 || port > 65535) {
  console.error(`SUBGRAPH_PORT: must be a port number 0–65535, got ${JSON.stringify(portText)}`);
  process.exit(2);
}
const config = await orExitOnMistake(() => loadConfig(process.env, {}, { role: 'subgraph', subgraph: name }), (err) => err instanceof ConfigError);
const logger = createLogger({ level: config.logLevel, name: `subgraph-${name}` });
// The gateway's public key set and the MAC key only: a subgraph never holds the gateway's private
// key, and only the registry and audit subgraphs open the store.
const keys = await orExitOnMistake(() => loadSubgraphKeys(config.dataDir, { ...keySecretsOf(config), gatewayJwksFile: config.auth.gatewayJwksFile }, { auditKey: name === 'audit' }));
const store = subgraphNeedsStore(name) ? await createStore(config.storeUrl, { sqliteSync: config.audit.sqliteSync, retentionDays: config.audit.retentionDays }) : null;
const tracing = startTracing({ serviceName: `${config.tracing.serviceName}-${name}`, otlpEndpoint: config.tracing.otlpEndpoint });
const running = await startSubgraph(name, { store, keys, host: config.host, port, logger, tracer: tracing?.tracer ?? null });
logger.info({ url: running.url }, `${name} subgraph listening`);

drainOnTerminationSignals(async () => {
  await running.close();
  await store?.close();
  await tracing?.shutdown();
}, logger);
