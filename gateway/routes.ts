/**
 * The gateway's HTTP surface: which path goes where. /graphql runs the request pipeline
 * (pipeline.ts); the rest are operational endpoints. Every handler's failure is answered with a
 * masked 500 here, never with a dropped connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { answerHttpErrorsCoded, answerRawAndClose, applyServerTimeouts, errorBody, refusedWithoutHost, sendText, setEveryAnswerHeaders } from '../core/http.js';
import { TIMER_MAX_MS } from '../core/config.js';
import type { Logger } from '../core/logger.js';

/** A handler that may decline a request it does not serve (answering false). */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean | void>;

export interface Routes {
  graphql: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  readiness: () => Promise<{ ready: boolean }>;
  /** False once a part has stopped for good and only a restart helps (the access-log writer): `/healthz` then answers 503, so a liveness probe restarts the process. Default: always alive. */
  alive?: () => boolean;
  /** Tried in order for any other path (metrics, dashboard, …); a 404 when none serves it. */
  others: readonly RouteHandler[];
}

/** The gateway's server, and what a shutdown needs of it (gateway/server.ts close). */
export interface GatewayServer {
  server: Server;
  /**
   * From now on every response says `Connection: close`, so keep-alive connections (a load
   * balancer's pool) end after their current request instead of carrying new ones through the
   * drain (review s18b 2).
   */
  drain(): void;
  /**
   * Resolves once every request handler that started has finished (its access record appended,
   * even when its connection was cut at the end of the grace), or after `timeoutMs`; resolves
   * the number still running then.
   */
  settled(timeoutMs: number): Promise<number>;
}

export function createGatewayServer(routes: Routes, logger: Logger): GatewayServer {
  const failed = (res: ServerResponse, what: string) => (err: unknown) => {
    logger.error({ err }, `${what} failed`);
    if (!res.headersSent) sendText(res, 500, errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
  };
  let draining = false;
  const running = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  // Headers up to 32 KiB reach the pipeline, so an oversized token is refused with a coded 401
  // (TOKEN_MAX_BYTES) rather than by Node's bare 431.
  // Node's own answers to a request without Host (HTTP/1.1) and to an Expect it does not meet are
  // bare, uncoded statuses; both are answered here instead, with a coded body.
  const server = createServer({ maxHeaderSize: 32_768, requireHostHeader: false }, (req, res) => {
    if (draining) res.setHeader('connection', 'close');
    // Every answer, whichever handler writes it: nosniff and no-store (core/http.ts).
    setEveryAnswerHeaders(res);
    if (refusedWithoutHost(req, res)) return;
    const path = (req.url ?? '/').split('?', 1)[0]!;
    if (path === '/graphql') return track(routes.graphql(req, res).catch(failed(res, 'request pipeline')));
    if ((path === '/healthz' || path === '/readyz') && req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      return sendText(res, 405, errorBody('METHOD_NOT_ALLOWED', 'Use GET.'), { allow: 'GET, HEAD' });
    }
    if (path === '/healthz') return routes.alive?.() === false ? sendText(res, 503, '{"status":"failed"}') : sendText(res, 200, '{"status":"ok"}');
    if (path === '/readyz') return void routes.readiness().then((r) => sendText(res, r.ready ? 200 : 503, JSON.stringify(r)), failed(res, 'readiness'));
    track(
      (async () => {
        for (const handle of routes.others) if (await handle(req, res)) return;
        sendText(res, 404, errorBody('NOT_FOUND', 'Not found'));
      })().catch(failed(res, 'endpoint')),
    );
  });
  answerHttpErrorsCoded(server);
  // CONNECT (no listener: Node destroys the socket without an answer).
  // Node has taken its own listeners off the socket: without one a reset (ECONNRESET, EPIPE) is an
  // unhandled 'error' that ends the process; and the socket is outside the server's timeouts and
  // closeAllConnections, so it is destroyed once the answer is written (not left half-open).
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    answerRawAndClose(socket, '405 Method Not Allowed', errorBody('METHOD_NOT_ALLOWED', 'CONNECT is not served.'), { allow: 'GET, POST' });
  });
  applyServerTimeouts(server);
  return {
    server,
    drain() {
      draining = true;
    },
    async settled(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      // Node fires a longer timer after 1 ms (review s18d F5).
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(timeoutMs, TIMER_MAX_MS))));
      await Promise.race([Promise.allSettled([...running]), timeout]);
      clearTimeout(timer);
      return running.size;
    },
  };
}
