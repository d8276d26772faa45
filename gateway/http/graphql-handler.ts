/**
 * The request pipeline for POST/GET /graphql, in order: authenticate, (anonymous rate limit),
 * registry freshness, product check, rate limit, audit capacity, body, pre-parse limits, Apollo
 * (operation limits, field authorisation, execution), then the access record — committed before
 * the response is released. Every exit path goes through `finish`, so each request leaves exactly
 * one record, refused or not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApolloServer } from '@apollo/server';
import type { Config } from '../../core/config.js';
import { CodedError, httpStatusOf, type Denial, type ErrorCode } from '../../core/errors.js';
import { BodyTooLargeError, readBody, responseBodyText, toHttpGraphQLRequest } from '../../core/http.js';
import type { Logger } from '../../core/logger.js';
import { buildAccessRecord } from '../access-log/access-record.js';
import type { createAuthenticator } from '../auth/authenticator.js';
import type { AccessLogWriter } from '../access-log/writer.js';
import { resolveCaller } from '../../authorisation/caller.js';
import { preParseCheck } from '../../limits/operation-limits/index.js';
import type { createRateLimits } from '../../limits/rate-limit.js';
import type { RegistrySnapshot } from '../registry-snapshot.js';
import { newTrace, type GatewayContext, type RequestTrace } from '../apollo/context.js';
import { createClientIpResolver } from './client-ip.js';

export interface GraphQLHandlerDeps {
  apollo: ApolloServer<GatewayContext>;
  authenticator: ReturnType<typeof createAuthenticator>;
  rateLimits: ReturnType<typeof createRateLimits>;
  snapshot: RegistrySnapshot;
  writer: AccessLogWriter;
  config: Readonly<Config>;
  hmacKey: Buffer;
  now: () => number;
  logger: Logger;
  newRequestId: () => string;
}

interface Outcome {
  status: number;
  body: string;
  headers: Map<string, string>;
}

function refusal(trace: RequestTrace, d: Denial, extraHeaders: Record<string, string> = {}, status?: number): Outcome {
  trace.refusal = d.code;
  trace.errorCodes.add(d.code);
  const headers = new Map<string, string>([['content-type', 'application/json; charset=utf-8'], ...Object.entries(extraHeaders), ...Object.entries(d.headers ?? {})]);
  if (d.code === 'UNAUTHENTICATED' || d.code === 'TOKEN_EXPIRED') headers.set('www-authenticate', 'Bearer');
  return { status: status ?? httpStatusOf(d.code), body: JSON.stringify({ errors: [{ message: d.message, extensions: { code: d.code, ...(d.details ?? {}) } }] }), headers };
}

const refuse = (trace: RequestTrace, code: ErrorCode, message: string, status?: number): Outcome => refusal(trace, { code, message }, {}, status);


export function createGraphQLHandler(deps: GraphQLHandlerDeps) {
  const { config, logger } = deps;
  const limits = config.operationLimits;
  const clientIpOf = createClientIpResolver(config.trustedProxies);

  async function pipeline(req: IncomingMessage, trace: RequestTrace): Promise<Outcome> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'POST' && method !== 'GET') {
      req.resume();
      return refusal(trace, { code: 'METHOD_NOT_ALLOWED', message: 'Use POST (or GET for queries).' }, { allow: 'GET, POST' });
    }

    const auth = await deps.authenticator.authenticate(req.headersDistinct.authorization);
    if (!auth.ok) {
      req.resume();
      const ip = await deps.rateLimits.check({ kind: 'anonymous', ip: trace.clientIp ?? 'unknown' });
      if (!ip.allowed) return refusal(trace, ip.denial, ip.headers);
      // The request was counted on the IP's quota: say how much of it is left, as for any counted request.
      return refusal(trace, auth.denial, ip.headers);
    }
    const token = auth.token;
    trace.token = token;

    if (token.kind === 'product' && !deps.snapshot.fresh()) {
      req.resume();
      return refuse(trace, 'REGISTRY_UNAVAILABLE', 'The register cannot be reached; access is refused until it can.');
    }
    const resolved = resolveCaller(token, deps.snapshot, deps.now());
    trace.resolved = resolved;
    if (resolved.denial) {
      req.resume();
      // A refused product has no quota of its own; its refusals count on the source IP's, so a
      // suspended product's valid token cannot flood the gateway (or the access log) for free.
      const ip = await deps.rateLimits.check({ kind: 'anonymous', ip: trace.clientIp ?? 'unknown' });
      if (!ip.allowed) return refusal(trace, ip.denial, ip.headers);
      return refusal(trace, resolved.denial, ip.headers);
    }

    const rate = await deps.rateLimits.check(
      token.kind === 'product'
        ? { kind: 'product', productId: resolved.product!.id, org: token.org, tier: resolved.product!.rateTier }
        : { kind: 'staff', sub: token.sub },
    );
    if (!rate.allowed) {
      req.resume();
      return refusal(trace, rate.denial, rate.headers);
    }
    const rateHeaders = rate.headers;

    if (!deps.writer.accepting()) {
      req.resume();
      return refusal(trace, { code: 'AUDIT_UNAVAILABLE', message: 'The access log cannot be written; requests are refused until it can.' }, rateHeaders);
    }

    let body: unknown;
    if (method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, limits.maxBodyBytes);
      } catch (err) {
        if (err instanceof BodyTooLargeError) return refusal(trace, { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' }, rateHeaders);
        throw err;
      }
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return refusal(trace, { code: 'BAD_REQUEST', message: 'The request body is not valid JSON.' }, rateHeaders);
      }
      if (Array.isArray(body) && !limits.allowBatchedRequests) {
        return refusal(trace, { code: 'BAD_REQUEST', message: 'Batched requests are not allowed.' }, rateHeaders);
      }
      if (body === null || typeof body !== 'object') {
        return refusal(trace, { code: 'BAD_REQUEST', message: 'The request body must be a JSON object.' }, rateHeaders);
      }
      for (const op of Array.isArray(body) ? body : [body]) {
        const query = (op as { query?: unknown } | null)?.query;
        if (typeof query === 'string') {
          const tooBig = preParseCheck(query, limits);
          if (tooBig) return refusal(trace, tooBig, rateHeaders);
        }
      }
    }

    const response = await deps.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: toHttpGraphQLRequest(req, body),
      context: async () => ({ trace, caller: resolved.caller, resolved, enforcement: null }),
    });
    const text = await responseBodyText(response);
    const status = response.status ?? 200;
    trace.httpStatus = status;
    if (status >= 400 && trace.errorCodes.size === 0) {
      // Errors Apollo raised before any plugin hook ran (e.g. a missing query): read the codes back.
      try {
        for (const e of (JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors ?? []) {
          if (typeof e.extensions?.code === 'string') trace.errorCodes.add(e.extensions.code);
        }
      } catch {
        /* not JSON: no codes to note */
      }
    }
    const headers = new Map<string, string>(response.headers);
    for (const [k, v] of Object.entries(rateHeaders)) headers.set(k.toLowerCase(), v);
    return { status, body: text, headers };
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = deps.newRequestId();
    const ua = req.headers['user-agent'];
    const trace = newTrace(requestId, deps.now(), clientIpOf(req), typeof ua === 'string' ? ua : null);
    let outcome: Outcome;
    try {
      outcome = await pipeline(req, trace);
    } catch (err) {
      logger.error({ err, requestId }, 'request failed');
      trace.errorCodes.add('INTERNAL_SERVER_ERROR');
      outcome = refuse(trace, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }
    trace.httpStatus = outcome.status;
    const record = buildAccessRecord(trace, { instanceId: config.instanceId, hmacKey: deps.hmacKey });
    try {
      // Durable before release: nothing leaves the gateway unrecorded.
      await deps.writer.append(record);
    } catch (err) {
      if (!(err instanceof CodedError)) logger.error({ err, requestId }, 'access record not written');
      if (outcome.status < 400) {
        trace.errorCodes.add('AUDIT_UNAVAILABLE');
        outcome = refuse(trace, 'AUDIT_UNAVAILABLE', 'The access log cannot be written; requests are refused until it can.');
      }
    }
    outcome.headers.set('x-request-id', requestId);
    res.statusCode = outcome.status;
    for (const [k, v] of outcome.headers) res.setHeader(k, v);
    res.end(outcome.body);
  };
}
