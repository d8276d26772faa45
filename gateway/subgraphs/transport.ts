/**
 * The transport to subgraphs: undici's `request` (no web streams) over a keep-alive pool,
 * returning the small slice of a fetch Response that RemoteGraphQLDataSource reads (ok, status,
 * statusText, url, headers.get, text, json). Each call is bounded by SUBGRAPH_TIMEOUT_MS from
 * start to the last byte.
 */
import { setMaxListeners } from 'node:events';
import { Agent, request, type Dispatcher } from 'undici';

export interface SubgraphResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

class PlainResponse implements SubgraphResponse {
  readonly ok: boolean;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly statusText: string,
    readonly headers: { get(name: string): string | null },
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
  }
  text(): Promise<string> {
    return Promise.resolve(this.body);
  }
  json(): Promise<unknown> {
    try {
      return Promise.resolve(JSON.parse(this.body));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  /** The same response with another status (used to hand on a 4xx GraphQL answer as a result). */
  withStatus(status: number, statusText: string): PlainResponse {
    return new PlainResponse(this.url, status, statusText, this.headers, this.body);
  }
}

export interface SubgraphFetcherOptions {
  /** Longest a whole call may take, from sending to the last byte of the answer, ms. */
  timeoutMs: number;
  /** Connections per subgraph origin. Default 256. */
  maxSockets?: number;
  /** Largest response body accepted, bytes. Default 16 MiB. */
  maxBodyBytes?: number;
}

export type SubgraphFetcher = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<PlainResponse>;

/**
 * Deadlines as AbortSignals shared by every call that must end in the same 100 ms slot: one
 * timer and one controller per slot, not per call (a per-call AbortSignal.timeout was, with web
 * streams, the largest cost of global fetch in the gateway's profile). A call is aborted between
 * its deadline and 100 ms after it.
 */
function createDeadlines(now: () => number = Date.now): (timeoutMs: number) => AbortSignal {
  const SLOT_MS = 100;
  const slots = new Map<number, AbortController>();
  return (timeoutMs) => {
    const slot = Math.ceil((now() + timeoutMs) / SLOT_MS);
    let controller = slots.get(slot);
    if (!controller) {
      const created = new AbortController();
      // Every call of the slot listens on this one signal (undici removes its listener when the call ends).
      setMaxListeners(0, created.signal);
      controller = created;
      slots.set(slot, created);
      const timer = setTimeout(() => {
        slots.delete(slot);
        created.abort(new Error(`subgraph did not answer within ${timeoutMs} ms`));
      }, Math.max(0, slot * SLOT_MS - now()));
      timer.unref();
    }
    return controller.signal;
  };
}

/**
 * undici with a keep-alive pool per origin. The deadline covers the whole call (headers and
 * body), unlike a socket-idle timeout, which a subgraph trickling bytes would never trip.
 */
export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const dispatcher = new Agent({ connections: options.maxSockets ?? 256, keepAliveTimeout: 60_000, maxResponseSize: maxBody, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs });
  const deadline = createDeadlines();
  return async (url, init) => {
    const res = await request(url, { dispatcher, method: (init.method ?? 'POST') as Dispatcher.HttpMethod, headers: init.headers ?? {}, body: init.body ?? null, signal: deadline(options.timeoutMs) });
    const text = await res.body.text();
    const raw = res.headers;
    return new PlainResponse(url, res.statusCode, '', { get: (name) => { const v = raw[name.toLowerCase()]; return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v; } }, text);
  };
}

export type { PlainResponse };
