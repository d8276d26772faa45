/**
 * Nothing about the gateway's traffic leaves for Apollo's cloud: Apollo Server installs its usage
 * reporting (operation signatures, clients, timings) by itself when APOLLO_KEY and
 * APOLLO_GRAPH_REF are in the environment, and its schema reporting when APOLLO_SCHEMA_REPORTING
 * is true, which a shared platform's environment may set without anyone here deciding it. Both
 * are installed disabled (gateway/server.ts), so those variables change nothing.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../core/config.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const APOLLO_ENV = { APOLLO_KEY: 'service:dsp-test:not-a-real-key', APOLLO_GRAPH_REF: 'dsp-test@current', APOLLO_SCHEMA_REPORTING: 'true' };

describe("Apollo's usage and schema reporting", () => {
  let sys: TestSystem;
  let gateway: RunningGateway;
  const lines: string[] = [];

  beforeAll(async () => {
    sys = await startTestSystem();
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString('utf8')), done()) }));
    const saved = Object.fromEntries(Object.keys(APOLLO_ENV).map((k) => [k, process.env[k]]));
    Object.assign(process.env, APOLLO_ENV);
    try {
      const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }, { dataDir: sys.dataDir, port: 0, instanceId: 'apollo-env-gw', audit: { sqliteSync: 'normal' }, subgraphs: sys.config.subgraphs });
      gateway = await startGateway({ config, store: sys.store, keys: sys.keys, logger });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(async () => {
    await gateway.close();
    await sys.close();
  });

  it('stay off with APOLLO_KEY, APOLLO_GRAPH_REF and APOLLO_SCHEMA_REPORTING set, and the gateway serves as ever', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ client(clientId: "C-000001") { id } }' }) });
    expect(res.status).toBe(200);
    // The gateway did log (its start, at debug): silence here is not a logger that wrote nothing.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toMatch(/usage report|schema report|studio\.apollographql|graph ref/i);
  });
});
