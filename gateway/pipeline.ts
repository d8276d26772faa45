/**
 * The request pipeline for /graphql, top to bottom. Each stage is a small function that returns
 * the facts it established, or a refusal; the runner stops at the first refusal. Facts only
 * accumulate (a stage never changes what an earlier one found), and the access record is built
 * once, from the facts and the answer, by `accessRecordOf` — then committed before the answer is
 * released, so every request leaves exactly one record, refused or not.
 *
 *   method → authenticate → admit product → sender constraint → rate limit → audit capacity →
 *   read body → trusted document → pre-parse limits → execute (Apollo: operation limits, field
 *   authorisation, plan, execute) → record
 *
 * In the spirit of Apollo Server's requestPipeline.ts: named phases in one place, each seeing
 * only what the phases before it returned.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ApolloServer } from '@apollo/server';
import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { inSpan } from '../core/tracing.js';
import type { ResolvedCaller } from '../authorisation/caller.js';
import { createCallerResolver } from '../authorisation/caller.js';
import type { Config } from '../core/config.js';
import { CodedError, httpStatusOf, type Denial } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { headerValues, readBody as readRequestBody, readTextBody, searchOf } from '../core/http.js';
import type { AuthResult, Presentation, VerifiedToken } from '../core/verified-token.js';
import { documentChecker } from '../limits/operation-limits/index.js';
import { staffSubject, type RateDecision, type RateLimits } from '../limits/rate-limit.js';
import { accessRecordOf } from './access-log/access-record.js';
import type { AccessLogWriter } from './access-log/writer.js';
import type { GatewayContext, OperationFacts } from './apollo/context.js';
import type { DecisionCache } from '../authorisation/decision-cache.js';
import { describeAttempt, graphQLParamsOf } from './apollo/attempted.js';
import { executeWithApollo } from './apollo/execute.js';
import type { FilteringGateway } from './apollo/filtering-gateway.js';
import { tokenExpired, type Authenticator } from './auth/authenticator.js';
import { dpopDenial, senderConstraintFor, type DpopVerifier } from './auth/dpop.js';
import type { RegistrySnapshot } from './registry-snapshot.js';
import { judgeDocument, type TrustedDocument } from './trusted-documents.js';

/** The subgraph that owns the register (config `subgraphs.registry`): every register mutation is its. */
const REGISTER_SUBGRAPH = 'registry' satisfies keyof Config['subgraphs'];

/** What is known when a request arrives, before any stage runs. */
export interface Arrival {
  requestId: string;
  /** Wall-clock arrival (ms since the epoch, the injected clock). */
  arrivedAt: number;
  /** performance.now() at arrival, for latency. */
  startedAt: number;
  method: string;
  clientIp: string | null;
  userAgent: string | null;
}

/** Everything the stages established, in the order they run; later stages' facts are absent when an earlier one refused. */
export interface RequestFacts {
  arrival: Arrival;
  /** authenticate */
  token?: VerifiedToken;
  /** authenticate: the Authorization scheme and the token's hash (a DPoP proof's `ath`). */
  presentation?: Presentation;
  /** admit product: the register's view of the caller (also set, with its denial, when the product check refused). */
  admission?: ResolvedCaller;
  /** sender constraint: the thumbprint of the key whose DPoP proof this request carried (RFC 9449), when the token is bound. */
  senderKey?: string;
  /** rate limit (or the source-IP quota counted for a refusal): the RateLimit-* headers to send. */
  quotaHeaders?: Record<string, string>;
  /** read body: the parsed JSON body (POST), or nothing for GET. */
  body?: unknown;
  /** trusted document: the manifest's verdict, and the request as Apollo sees it when a hash was resolved. */
  document?: TrustedDocument;
  /** execute: what Apollo's run established about the operation. */
  operation?: OperationFacts;
}

/** The HTTP answer a request gets. */
export interface Answer {
  status: number;
  body: string;
  headers: Map<string, string>;
  /** Every error code in the answer. */
  errorCodes: readonly string[];
  /** The code of a refusal of the whole request by a stage, or null. */
  refusal: string | null;
}

type StageResult = { facts?: Partial<RequestFacts>; refusal?: Denial; answer?: Answer };

export interface PipelineDeps {
  apollo: ApolloServer<GatewayContext>;
  authenticator: Authenticator;
  rateLimits: RateLimits;
  snapshot: RegistrySnapshot;
  writer: AccessLogWriter;
  config: Readonly<Config>;
  /** Clock (ms). */
  now: () => number;
  /** DPoP proof verification (gateway/auth/dpop.ts). */
  dpop: DpopVerifier;
  /** The /graphql URL as clients call it, a proof's `htu` (config `publicUrl`, or the bound port's default once listening). */
  publicUrl: () => string;
}

export interface Stage {
  name: string;
  run(req: IncomingMessage, facts: Readonly<RequestFacts>): Promise<StageResult> | StageResult;
}

/** The answer to a refusal: a GraphQL-shaped error body with the code's documented status. */
export function refusalAnswer(denial: Denial, quotaHeaders: Record<string, string> = {}): Answer {
  const headers = new Map<string, string>([['content-type', 'application/json; charset=utf-8'], ...Object.entries(quotaHeaders), ...Object.entries(denial.headers ?? {})]);
  // A DPoP refusal brings its own challenge (WWW-Authenticate: DPoP algs="…").
  if ((denial.code === 'UNAUTHENTICATED' || denial.code === 'TOKEN_EXPIRED') && !headers.has('www-authenticate')) headers.set('www-authenticate', 'Bearer');
  if (denial.code === 'METHOD_NOT_ALLOWED') headers.set('allow', 'GET, POST');
  const body = JSON.stringify({ errors: [{ message: denial.message, extensions: { code: denial.code, ...(denial.details ?? {}) } }] });
  return { status: httpStatusOf(denial.code), body, headers, errorCodes: [denial.code], refusal: denial.code };
}

/**
 * One verdict for a batch (when batching is allowed): each operation judged alone, the record
 * telling of the first that ran outside the manifest (else the first).
 */
function combined(judged: TrustedDocument[], bodies: readonly unknown[], batch: boolean): TrustedDocument {
  if (!batch) return judged[0]!;
  const use = judged.find((j) => j.use && j.use.entry === null)?.use ?? judged[0]?.use ?? null;
  const rewritten = judged.some((j) => j.rewritten) ? { body: judged.map((j, i) => (j.rewritten ? j.rewritten.body : bodies[i])), search: '' } : null;
  return { use, rewritten };
}

/**
 * A refusal counted on the request's source address, so refusals cannot be sent for free. A spent
 * quota answers RATE_LIMITED, except when `reasonWins`: a product refused for its state is told
 * that state (PRODUCT_SUSPENDED, not RATE_LIMITED), so its support desk sees the real cause; the
 * refusal still counts on the source's quota.
 */
export async function refusedOnSource(rateLimits: RateLimits, facts: Readonly<RequestFacts>, denial: Denial, reasonWins = false): Promise<{ refusal: Denial; facts: Partial<RequestFacts> }> {
  const ip = await rateLimits.check({ kind: 'anonymous', ip: facts.arrival.clientIp ?? 'unknown' });
  return { refusal: ip.allowed || reasonWins ? denial : ip.denial, facts: { quotaHeaders: ip.headers } };
}

/** Refuses while the access log cannot take a record (buffer full, writer closed): nothing is served unrecorded. */
export function auditCapacity(writer: Pick<AccessLogWriter, 'accepting'>): Stage {
  return { name: 'audit capacity', run: () => (writer.accepting() ? {} : { refusal: { code: 'AUDIT_UNAVAILABLE', message: 'The access log cannot be written; requests are refused until it can.' } }) };
}

/** The ordered stages of /graphql. */
export function createStages(deps: PipelineDeps): readonly Stage[] {
  const { config, rateLimits } = deps;
  const limits = config.operationLimits;
  const checkDocument = documentChecker(limits);
  const { now } = deps;
  // The register's view of a token, built once per (token, register revision) and reused while the clock allows.
  const resolveCaller = createCallerResolver(deps.snapshot);

  const countOnSource = (facts: Readonly<RequestFacts>, denial: Denial, reasonWins = false) => refusedOnSource(rateLimits, facts, denial, reasonWins);
  /** The authenticate stage's result: the token, or a refusal counted on the source address's quota (which says how much is left). */
  const authenticated = (facts: Readonly<RequestFacts>, auth: AuthResult): StageResult | Promise<StageResult> => (auth.ok ? { facts: { token: auth.token, presentation: auth.presentation } } : countOnSource(facts, auth.denial));

  const charged = (rate: RateDecision): StageResult => (rate.allowed ? { facts: { quotaHeaders: rate.headers } } : { refusal: rate.denial, facts: { quotaHeaders: rate.headers } });
  /** Takes `points` from the caller's quotas (a product's, with its org share, or a staff member's); at once when the leases in memory can answer. */
  function charge(facts: Readonly<RequestFacts>, points: number): StageResult | Promise<StageResult> {
    const { token, admission } = facts;
    const rate = rateLimits.check(token!.kind === 'product' ? { kind: 'product', productId: admission!.product!.id, org: token!.org, tier: admission!.product!.rateTier } : staffSubject(token!), points);
    return rate instanceof Promise ? rate.then(charged) : charged(rate);
  }

  /**
   * The product check at `at`: the register must be fresh for a product, and the register's view
   * of the token admit it. Synchronous when it admits (the register is in memory); a refusal is
   * counted on the source address first.
   */
  function admit(facts: Readonly<RequestFacts>, at: number): StageResult | Promise<StageResult> {
    const token = facts.token!;
    if (token.kind === 'product' && !deps.snapshot.fresh()) {
      return { refusal: { code: 'REGISTRY_UNAVAILABLE', message: 'The register cannot be reached; access is refused until it can.' } };
    }
    const admission = resolveCaller(token, at);
    if (!admission.denial) return { facts: { admission } };
    // A refused product has no quota of its own; its refusals count on the source IP's, so a
    // suspended product's valid token cannot flood the gateway (or the access log) for free.
    return countOnSource(facts, admission.denial, true).then((refused) => ({ ...refused, facts: { ...refused.facts, admission } }));
  }

  /**
   * The key binding judged again once the request is admitted again (review s19d): a binding
   * required (or a key withdrawn) while the body was on its way refuses what the sender constraint
   * stage let through. A proof cannot be checked twice (its jti is spent), so a request needs one
   * now only if it carried one for that very key then.
   */
  function stillBound(facts: Readonly<RequestFacts>, admitted: StageResult): StageResult | Promise<StageResult> {
    if (admitted.refusal) return admitted;
    const constraint = senderConstraintFor(facts.token!, facts.presentation!, admitted.facts?.admission?.product ?? null, config.auth.dpopAlgorithms);
    if (constraint.kind === 'refused') return countOnSource(facts, constraint.denial).then((refused) => ({ ...refused, facts: { ...refused.facts, ...admitted.facts } }));
    if (constraint.kind === 'proof' && facts.senderKey !== constraint.jkt) return { refusal: dpopDenial('proof_missing', config.auth.dpopAlgorithms), facts: { ...admitted.facts } };
    return admitted;
  }

  return [
    {
      name: 'method',
      run: (_req, facts) => (facts.arrival.method === 'POST' || facts.arrival.method === 'GET' ? {} : { refusal: { code: 'METHOD_NOT_ALLOWED', message: 'Use POST (or GET for queries).' } }),
    },
    {
      name: 'authenticate',
      run(req, facts) {
        const header = headerValues(req, 'authorization');
        // At once for a token the cache holds (or a header refused on its form); a signature to verify waits.
        const now = deps.authenticator.authenticateNow?.(header, { acceptDpop: true }) ?? null;
        return now ? authenticated(facts, now) : deps.authenticator.authenticate(header, { acceptDpop: true }).then((auth) => authenticated(facts, auth));
      },
    },
    {
      name: 'admit product',
      run: (_req, facts) => admit(facts, now()),
    },
    {
      // RFC 9449: a bound token (cnf.jkt), or any token of a product whose binding is required, is
      // served only with a DPoP proof for this request by the bound key. Checked on every request
      // against the current register (nothing here is cached), so a binding change applies at once.
      name: 'sender constraint',
      // Before the rate limit, so a thief's refused requests count on the source address's quota, not the product's.
      run(req, facts) {
        const constraint = senderConstraintFor(facts.token!, facts.presentation!, facts.admission!.product, config.auth.dpopAlgorithms);
        if (constraint.kind === 'none') return {};
        // Like a failed authentication: counted on the source address, so a thief cannot probe for free.
        if (constraint.kind === 'refused') return countOnSource(facts, constraint.denial);
        const proof = deps.dpop.verify({ header: headerValues(req, 'dpop'), method: facts.arrival.method, htu: deps.publicUrl(), ath: facts.presentation!.ath, jkt: constraint.jkt });
        return proof.then((p): StageResult | Promise<StageResult> => (p.ok ? { facts: { senderKey: constraint.jkt } } : countOnSource(facts, p.denial)));
      },
    },
    {
      name: 'rate limit',
      run: (_req, facts) => charge(facts, 1),
    },
    auditCapacity(deps.writer),
    {
      name: 'read body',
      async run(req, facts) {
        if (facts.arrival.method !== 'POST') return {};
        // A body cut short (the client, or the server's request timeout) is a refusal like any
        // other, so its record keeps who sent it (token, product) and nothing waits on it.
        const read = await readTextBody(req, limits.maxBodyBytes);
        if ('refusal' in read) return { refusal: read.refusal };
        let body: unknown;
        try {
          body = JSON.parse(read.text);
        } catch {
          return { refusal: { code: 'BAD_REQUEST', message: 'The request body is not valid JSON.' } };
        }
        if (Array.isArray(body) && !limits.allowBatchedRequests) return { refusal: { code: 'BAD_REQUEST', message: 'Batched requests are not allowed.' } };
        if (body === null || typeof body !== 'object') return { refusal: { code: 'BAD_REQUEST', message: 'The request body must be a JSON object.' } };
        // A batch spends a point per operation: the rate limit stage took the first before the
        // body was read, the rest are taken now (or the batch is refused), so a batch of a
        // thousand operations costs what a thousand requests do.
        if (Array.isArray(body) && body.length > 1) {
          const charged = await charge(facts, body.length - 1);
          return { ...charged, facts: { ...charged.facts, ...(charged.refusal ? {} : { body }) } };
        }
        return { facts: { body } };
      },
    },
    {
      // The body can take up to the server's request timeout to arrive, and the token's expiry, a
      // suspension or a certification's end may pass meanwhile: what was admitted when the
      // headers came is judged again at the instant the request goes on, and the fields are
      // decided at that instant too (the admission's `at`). Cheap: the caller is memoised per
      // token and register revision.
      name: 'still admitted',
      run(_req, facts) {
        const at = now();
        if (tokenExpired(facts.token!.exp, at, config.auth.clockToleranceS)) return { refusal: { code: 'TOKEN_EXPIRED', message: 'The token has expired.' } };
        const admitted = admit(facts, at);
        return admitted instanceof Promise ? admitted.then((a) => stillBound(facts, a)) : stillBound(facts, admitted);
      },
    },
    {
      name: 'trusted document',
      run(req, facts) {
        const product = facts.admission?.product ?? null;
        const search = searchOf(req.url);
        const bodies = Array.isArray(facts.body) ? facts.body : [facts.body];
        const judged: TrustedDocument[] = [];
        for (const body of bodies) {
          const one = judgeDocument(product, facts.arrival.method === 'POST' ? (body as Record<string, unknown>) : null, search);
          if (one.refusal) return { refusal: one.refusal, facts: { document: one } };
          judged.push(one);
        }
        return { facts: { document: combined(judged, bodies, Array.isArray(facts.body)) } };
      },
    },
    {
      name: 'pre-parse limits',
      run(req, facts) {
        const rewritten = facts.document?.rewritten;
        const body = rewritten ? rewritten.body : facts.body;
        // A GET carries its document in the query string, where Apollo reads it (the first
        // `query` parameter): it is held to the same limits before parsing (review s19b F2).
        const queries: unknown[] =
          facts.arrival.method === 'GET'
            ? [new URLSearchParams(rewritten ? rewritten.search : searchOf(req.url)).get('query')]
            : (Array.isArray(body) ? body : [body]).map((op) => (op as { query?: unknown } | null | undefined)?.query);
        for (const query of queries) {
          if (typeof query === 'string') {
            const tooBig = checkDocument(query);
            if (tooBig) return { refusal: tooBig };
          }
        }
        return {};
      },
    },
    {
      name: 'execute',
      async run(req, facts) {
        const request = facts.document?.rewritten ?? { body: facts.body, search: searchOf(req.url) };
        const { operation, answer } = await executeWithApollo(deps.apollo, req, request, { token: facts.token!, resolved: facts.admission! }, facts.arrival.requestId);
        // A change to the register (every register mutation is the registry subgraph's) takes
        // effect on this instance before its answer leaves: the admin who suspended a product is
        // never told so while this gateway still serves it. Other instances read it at their next
        // poll. A refresh that fails leaves the snapshot to its staleness bound, as a poll's would.
        if (operation?.mutation && operation.subgraphs.includes(REGISTER_SUBGRAPH)) await deps.snapshot.refresh();
        const quota = facts.quotaHeaders ?? {};
        for (const k in quota) answer.headers.set(k.toLowerCase(), quota[k]!);
        return { facts: { operation }, answer };
      },
    },
  ];
}

/**
 * The facts so far with those a stage returned: a new object (the one the stage saw is left as it
 * was), what `{ ...facts, ...added }` gives, but always of one shape, every field present, so V8
 * builds it in one allocation rather than copying a differently shaped object at every stage. The
 * type names every field of RequestFacts, so a new fact cannot be left out here.
 */
function accumulate(f: RequestFacts, n: Partial<RequestFacts>): RequestFacts {
  const all: { [K in keyof Required<RequestFacts>]: RequestFacts[K] } = {
    arrival: 'arrival' in n ? n.arrival! : f.arrival,
    token: 'token' in n ? n.token : f.token,
    presentation: 'presentation' in n ? n.presentation : f.presentation,
    admission: 'admission' in n ? n.admission : f.admission,
    senderKey: 'senderKey' in n ? n.senderKey : f.senderKey,
    quotaHeaders: 'quotaHeaders' in n ? n.quotaHeaders : f.quotaHeaders,
    body: 'body' in n ? n.body : f.body,
    document: 'document' in n ? n.document : f.document,
    operation: 'operation' in n ? n.operation : f.operation,
  };
  return all;
}

/**
 * Runs the stages in order; the first refusal (or the execute stage's answer) ends the run. With
 * a tracer each stage is a span (a refusal is its `dsp.refusal` attribute).
 */
export async function runStages(stages: readonly Stage[], req: IncomingMessage, arrival: Arrival, tracer: Tracer | null = null): Promise<{ facts: RequestFacts; answer: Answer }> {
  let facts = accumulate({ arrival }, {});
  for (const stage of stages) {
    const current = facts;
    let result: StageResult;
    if (tracer) {
      result = await inSpan(tracer, stage.name, async (span) => {
        const outcome = await stage.run(req, current);
        if (outcome.refusal) span?.setAttribute('dsp.refusal', outcome.refusal.code);
        return outcome;
      });
    } else {
      // Without tracing a synchronous stage is not turned into promises (ten stages, every request).
      const outcome = stage.run(req, current);
      result = outcome instanceof Promise ? await outcome : outcome;
    }
    if (result.facts) facts = accumulate(facts, result.facts);
    if (result.refusal) return { facts, answer: refusalAnswer(result.refusal, facts.quotaHeaders) };
    if (result.answer) return { facts, answer: result.answer };
  }
  throw new Error('the pipeline ended without an answer');
}

/** An arrival for `req`, on the injected clock. */
export function arrivalOf(req: IncomingMessage, requestId: string, arrivedAt: number, clientIp: string | null): Arrival {
  const ua = req.headers['user-agent'];
  return { requestId, arrivedAt, startedAt: performance.now(), method: (req.method ?? 'GET').toUpperCase(), clientIp, userAgent: typeof ua === 'string' ? ua : null };
}

export interface GraphQLHandlerDeps extends PipelineDeps {
  /** The supergraph and the decision cache's document walks, to describe what a refused request attempted. */
  gateway: FilteringGateway;
  cache: DecisionCache;
  hmacKey: Buffer;
  logger: Logger;
  newRequestId: () => string;
  clientIpOf: (req: IncomingMessage) => string | null;
  /** Tracing on: a span per request with a child per stage and the access-log commit (core/tracing.ts). */
  tracer?: Tracer | null;
}

/**
 * Serves one /graphql request: runs the stages, builds the access record from their facts and
 * commits it before the answer is released (durable before release: nothing leaves the gateway
 * unrecorded). The request body is drained here, in one place, whichever stage refused.
 */
/**
 * Requests start in cohorts: a request's stages begin at the end of the event-loop turn in which
 * it arrived (`setImmediate`, the check phase right after the poll that read it), together with
 * every request read in that turn. Nothing waits longer than that turn: at a moderate rate each
 * cohort is one request, started a few microseconds later. Under load, the requests of one poll
 * go through authentication and admission, reach Apollo and send their subgraph fetches side by
 * side, so their answers come back together too and the event loop wakes fewer times for the
 * same work: measured on one subgraph at saturation, the gateway's CPU per request fell from
 * 1.28 to 1.03 times bare-http's, and on three from 1.24 to 1.17 (docs/performance.md, sixteenth
 * pass). The group commit of the access log does the same on the way out.
 */
export function inCohorts<A extends unknown[]>(handle: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  let cohort: Array<() => void> | null = null;
  const startCohort = () => {
    const due = cohort!;
    cohort = null;
    for (const start of due) start();
  };
  return (...args) =>
    new Promise<void>((resolve, reject) => {
      const start = () => void handle(...args).then(resolve, reject);
      if (cohort) cohort.push(start);
      else {
        cohort = [start];
        setImmediate(startCohort);
      }
    });
}

export function createGraphQLHandler(deps: GraphQLHandlerDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const stages = createStages(deps);
  const { config, logger } = deps;

  async function attemptOf(req: IncomingMessage, facts: RequestFacts, refusal: string | null): Promise<OperationFacts | null> {
    let body = facts.body;
    // A body refused as too large is not read again: what follows its first bytes past the limit
    // is a tail the client chose, not the request it sent.
    if (body === undefined && facts.arrival.method === 'POST' && !req.readableEnded && refusal !== 'PAYLOAD_TOO_LARGE') {
      try {
        body = JSON.parse((await readRequestBody(req, config.operationLimits.maxBodyBytes)).toString('utf8'));
      } catch {
        return null; // too large or not JSON: nothing to describe
      }
    }
    const describe = { gateway: deps.gateway, cache: deps.cache, limits: config.operationLimits };
    if (!Array.isArray(body)) return describeAttempt(graphQLParamsOf(body, req.url), describe);
    // A batch: every operation's attempt, in one record (named by the first, like a served batch's).
    const attempts = body.flatMap((op) => describeAttempt(op && typeof op === 'object' && !Array.isArray(op) ? graphQLParamsOf(op, undefined) : null, describe) ?? []);
    if (!attempts.length) return null;
    const union = (pick: (a: OperationFacts) => readonly string[]) => [...new Set(attempts.flatMap(pick))];
    return { ...attempts[0]!, coordinates: union((a) => a.coordinates), services: union((a) => a.services), clientIds: union((a) => a.clientIds) };
  }
  const tracer = deps.tracer ?? null;

  async function serve(req: IncomingMessage, res: ServerResponse, span: Span | null): Promise<void> {
    const arrival = arrivalOf(req, deps.newRequestId(), deps.now(), deps.clientIpOf(req));
    let run: { facts: RequestFacts; answer: Answer };
    try {
      run = await runStages(stages, req, arrival, tracer);
    } catch (err) {
      logger.error({ err, requestId: arrival.requestId }, 'request failed');
      run = { facts: { arrival }, answer: refusalAnswer({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }) };
    }
    // A request refused before Apollo ran is recorded with what it attempted (operation, fields,
    // services, clients), from its document: nothing is executed. Its body, if not read yet, is
    // read now (bounded like any body) and otherwise drained, so the connection can be reused.
    if (!run.facts.operation) run = { ...run, facts: { ...run.facts, operation: (await attemptOf(req, run.facts, run.answer.refusal)) ?? undefined } };
    if (!req.readableEnded) req.resume();
    let { answer } = run;
    const traceId = span?.spanContext().traceId ?? null;
    try {
      const commit = () => deps.writer.append(accessRecordOf(run.facts, answer, { instanceId: config.instanceId, hmacKey: deps.hmacKey, traceId }));
      await inSpan(tracer, 'access-log commit', commit);
    } catch (err) {
      if (!(err instanceof CodedError)) logger.error({ err, requestId: arrival.requestId }, 'access record not written');
      if (answer.status < 400) answer = refusalAnswer({ code: 'AUDIT_UNAVAILABLE', message: 'The access log cannot be written; requests are refused until it can.' });
    }
    if (span) {
      span.setAttributes({ 'http.response.status_code': answer.status, 'dsp.request_id': arrival.requestId, 'dsp.decision': answer.refusal ?? (answer.status < 400 ? 'served' : 'refused') });
      if (answer.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    }
    answer.headers.set('x-request-id', arrival.requestId);
    // Whatever Apollo's answer says: no cache may keep it (routes.ts sets it on every answer: EVERY_ANSWER_HEADERS, core/http.ts).
    answer.headers.set('cache-control', 'no-store');
    res.statusCode = answer.status;
    answer.headers.forEach((v, k) => res.setHeader(k, v));
    res.end(answer.body);
  }

  if (!tracer) return inCohorts((req, res) => serve(req, res, null));
  // A new trace per request: the caller is third-party software, so its traceparent is not trusted as a parent.
  return inCohorts((req, res) =>
    tracer.startActiveSpan('POST /graphql', { kind: SpanKind.SERVER, root: true, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': '/graphql' } }, async (span) => {
      try {
        await serve(req, res, span);
      } finally {
        span.end();
      }
    }),
  );
}
