/**
 * The one place that talks to subgraphs: signs the gateway assertion for each request (the
 * client's raw token never leaves the gateway), notes which subgraphs a request touched, bounds
 * each call with a timeout, and turns transport failures into SUBGRAPH_UNAVAILABLE.
 */
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { AssertionClaims, AssertionSigner } from '../../core/assertion.js';
import type { ResolvedCaller } from '../../authorisation/caller.js';
import type { Caller } from '../../authorisation/directives/caller.js';
import type { VerifiedToken } from '../../core/verified-token.js';
import { CodedError } from '../../core/errors.js';
import { context, propagation } from '@opentelemetry/api';
import { SIGNATURE_HEADER, type RequestSigner } from '../../core/request-signature.js';
import type { GatewayContext } from '../apollo/context.js';
import { createSubgraphFetcher, type PlainResponse } from './transport.js';
import { admitData, createAnswerShapes } from './answer-shape.js';
import { admitErrors, MAX_ERRORS, subgraphCodes, unavailableAt, worthLogging, type AdmissionNotes, type AdmittedError } from './answer-errors.js';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../../core/logger.js';

export interface AssertingDataSourceOptions {
  name: string;
  url: string;
  signer: AssertionSigner;
  /** Signs each request's exact bytes (core/request-signature.ts). */
  requestSigner: RequestSigner;
  timeoutMs: number;
  /**
   * True once a shutdown has cut the connections still open: no new fetch starts, so a request
   * whose plan has further steps ends within one subgraph timeout and its access record is
   * committed before the final checkpoint (review s18d F1). Default: never.
   */
  stopping?: () => boolean;
  /** The API schema, whose field types say what kind of value each field of an answer holds (answer-shape.ts). Default: none (leaves are any string, number or boolean). */
  schema?: () => GraphQLSchema | null;
  /** Hears, once per answer, what of a subgraph's answer was changed on the way in (answer-shape.ts, answer-errors.ts). Default: nobody. */
  logger?: Logger;
}

/**
 * A subgraph's coded errors (CodedError sets `extensions.http.status`) make Apollo Server answer
 * 4xx, and RemoteGraphQLDataSource turns any non-2xx answer into one opaque error: the code
 * becomes INTERNAL_SERVER_ERROR (FORBIDDEN for 403), the subgraph's message, path, details and
 * partial data are lost and its internal URL is put in the error. A 4xx whose body is a GraphQL
 * response is an ordinary result with errors, so it is handed on as one. 401 (our assertion was
 * refused: a gateway fault, not the caller's) and 5xx stay transport failures.
 */
async function graphQLErrorsAsResult(response: PlainResponse): Promise<PlainResponse> {
  if (response.status < 400 || response.status >= 500 || response.status === 401) return response;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return response;
  let isGraphQLResult = false;
  try {
    const body = (await response.json()) as { errors?: unknown };
    isGraphQLResult = typeof body === 'object' && body !== null && Array.isArray(body.errors);
  } catch {
    // Not JSON after all: left to the data source as the failure it is.
  }
  return isGraphQLResult ? response.withStatus(200, 'OK') : response;
}

/**
 * The identity asserted for a caller, built once per resolved caller (createCallerResolver shares
 * one caller object across the requests of a token and register revision) and frozen, so the
 * signer finds its assertion by identity. Checked against the token and product it was built
 * from: a caller object is only ever paired with those, but the check costs nothing.
 */
const claimsOfCaller = new WeakMap<Caller, { token: VerifiedToken; product: ResolvedCaller['product']; claims: AssertionClaims }>();

function assertionClaimsOf(token: VerifiedToken, resolved: ResolvedCaller): AssertionClaims {
  const { caller, product } = resolved;
  const known = claimsOfCaller.get(caller);
  if (known && known.token === token && known.product === product) return known.claims;
  const claims: AssertionClaims = Object.freeze({
    sub: caller.sub,
    org: caller.org,
    softwareId: product?.id ?? null,
    softwareVersion: token.softwareVersion,
    developerId: product?.developerId ?? token.developerId,
    tier: caller.product?.tier ?? null,
    roles: Object.freeze([...caller.roles]) as string[],
    mfa: caller.mfa,
    requestId: null,
    ...(token.subjectIssuer === undefined ? {} : { subjectIssuer: token.subjectIssuer }),
  });
  claimsOfCaller.set(caller, { token, product, claims });
  return claims;
}

/** What RemoteGraphQLDataSource hands didReceiveResponse: the subgraph's parsed answer among it. */
type ReceivedAnswer = Parameters<NonNullable<RemoteGraphQLDataSource<GatewayContext>['didReceiveResponse']>>[0];

/** The planner's fetch documents' answer shapes, shared by every data source of the process (bounded: 2 MiB). */
const answerShapes = createAnswerShapes();

export class AssertingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly signer: AssertionSigner;
  private readonly subgraphName: string;

  constructor(options: AssertingDataSourceOptions) {
    const fetchSubgraph = createSubgraphFetcher({ timeoutMs: options.timeoutMs });
    const { requestSigner, name } = options;
    super({
      url: options.url,
      // A subgraph's cache-control says nothing about the gateway's answer, which is one caller's
      // filtered view: every /graphql answer is no-store (gateway/routes.ts), and no hint is read.
      honorSubgraphCacheControlHeader: false,
      // Signed here, where the body is the final string about to be sent: the signature covers
      // exactly these bytes (willSendRequest runs before RemoteGraphQLDataSource serialises).
      fetcher: (async (input: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => {
        const authorization = init.headers?.authorization;
        if (authorization && init.headers) init.headers[SIGNATURE_HEADER] = requestSigner.sign({ audience: name, method: init.method ?? 'POST', authorization, body: init.body ?? '' });
        // W3C traceparent of the active span (Apollo's gateway.fetch) when tracing is on; the
        // propagator is a no-op otherwise.
        if (init.headers) propagation.inject(context.active(), init.headers);
        return graphQLErrorsAsResult(await fetchSubgraph(input, init));
      }) as unknown as RemoteGraphQLDataSource['fetcher'],
    });
    this.signer = options.signer;
    this.subgraphName = options.name;
    this.stopping = options.stopping ?? (() => false);
    this.codes = subgraphCodes(options.name);
    this.logger = options.logger ?? null;
    this.schema = options.schema ?? (() => null);
  }

  private readonly stopping: () => boolean;
  /** The codes this subgraph may answer with (answer-errors.ts). */
  private readonly codes: ReadonlySet<string>;
  private readonly logger: Logger | null;
  private readonly schema: () => GraphQLSchema | null;

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http?.headers;
    if (!headers) return;
    // Health checks and other gateway-internal requests carry no caller: they get no assertion.
    const ctx = context as Partial<GatewayContext> | undefined;
    if (!ctx?.admission || !ctx.notes) return;
    const { token, resolved } = ctx.admission;
    if (this.stopping()) throw new CodedError('SUBGRAPH_UNAVAILABLE', `The ${this.subgraphName} service is unavailable.`, { details: { service: this.subgraphName }, status: 200 });
    ctx.notes.subgraphCalled(this.subgraphName);
    const assertion = await this.signer.sign(this.subgraphName, assertionClaimsOf(token, resolved));
    headers.set('authorization', `Bearer ${assertion}`);
    if (ctx.requestId) headers.set('x-request-id', ctx.requestId);
  }

  /**
   * A subgraph's answer as the gateway takes it. Its `data` held to what this fetch asked for
   * (answer-shape.ts): no field another subgraph owns on a shared entity, every value of its
   * field's kind, nothing @apollo/gateway would throw on or take seconds over; a value that is not
   * is made null with a SUBGRAPH_UNAVAILABLE error at its path, and an answer whose `data` is not
   * an object (or whose `_entities` is no list of one item per representation) fails as a whole.
   * Its errors admitted on the gateway's terms (answer-errors.ts): a code a subgraph raises, a
   * path within this fetch, bounded messages and details, no `extensions.http` (Apollo Server
   * applies `extensions.http.status` and headers to the gateway's whole answer, so a subgraph
   * could answer the caller 302, 101 or 204; the gateway's status is its own: statusFromErrors).
   */
  override didReceiveResponse({ response, request }: ReceivedAnswer): ReceivedAnswer['response'] {
    if (typeof request.query !== 'string') return response;
    const shape = answerShapes(request.query, this.schema());
    const sent = (request.variables as { representations?: unknown } | undefined)?.representations;
    const representations = shape.has('_entities') && Array.isArray(sent) ? sent.length : null;
    const data = admitData(response.data, shape, representations, MAX_ERRORS);
    if (data.changed) response.data = data.data as typeof response.data;
    let notes: AdmissionNotes | null = null;
    let errors: AdmittedError[] = [];
    if (response.errors != null) {
      const admitted = admitErrors(Array.isArray(response.errors) ? response.errors : [response.errors], this.codes, shape, representations);
      notes = admitted.notes;
      errors = admitted.errors;
    }
    // The answer failed as a whole: one error with no path, as for a fetch that failed
    // (statusFromErrors), first, and within MAX_ERRORS with the subgraph's own.
    if (data.failed) {
      if (errors.length >= MAX_ERRORS) {
        if (notes) notes.dropped += errors.length - (MAX_ERRORS - 1);
        errors.length = MAX_ERRORS - 1;
      }
      errors.unshift(unavailableAt(undefined));
    }
    for (const path of data.problems) if (errors.length < MAX_ERRORS) errors.push(unavailableAt(path));
    if (errors.length) response.errors = errors as unknown as typeof response.errors;
    else delete response.errors;
    // One line per answer the gateway changed, naming what, never a value: a subgraph that sends
    // fields it was not asked for, values of the wrong kind, or codes it may not use, is broken or compromised.
    if (this.logger && (data.changed || (notes && worthLogging(notes)))) {
      this.logger.warn({ subgraph: this.subgraphName, dataCut: data.changed, dataFailed: data.failed, valuesNulled: data.nulled, ...(notes ?? {}) }, 'subgraph answer changed on the way in');
    }
    return response;
  }

  /**
   * Every failure of the call is the subgraph's, not the caller's: no answer, a 5xx, a 401 (the
   * subgraph refused the gateway's own assertion or signature: a key or clock out of step), and
   * any other answer that is no GraphQL result (a 4xx GraphQL result was made a result already:
   * graphQLErrorsAsResult), such as a proxy's 404 page, a WAF's 403 or a 302. Until session 31 a
   * 4xx other than 401 went on as Apollo made it: a 500 INTERNAL_SERVER_ERROR, or for 403 the
   * caller's FORBIDDEN. The caller sees SUBGRAPH_UNAVAILABLE and never the subgraph's answer or address.
   */
  override didEncounterError(error: Error): void {
    if (error instanceof CodedError) throw error;
    throw new CodedError('SUBGRAPH_UNAVAILABLE', `The ${this.subgraphName} service is unavailable.`, { details: { service: this.subgraphName }, status: 200 });
  }
}
