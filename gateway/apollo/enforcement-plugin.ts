/**
 * The enforcement plugin: a thin adapter that wires the pure decision functions into Apollo
 * Server's lifecycle. Caller-dependent field authorisation runs in didResolveOperation, which
 * runs on every request (validation is skipped for cached documents, so authorisation is never
 * a validation rule). What it learns about the operation goes into the Apollo stage's notebook
 * (context.ts); the response's status and error codes are settled in willSendResponse.
 */
import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation, GraphQLRequestListener } from '@apollo/server';
import type { Tracer } from '@opentelemetry/api';
import { inSpan } from '../../core/tracing.js';
import { getVariableValues } from 'graphql';
import { CodedError } from '../../core/errors.js';
import type { Config } from '../../core/config.js';
import type { GatewayContext } from './context.js';
import { checkOperationCost, limitDenial } from '../../limits/operation-limits/index.js';
import { statusFromErrors } from './response-status.js';
import { changeNotesOf } from './change-notes.js';
import type { DecisionCache } from '../../authorisation/decision-cache.js';
import { WalkTooLargeError, type OperationAnalysis } from '../../authorisation/operation-analysis.js';
import type { FilteringGateway } from './filtering-gateway.js';
import { introspectionDenial, selectsIntrospection, type IntrospectionPolicy } from '../../authorisation/introspection.js';
import { namesClient } from './client-in-url.js';

export interface EnforcementPluginOptions {
  gateway: FilteringGateway;
  cache: DecisionCache;
  /** 'partial' (default): refused fields become null with an error; 'reject': any refusal refuses the operation. */
  fieldDenial: 'partial' | 'reject';
  /** Bounds for the per-request cost check (variables known). Default: none. */
  operationLimits?: Config['operationLimits'];
  /** Tracing on: field authorisation gets its own span. */
  tracer?: Tracer | null;
  /**
   * Who may introspect (authorisation/introspection.ts), decided here on every request because
   * Apollo's own rule is skipped for cached documents. Default 'nobody' (Apollo's rule, when on, refuses too).
   */
  introspection?: IntrospectionPolicy;
}

/** Codes that mean "this data was withheld from this caller" wherever they were decided. */
const FIELD_REFUSALS = new Set(['SERVICE_NOT_WHITELISTED', 'SCOPE_NOT_GRANTED', 'CLIENT_NOT_AUTHORISED', 'RESTRICTED_DATA', 'DATA_HOSTING_NOT_ONSHORE', 'ROLE_REQUIRED', 'MFA_REQUIRED', 'FORBIDDEN']);

/**
 * `a` then what `b` adds, each value once. `b` alone when `a` is empty (the first operation of a
 * request, i.e. almost always): every `b` passed here already holds each value once (an analysis's
 * coordinates and services, a decision's client ids), so no set needs to be built per request.
 */
function union<T>(a: readonly T[], b: readonly T[]): readonly T[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return [...new Set([...a, ...b])];
}

/**
 * A response path's schema coordinate in the operation's walk (aliases, no list indices), from a
 * map built on the first lookup: only answers with a subgraph's refusal look one up.
 */
function coordinateAt(context: GatewayContext, path: readonly (string | number)[]): string | null {
  const walked = context.walked;
  if (!walked) return null;
  context.coordinateOfPath ??= new Map(walked.entries.map((e) => [e.path.join('.'), e.coordinate]));
  return context.coordinateOfPath.get(path.filter((p) => typeof p === 'string').join('.')) ?? null;
}

export function createEnforcementPlugin(options: EnforcementPluginOptions): ApolloServerPlugin<GatewayContext> {
  const introspection = options.introspection ?? 'nobody';
  /** Field authorisation (didResolveOperation): the cost with variables, the decision, the notes. */
  async function authorise(rc: GraphQLRequestContextDidResolveOperation<GatewayContext>): Promise<void> {
    const loaded = options.gateway.current();
    const { notes, admission } = rc.contextValue;
    const resolved = admission.resolved;
    const operation = rc.operation;
    if (!operation) throw new CodedError('OPERATION_RESOLUTION_FAILURE', 'No operation to run.');
    // A batch's operations share one notebook (Apollo shallow-clones the context per operation,
    // and the notes are one object) and one access record: the record names the first
    // operation, and holds what every operation read (coordinates, services, clients, changes,
    // refusals, codes), so no read in a batch goes unrecorded.
    if (operation.operation === 'mutation') notes.mutation = true;
    if (notes.documentHash === null) {
      notes.operationName = rc.operationName ?? null;
      notes.operationType = operation.operation;
      notes.documentHash = rc.queryHash;
    }
    if (!loaded) throw new CodedError('INTERNAL_SERVER_ERROR', 'The supergraph is not loaded.');
    if (introspection !== 'everyone' && selectsIntrospection(rc.document)) {
      const refused = introspectionDenial(introspection, admission.token);
      if (refused) throw new CodedError(refused.code, refused.message, { status: 400 });
    }
    // Coerce variables first: a wrongly typed variable is the caller's input error (400), and
    // directives must judge the coerced values (an Int id becomes the string it stands for).
    const coerced = getVariableValues(loaded.apiSchema, operation.variableDefinitions ?? [], rc.request.variables ?? {});
    if (coerced.errors) throw new CodedError('BAD_USER_INPUT', coerced.errors[0]!.message, { status: 400 });
    // The gateway's executor need not coerce the same inputs again (coerce-once.ts).
    rc.contextValue.variablesCoerced = { schema: loaded.apiSchema, definitions: operation.variableDefinitions, variables: rc.request.variables };
    // Cost with the request's variables (`first: $n`): validation only saw the document, and
    // without variables that verdict already holds for every request of the document.
    const tooCostly = options.operationLimits && operation.variableDefinitions?.length ? checkOperationCost({ schema: loaded.apiSchema, document: rc.document, operation, variables: coerced.coerced, limits: options.operationLimits }) : null;
    if (tooCostly) throw CodedError.from(tooCostly);
    if (operation.operation === 'mutation') notes.changes = [...notes.changes, ...changeNotesOf(operation, coerced.coerced, rc.document)];
    const analysisKey = `${rc.queryHash}\u0001${rc.operationName ?? ''}`;
    let analysis: OperationAnalysis;
    try {
      analysis = options.cache.analyse(analysisKey, loaded.apiSchema, rc.document, operation, loaded.requirements);
    } catch (err) {
      // A fragment spread expanded past the walk's budget (a fan-out of spreads whose leaves cost
      // nothing), or selection sets nested past its guard (fragments inside fragments).
      if (err instanceof WalkTooLargeError) throw CodedError.from(limitDenial(err.limit, err.max, options.operationLimits?.revealBounds ?? false));
      throw err;
    }
    notes.coordinates = union(notes.coordinates, analysis.coordinates);
    notes.services = union(notes.services, analysis.services);
    rc.contextValue.walked = analysis;
    const { decision, filtered } = options.cache.decide(analysisKey, analysis, rc.document, rc.operationName ?? null, resolved.caller, resolved.grantsKey, coerced.coerced, resolved.at);
    notes.clientIds = union(notes.clientIds, decision.clientIds);
    // After the decision, so that the record of the refusal keeps the digest of the client named.
    if (rc.request.http?.method === 'GET' && namesClient(rc.document, coerced.coerced, rc.request.variables)) {
      throw new CodedError('BAD_USER_INPUT', 'A client id is not taken in a URL, which browsers keep and proxies log: send this operation by POST.', { status: 400, details: { argument: 'clientId' } });
    }
    if (!decision.refused.length) return;
    notes.reasons = [...notes.reasons, ...decision.refused.map((r) => ({ code: r.denial.code, coordinate: r.entry.coordinate }))];
    if (decision.nothingLeft || options.fieldDenial === 'reject' || !filtered) {
      const first = decision.refused[0]!;
      throw new CodedError(first.denial.code, first.denial.message, {
        status: 403,
        details: { coordinate: first.entry.coordinate, refused: decision.refused.map((r) => ({ coordinate: r.entry.coordinate, code: r.denial.code })) },
      });
    }
    rc.contextValue.enforcement = { filtered, refused: decision.refused };
  }

  // One set of hooks for every request: what a request's hooks share lives in its context (the
  // walk, for looking up a refused path), so nothing is allocated per request here.
  const hooks: GraphQLRequestListener<GatewayContext> = {
    didResolveOperation: (rc) => inSpan(options.tracer, 'field authorisation', () => authorise(rc)),
    async willSendResponse(rc) {
      const { notes } = rc.contextValue;
      const body = rc.response.body;
      const result = body.kind === 'single' ? body.singleResult : body.initialResult;
      const errors = result.errors;
      // Apollo answers 200 for errors raised during execution (and for its persisted-query
      // refusal); the documented status of the error is the contract when no data was served.
      const status = statusFromErrors(result.data as Record<string, unknown> | null | undefined, errors);
      // Noted per operation: a batch's operations share the HTTP status (a refused one makes it
      // 403), so the status alone cannot tell the access record that another's data left.
      if (result.data != null && status === null) notes.dataServed = true;
      if ((rc.response.http.status ?? 200) === 200 && status) rc.response.http.status = status;
      // An answer without errors (most) has nothing more to note: no codes, no withheld data.
      if (!errors?.length) {
        notes.errorCodes ??= [];
        return;
      }
      notes.errorCodes = [...new Set([...(notes.errorCodes ?? []), ...errors.map((e) => e.extensions?.code).filter((c): c is string => typeof c === 'string')])];
      // Data a subgraph withheld (a restricted taxpayer's record, another developer's product)
      // is a refusal as much as a field the gateway removed: it makes the decision PARTIAL (or
      // DENIED when nothing else was served) and names its reason.
      const reasons = [...notes.reasons];
      const seen = new Set(reasons.map((r) => `${r.code}\u0000${r.coordinate ?? ''}`));
      for (const e of errors) {
        const code = e.extensions?.code;
        if (typeof code !== 'string' || !FIELD_REFUSALS.has(code) || !e.path?.length) continue;
        const coordinate = coordinateAt(rc.contextValue, e.path);
        const key = `${code}\u0000${coordinate ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        reasons.push({ code, coordinate });
      }
      notes.reasons = reasons;
    },
  };
  return {
    async requestDidStart() {
      return hooks;
    },
  };
}
