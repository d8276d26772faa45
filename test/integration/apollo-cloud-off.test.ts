/**
 * Nothing about the gateway's traffic leaves for Apollo's cloud: Apollo Server installs its usage
 * reporting (operation signatures, clients, timings) by itself when APOLLO_KEY and
 * APOLLO_GRAPH_REF are in the environment, and its schema reporting when APOLLO_SCHEMA_REPORTING
 * is true, which a shared platform's environment may set without anyone here deciding it. Both
 * are installed disabled (gateway/server.ts), so those variables change nothing. And
 * @apollo/gateway, unless APOLLO_TELEMETRY_DISABLED is set, builds an OpenTelemetry metrics
 * exporter of its own: it probes the cloud metadata addresses at start and posts to Apollo's
 * usage-reporting endpoint at close and hourly, with the headers of OTEL_EXPORTER_OTLP_HEADERS
 * (the tracing collector's credentials). The gateway forces it off.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { startTestSystem, type TestSystem } from '../helpers/system.js';

const APOLLO_ENV = { APOLLO_KEY: 'service:dsp-test:not-a-real-key', APOLLO_GRAPH_REF: 'dsp-test@current', APOLLO_SCHEMA_REPORTING: 'true' };

describe("Apollo's usage and schema reporting", () => {
  let sys: TestSystem;
  const lines: string[] = [];

  beforeAll(async () => {
    const logger = pino({ level: 'debug' }, new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString('utf8')), done()) }));
    const saved = Object.fromEntries(Object.keys(APOLLO_ENV).map((k) => [k, process.env[k]]));
    Object.assign(process.env, APOLLO_ENV);
    try {
      // The subgraphs too: Apollo's schema reporting refuses to start on a subgraph, so with
      // APOLLO_SCHEMA_REPORTING=true a subgraph that left it to Apollo would not start at all.
      sys = await startTestSystem({}, { logger });
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  afterAll(async () => {
    await sys.close();
  });

  it('stay off with APOLLO_KEY, APOLLO_GRAPH_REF and APOLLO_SCHEMA_REPORTING set, and the gateway serves as ever', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const res = await fetch(sys.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ client(clientId: "C-000001") { id } }' }) });
    expect(res.status).toBe(200);
    // The system did log (its start, at debug): silence here is not a logger that wrote nothing.
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toMatch(/usage report|schema report|studio\.apollographql|graph ref/i);
  });
});

describe("@apollo/gateway's own telemetry", () => {
  it('is off: from start to close the gateway calls no host but the loopback subgraphs', async () => {
    // A value left in this worker's environment must not hide a gateway that no longer sets it.
    delete process.env.APOLLO_TELEMETRY_DISABLED;
    const hosts: string[] = [];
    const onHttp = (m: unknown) => void hosts.push(String((m as { request: ClientRequest }).request.host));
    const onUndici = (m: unknown) => void hosts.push(new URL((m as { request: { origin: string } }).request.origin).hostname);
    subscribe('http.client.request.start', onHttp);
    subscribe('undici:request:create', onUndici);
    try {
      const sys = await startTestSystem();
      try {
        const token = await sys.token({ product: 'PRD-CERTIFIED' });
        const res = await fetch(sys.gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ client(clientId: "C-000001") { id } }' }) });
        expect(res.status).toBe(200);
      } finally {
        await sys.close();
      }
    } finally {
      unsubscribe('http.client.request.start', onHttp);
      unsubscribe('undici:request:create', onUndici);
    }
    // The request itself went out (to the subgraphs): the probe saw calls.
    expect(hosts.length).toBeGreaterThan(0);
    expect([...new Set(hosts)].filter((h) => h !== '127.0.0.1' && h !== 'localhost' && h !== '::1')).toEqual([]);
    expect(process.env.APOLLO_TELEMETRY_DISABLED).toBe('true');
  });
});
