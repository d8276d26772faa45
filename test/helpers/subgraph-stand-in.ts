/**
 * A second gateway of a test system whose subgraphs are (some of them) stand-ins the test runs:
 * a recording proxy in front of a real subgraph, or a fake answering what the test says.
 */
import { request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import type { TestSystem } from './system.js';

/** Sends a POST with exactly these headers and body (hop-by-hop headers dropped); the answer's status and text. */
export function forwardPost(url: string, headers: IncomingHttpHeaders, body: Buffer): Promise<{ status: number; body: string }> {
  const { host: _h, connection: _c, 'content-length': _l, ...rest } = headers;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { ...rest, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Listens on an ephemeral loopback port; the server's /graphql URL. */
export async function listenOnLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

/** What a stand-in test may give the gateway beside its subgraphs: a clock, a logger to read, a hook for the records it commits. */
export type GatewayExtras = Pick<Parameters<typeof startGateway>[0], 'now' | 'logger' | 'onRecordsCommitted'>;

/** A gateway on the system's store and keys, its subgraphs the system's but for `subgraphs`. */
export function startGatewayOn(sys: TestSystem, subgraphs: Partial<Config['subgraphs']>, instanceId: string, extras: GatewayExtras = {}): Promise<RunningGateway> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { dataDir: sys.dataDir, port: 0, instanceId, audit: { sqliteSync: 'normal' }, subgraphs: { ...sys.config.subgraphs, ...subgraphs } as Config['subgraphs'] });
  return startGateway({ config, store: sys.store, keys: sys.keys, logger: createLogger({ level: 'silent', name: instanceId }), ...extras });
}

/** Closes a stand-in subgraph, its kept-alive connections first. */
export async function closeStandIn(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}
