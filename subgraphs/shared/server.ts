/**
 * Runs one subgraph: Apollo Server over buildSubgraphSchema, behind a check of the gateway
 * assertion and of the request signature (core/request-signature.ts). A request without a valid
 * assertion for this subgraph, or whose body, subgraph or moment was not signed by the gateway,
 * or that was seen before, gets 401 before Apollo sees it: nobody can bypass the gateway by
 * calling a subgraph directly, nor replay or alter a request captured on the way.
 */
import { isUtf8 } from 'node:buffer';
import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { context, propagation, SpanKind, type Tracer } from '@opentelemetry/api';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginSchemaReportingDisabled, ApolloServerPluginUsageReportingDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { isInterfaceType, isObjectType, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { AssertionClaims, AssertionVerifier } from '../../core/assertion.js';
import { SIGNATURE_HEADER, type RequestVerifier } from '../../core/request-signature.js';
import { answerHttpErrorsCoded, applyServerTimeouts, BodyAbortedError, BodyTooLargeError, closeServer, errorBody, listen, readBody, refusedWithoutHost, responseBodyText, sendText, toHttpGraphQLRequest } from '../../core/http.js';
import type { Logger } from '../../core/logger.js';
import { CodedError } from '../../core/errors.js';

export interface SubgraphContext {
  /** The identity the gateway verified and asserted. */
  identity: AssertionClaims;
  /** The gateway's request id (x-request-id), for correlating logs. */
  requestId: string | null;
}

export interface SubgraphDefinition {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<SubgraphContext>;
}

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export interface SubgraphServerOptions {
  port: number;
  host: string;
  verifier: AssertionVerifier;
  /** Checks that the request itself (its body, subgraph and moment) was signed by the gateway, once. */
  requestVerifier: RequestVerifier;
  logger: Logger;
  /** Body size cap (the gateway already enforces its own, smaller bounds). */
  maxBodyBytes?: number;
  /** Tracing on: each request is a span continuing the gateway's trace (its `traceparent`). */
  tracer?: Tracer | null;
}

export async function startSubgraphServer(def: SubgraphDefinition, options: SubgraphServerOptions): Promise<RunningServer> {
  const schema = buildSubgraphSchema({ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> });
  guardEntityRepresentations(schema);
  const apollo = new ApolloServer<SubgraphContext>({
    schema,
    introspection: false,
    includeStacktraceInErrorResponses: false,
    // The process drains on SIGTERM itself (core/shutdown.ts); Apollo's handler would cut it short.
    stopOnTerminationSignals: false,
    // Federated tracing is for Apollo's hosted reporting, which we do not use; nor its usage or
    // schema reporting, whatever APOLLO_* the environment holds (with APOLLO_SCHEMA_REPORTING=true
    // Apollo's schema reporting would refuse to start a subgraph at all).
    plugins: [ApolloServerPluginInlineTraceDisabled(), ApolloServerPluginUsageReportingDisabled(), ApolloServerPluginSchemaReportingDisabled()],
    formatError(formatted, error) {
      const original = (error as { originalError?: unknown })?.originalError;
      if (original instanceof CodedError || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
      options.logger.error({ err: original ?? error, subgraph: def.name }, 'resolver error');
      return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    },
  });
  await apollo.start();
  const maxBody = options.maxBodyBytes ?? 1_048_576;

  // As the gateway (gateway/routes.ts): Node's own answers to a request without Host, to an Expect
  // it does not meet and to malformed HTTP are bare, uncoded statuses; they are coded here.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    if (refusedWithoutHost(req, res)) return;
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz') return sendText(res, 200, '{"status":"ok"}');
      if (path !== '/graphql') return sendText(res, 404, errorBody('NOT_FOUND', 'Not found'));
      const refuse = (reason: string) => {
        req.resume();
        sendText(res, 401, errorBody('UNAUTHENTICATED', 'A valid gateway assertion and request signature are required.', { reason }), { 'www-authenticate': 'Bearer' });
      };
      const repeated = req.headersDistinct.authorization;
      const auth = repeated?.length === 1 ? repeated[0] : undefined;
      let identity: AssertionClaims;
      try {
        if (!auth?.startsWith('Bearer ')) throw new Error('missing assertion');
        identity = await options.verifier.verify(auth.slice(7));
      } catch {
        return refuse('assertion');
      }
      let raw: Buffer;
      try {
        raw = await readBody(req, maxBody);
      } catch (err) {
        if (err instanceof BodyTooLargeError) return sendText(res, 413, errorBody('PAYLOAD_TOO_LARGE', 'The request body is too large.'));
        // The client went away mid-body: nobody to answer, nothing failed here.
        if (err instanceof BodyAbortedError) return void res.destroy();
        throw err;
      }
      const signatures = req.headersDistinct[SIGNATURE_HEADER];
      const verdict = options.requestVerifier.verify(signatures?.length === 1 ? signatures[0] : undefined, { audience: def.name, method: req.method ?? 'POST', authorization: auth, body: raw });
      if (!verdict.ok) {
        options.logger.warn({ subgraph: def.name, reason: verdict.reason }, 'request signature refused');
        return refuse(verdict.reason);
      }
      // Only the gateway can sign a body, and it sends UTF-8 JSON; anything else is refused, not
      // decoded with U+FFFD in place of the bad bytes.
      if (!isUtf8(raw)) return sendText(res, 400, errorBody('BAD_REQUEST', 'The request body is not well-formed UTF-8.'));
      let body: unknown;
      try {
        body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
      } catch {
        return sendText(res, 400, errorBody('BAD_REQUEST', 'The request body is not valid JSON.'));
      }
      const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : null;
      const execute = () => apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: toHttpGraphQLRequest(req, body), context: async () => ({ identity, requestId }) });
      // The traceparent is honoured only here, on a request the gateway signed.
      const tracer = options.tracer;
      const response = tracer
        ? await tracer.startActiveSpan(`subgraph ${def.name}`, { kind: SpanKind.SERVER }, propagation.extract(context.active(), req.headers), async (span) => {
            try {
              return await execute();
            } finally {
              span.end();
            }
          })
        : await execute();
      const headers = new Map<string, string>(response.headers);
      sendText(res, response.status ?? 200, await responseBodyText(response), headers);
    })().catch((err: unknown) => {
      options.logger.error({ err, subgraph: def.name }, 'subgraph request failed');
      if (!res.headersSent) sendText(res, 500, errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
    });
  });
  answerHttpErrorsCoded(server);
  applyServerTimeouts(server);
  const port = await listen(server, options.port, options.host);
  const hostForUrl = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  return {
    url: `http://${hostForUrl}:${port}/graphql`,
    port,
    server,
    async close() {
      await closeServer(server);
      await apollo.stop();
    },
  };
}

/**
 * `_entities` with a representation whose `__typename` names no object or interface type (or is
 * missing) made @apollo/subgraph throw a plain Error: a 200 with INTERNAL_SERVER_ERROR and an
 * error log. It is the caller's mistake: BAD_USER_INPUT.
 */
function guardEntityRepresentations(schema: GraphQLSchema): void {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  if (!field || !resolve) return;
  field.resolve = (source, args: { representations?: unknown }, ctx, info) => {
    for (const r of Array.isArray(args.representations) ? args.representations : []) {
      const name = (r as { __typename?: unknown } | null)?.__typename;
      const type = typeof name === 'string' ? schema.getType(name) : undefined;
      if (!type || !(isObjectType(type) || isInterfaceType(type))) throw new CodedError('BAD_USER_INPUT', 'Each representation needs a __typename naming an entity type.', { details: { argument: 'representations' } });
    }
    return resolve(source, args, ctx, info);
  };
}
