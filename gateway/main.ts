/** Starts the gateway alone (for real deployments; `npm start` runs everything in one process). */
import { ConfigError, loadConfig } from '../core/config.js';
import { ensureDemoDpopKey, keysFor } from '../core/keys.js';
import { createLogger } from '../core/logger.js';
import { createStore } from '../store/index.js';
import { seedDemoRegister } from '../store/seed.js';
import { orExitOnMistake, terminationSignals } from '../core/shutdown.js';
import { startTracing } from '../core/tracing.js';
import { DuplicateInstanceError } from './access-log/writer.js';
import { startGateway } from './server.js';

const config = await orExitOnMistake(() => loadConfig(), (err) => err instanceof ConfigError);
const logger = createLogger({ level: config.logLevel, name: 'gateway' });
// Before anything is written: a signal during start-up waits for the start, then drains.
const signals = terminationSignals(logger);
// A key file that cannot be read or is not a key: the operator's to fix, said in one line. No
// development issuer key in production, where it is never trusted.
const keys = await orExitOnMistake(() => keysFor(config));
const store = await createStore(config.storeUrl, { sqliteSync: config.audit.sqliteSync, retentionDays: config.audit.retentionDays });
if (config.env !== 'production') await seedDemoRegister(store, new Date(), { dpopThumbprints: [(await ensureDemoDpopKey(config.dataDir)).thumbprint] });
const tracing = startTracing({ serviceName: config.tracing.serviceName, otlpEndpoint: config.tracing.otlpEndpoint });
// Another gateway writing with this INSTANCE_ID (access-log/writer.ts): the operator's to fix, said in one line.
const gateway = await orExitOnMistake(() => startGateway({ config, store, keys, logger, tracer: tracing?.tracer ?? null }), (err) => err instanceof DuplicateInstanceError);

signals.ready(async () => {
  await gateway.close();
  await store.close();
  await tracing?.shutdown();
});
