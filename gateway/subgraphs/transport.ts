/**
 * The transport to subgraphs: node:http with a keep-alive agent, returning the small slice of a
 * fetch Response that RemoteGraphQLDataSource reads (ok, status, statusText, url, headers.get,
 * text, json). The CPU profile of the enforced path showed global fetch (undici's web streams and
 * its per-request AbortSignals) as its largest single cost; a subgraph answer is one small JSON
 * body, which a plain request reads in one go. Each call is bounded by a socket-idle timeout.
 */
import http from 'node:http';
import https from 'node:https';

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

function headerGetter(raw: http.IncomingHttpHeaders): { get(name: string): string | null } {
  return {
    get(name) {
      const v = raw[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

export interface SubgraphFetcherOptions {
  /** Longest a call may sit without the subgraph sending anything, ms. */
  timeoutMs: number;
  /** Sockets per subgraph host. Default 256. */
  maxSockets?: number;
  /** Largest response body accepted, bytes. Default 16 MiB. */
  maxBodyBytes?: number;
}

export type SubgraphFetcher = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<PlainResponse>;

export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const maxSockets = options.maxSockets ?? 256;
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const agents = { 'http:': new http.Agent({ keepAlive: true, maxSockets }), 'https:': new https.Agent({ keepAlive: true, maxSockets }) };
  return (url, init) =>
    new Promise((resolve, reject) => {
      const secure = url.startsWith('https:');
      const request = (secure ? https : http).request(url, { method: init.method ?? 'POST', headers: init.headers, agent: secure ? agents['https:'] : agents['http:'], timeout: options.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBody) {
            res.destroy(new Error(`subgraph response over ${maxBody} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve(new PlainResponse(url, res.statusCode ?? 0, res.statusMessage ?? '', headerGetter(res.headers), (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8'))));
        res.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`subgraph did not answer within ${options.timeoutMs} ms`)));
      request.on('error', reject);
      request.end(init.body);
    });
}

export type { PlainResponse };
