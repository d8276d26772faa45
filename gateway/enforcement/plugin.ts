/**
 * The enforcement plugin: a thin adapter that wires the pure decision functions into Apollo
 * Server's lifecycle. Caller-dependent field authorisation runs in didResolveOperation, which
 * runs on every request (validation is skipped for cached documents, so authorisation is never
 * a validation rule). Error codes and status are noted for the access record in willSendResponse.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { CodedError } from '../../core/errors.js';
import type { GatewayContext } from '../request-context.js';
import type { DecisionCache } from './decision-cache.js';
import type { FilteringGateway } from './filtering-gateway.js';

export interface EnforcementPluginOptions {
  gateway: FilteringGateway;
  cache: DecisionCache;
  /** 'partial' (default): refused fields become null with an error; 'reject': any refusal refuses the operation. */
  fieldDenial: 'partial' | 'reject';
}

export function createEnforcementPlugin(options: EnforcementPluginOptions): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation(rc) {
          const loaded = options.gateway.current();
          const { trace, resolved } = rc.contextValue;
          trace.operationName = rc.operationName ?? null;
          trace.operationType = rc.operation.operation;
          trace.documentHash = rc.queryHash;
          if (!loaded) throw new CodedError('INTERNAL_SERVER_ERROR', 'The supergraph is not loaded.');
          const analysisKey = `${rc.queryHash}\u0001${rc.operationName ?? ''}`;
          const analysis = options.cache.analyse(analysisKey, loaded.apiSchema, rc.document, rc.operation, loaded.requirements);
          trace.coordinates = analysis.coordinates;
          trace.services = analysis.services;
          const { decision, filtered } = options.cache.decide(analysisKey, analysis, rc.document, rc.operationName ?? null, resolved.caller, resolved.grantsKey, rc.request.variables);
          trace.clientIds = decision.clientIds;
          if (!decision.refused.length) return;
          trace.reasons = decision.refused.map((r) => ({ code: r.denial.code, coordinate: r.entry.coordinate }));
          if (decision.nothingLeft || options.fieldDenial === 'reject' || !filtered) {
            const first = decision.refused[0]!;
            trace.refusal = first.denial.code;
            throw new CodedError(first.denial.code, first.denial.message, {
              status: 403,
              details: { coordinate: first.entry.coordinate, refused: decision.refused.map((r) => ({ coordinate: r.entry.coordinate, code: r.denial.code })) },
            });
          }
          rc.contextValue.enforcement = { filtered, refused: decision.refused };
        },
        async willSendResponse(rc) {
          const { trace } = rc.contextValue;
          if (rc.response.http.status) trace.httpStatus = rc.response.http.status;
          const body = rc.response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          for (const e of errors ?? []) {
            const code = e.extensions?.code;
            if (typeof code === 'string') trace.errorCodes.add(code);
          }
        },
      };
    },
  };
}
