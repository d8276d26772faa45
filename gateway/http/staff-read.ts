/**
 * Staff endpoints outside /graphql (the access-log export, the dashboard's data) pass the same
 * checks as a staff request to /graphql, in the pipeline's shape (pipeline.ts): authenticate → role
 * (a refusal of either counts on the source address's quota) → the staff rate limit → audit capacity.
 * `createStaffRead` serves a JSON read behind them, its access record committed before the data
 * leaves (durable before release), and a refused read recorded like any refusal.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../core/config.js';
import { CodedError, type Denial } from '../../core/errors.js';
import { headerValues } from '../../core/http.js';
import type { Logger } from '../../core/logger.js';
import type { VerifiedToken } from '../../core/verified-token.js';
import { staffSubject, type RateLimits } from '../../limits/rate-limit.js';
import type { OperationFacts } from '../apollo/context.js';
import { accessRecordOf } from '../access-log/access-record.js';
import type { AccessLogWriter } from '../access-log/writer.js';
import type { Authenticator } from '../auth/authenticator.js';
import { arrivalOf, auditCapacity, refusalAnswer, refusedOnSource, runStages, type Answer, type RequestFacts, type Stage } from '../pipeline.js';

export interface StaffGateDeps {
  authenticator: Pick<Authenticator, 'authenticate'>;
  rateLimits: RateLimits;
  writer: Pick<AccessLogWriter, 'accepting' | 'append'>;
}

/** authenticate → role (`refusedTo`: null when the token may) → staff rate limit → audit capacity. */
export function staffStages(deps: StaffGateDeps, refusedTo: (token: VerifiedToken) => Denial | null): Stage[] {
  const { rateLimits } = deps;
  const onSource = (facts: Readonly<RequestFacts>, denial: Denial) => refusedOnSource(rateLimits, facts, denial);
  return [
    {
      name: 'authenticate',
      async run(req, facts) {
        const auth = await deps.authenticator.authenticate(headerValues(req, 'authorization'));
        return auth.ok ? { facts: { token: auth.token } } : onSource(facts, auth.denial);
      },
    },
    {
      // A token without the role (a product's, a developer's) is counted like a failed
      // authentication: it has no staff quota of its own here (review s18c F8).
      name: 'role',
      run(_req, facts) {
        const refused = refusedTo(facts.token!);
        return refused ? onSource(facts, refused) : {};
      },
    },
    {
      name: 'rate limit',
      async run(_req, facts) {
        const rate = await rateLimits.check(staffSubject(facts.token!));
        return rate.allowed ? { facts: { quotaHeaders: rate.headers } } : { refusal: rate.denial, facts: { quotaHeaders: rate.headers } };
      },
    },
    auditCapacity(deps.writer),
  ];
}

/**
 * Appends the access record of a request outside /graphql that did `operation`; resolves false when
 * it could not be written (nothing may be released then). A CodedError is the writer refusing
 * (full buffer, closed), already logged where it arose.
 */
export async function appendAccessRecord(
  deps: { writer: Pick<AccessLogWriter, 'append'>; config: Pick<Config, 'instanceId'>; hmacKey: Buffer; logger: Pick<Logger, 'error'> },
  facts: RequestFacts,
  answer: Answer,
  operation: OperationFacts,
): Promise<boolean> {
  try {
    await deps.writer.append(accessRecordOf({ ...facts, operation }, answer, { instanceId: deps.config.instanceId, hmacKey: deps.hmacKey }));
    return true;
  } catch (err) {
    if (!(err instanceof CodedError)) deps.logger.error({ err, requestId: facts.arrival.requestId }, 'access record not written');
    return false;
  }
}

export interface StaffReadDeps extends StaffGateDeps {
  config: Pick<Config, 'instanceId'>;
  hmacKey: Buffer;
  logger: Pick<Logger, 'error'>;
  newRequestId: () => string;
  now: () => number;
  clientIpOf: (req: IncomingMessage) => string | null;
}

/**
 * A JSON read for staff: `serve(req, res, read, headers)` runs the staff checks, then `read()`,
 * records the request (operation `operationName`, type `staff-read`), and only then sends the data
 * with `headers`. GET and HEAD only (the caller routes them here).
 */
export function createStaffRead(deps: StaffReadDeps, options: { operationName: string; refusedTo: (token: VerifiedToken) => Denial | null }) {
  const stages: readonly Stage[] = [...staffStages(deps, options.refusedTo), { name: 'ready', run: () => ({ answer: { status: 200, body: '', headers: new Map(), errorCodes: [], refusal: null } }) }];
  const operation: OperationFacts = { operationName: options.operationName, operationType: 'staff-read', documentHash: null, coordinates: [], services: [], clientIds: [], reasons: [], errorCodes: null, subgraphs: [] };

  function send(res: ServerResponse, answer: Answer, requestId: string, headers: Readonly<Record<string, string>>, head: boolean): void {
    res.statusCode = answer.status;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    for (const [k, v] of answer.headers) res.setHeader(k, v);
    res.setHeader('x-request-id', requestId);
    res.end(head ? '' : answer.body);
  }

  return async function serve(req: IncomingMessage, res: ServerResponse, read: () => Promise<unknown>, headers: Readonly<Record<string, string>>): Promise<void> {
    const arrival = arrivalOf(req, deps.newRequestId(), deps.now(), deps.clientIpOf(req));
    req.resume(); // a GET has no body worth reading
    const head = arrival.method === 'HEAD';
    let run: { facts: RequestFacts; answer: Answer };
    try {
      run = await runStages(stages, req, arrival);
      if (!run.answer.refusal) {
        const body = JSON.stringify(await read());
        run = { ...run, answer: { ...run.answer, body, headers: new Map([...Object.entries(run.facts.quotaHeaders ?? {}), ['content-type', 'application/json; charset=utf-8']]) } };
      }
    } catch (err) {
      deps.logger.error({ err, requestId: arrival.requestId }, `${options.operationName} failed`);
      run = { facts: { arrival }, answer: refusalAnswer({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error' }) };
    }
    // Durable before release: nothing leaves without its access record.
    if (!(await appendAccessRecord(deps, run.facts, run.answer, operation)) && !run.answer.refusal) {
      send(res, refusalAnswer({ code: 'AUDIT_UNAVAILABLE', message: 'The access log cannot be written; requests are refused until it can.' }), arrival.requestId, headers, head);
      return;
    }
    send(res, run.answer, arrival.requestId, headers, head);
  };
}
