/**
 * `GET /metrics`. With `monitoring.metricsBearer` set, the scrape must send
 * `Authorization: Bearer <that value>` (compared in constant time); without it the endpoint is
 * open, for a scrape on a private network.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, sendText } from '../core/http.js';
import type { Metrics } from './metrics.js';

export interface MetricsEndpointOptions {
  metrics: Pick<Metrics, 'metricsText' | 'contentType'>;
  /** Bearer secret the scraper must present; null leaves the endpoint open. */
  bearer: string | null;
  /** Path served. Default "/metrics". */
  path?: string;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Whether the Authorization header carries the bearer secret (hashes first, so lengths never leak). */
export function bearerMatches(received: string | readonly string[] | undefined, secret: string): boolean {
  // A repeated Authorization header is refused, as on /graphql.
  const header = Array.isArray(received) ? (received.length === 1 ? received[0] : undefined) : (received as string | undefined);
  if (!header?.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice(7).trim()), digest(secret));
}

export function createMetricsEndpoint(options: MetricsEndpointOptions): { handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> } {
  const path = options.path ?? '/metrics';
  return {
    async handle(req, res) {
      if ((req.url ?? '/').split('?', 1)[0] !== path) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendText(res, 405, errorBody('METHOD_NOT_ALLOWED', 'Use GET.'), { allow: 'GET, HEAD' });
        return true;
      }
      if (options.bearer && !bearerMatches(req.headersDistinct.authorization, options.bearer)) {
        sendText(res, 401, errorBody('UNAUTHENTICATED', 'A valid metrics bearer token is required.'), { 'www-authenticate': 'Bearer' });
        return true;
      }
      const text = await options.metrics.metricsText();
      sendText(res, 200, req.method === 'HEAD' ? '' : text, { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' });
      return true;
    },
  };
}
