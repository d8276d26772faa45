/**
 * A gateway of a test system whose one subgraph is a stand-in answering what the test says (raw
 * text or JSON, any status and content type), with the gateway's log lines and the access
 * records it commits (a record is committed before its answer is released, so `ask` finds it).
 */
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { ChainedAccessRecord } from '../../audit/record.js';
import type { DevTokenOptions } from '../../gateway/auth/dev-tokens.js';
import type { RunningGateway } from '../../gateway/server.js';
import type { TestSystem } from './system.js';
import { closeStandIn, listenOnLoopback, startGatewayOn } from './subgraph-stand-in.js';

export interface Asked {
  status: number;
  headers: Headers;
  body: { data?: Record<string, any> | null; errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, any> }>; extensions?: unknown };
  text: string;
  record: ChainedAccessRecord | null;
}

export type AnsweringSubgraph = Awaited<ReturnType<typeof answeringSubgraph>>;

export async function answeringSubgraph(sys: TestSystem, service: 'clients' | 'lodgments' | 'accounts' | 'audit' | 'registry', instanceId: string, tokenOptions: DevTokenOptions = { product: 'PRD-CERTIFIED' }) {
  const next = { body: '{}', status: 200, contentType: 'application/json' };
  const subgraph: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(next.status, { 'content-type': next.contentType }).end(next.body));
  });
  const logs: string[] = [];
  const records: ChainedAccessRecord[] = [];
  const logger = pino({ level: 'info', name: instanceId }, new Writable({ write: (chunk: Buffer, _e, cb) => void (logs.push(chunk.toString('utf8')), cb()) }));
  const gateway: RunningGateway = await startGatewayOn(sys, { [service]: await listenOnLoopback(subgraph) }, instanceId, { logger, onRecordsCommitted: (rs) => void records.push(...rs) });
  const token = await sys.token(tokenOptions);
  return {
    gateway,
    logs,
    /** The stand-in's next answer: an object (sent as JSON) or raw text. */
    reply: (body: unknown, status = 200, contentType = 'application/json') => Object.assign(next, { body: typeof body === 'string' ? body : JSON.stringify(body), status, contentType }),
    ask: async (query: string, variables?: Record<string, unknown>): Promise<Asked> => {
      const res = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, ...(variables ? { variables } : {}) }) });
      const text = await res.text();
      const requestId = res.headers.get('x-request-id');
      return { status: res.status, headers: res.headers, body: JSON.parse(text) as Asked['body'], text, record: records.find((r) => r.requestId === requestId) ?? null };
    },
    close: async () => {
      await gateway.close();
      await closeStandIn(subgraph);
    },
  };
}
