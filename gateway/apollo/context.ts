/** What one request carries through the pipeline: the Apollo context value and the access trace. */
import type { DecisionReason } from '../../audit/record.js';
import type { Caller } from '../../authorisation/directives/caller.js';
import type { VerifiedToken } from '../../core/verified-token.js';
import type { ResolvedCaller } from '../../authorisation/caller.js';
import type { FilteredOperation, RefusedField } from '../../authorisation/field-decision.js';

/** Facts gathered while serving a request; becomes the access record. */
export interface RequestTrace {
  requestId: string;
  /** performance.now() at arrival, for latency. */
  startedAt: number;
  /** Wall-clock arrival time (ms). */
  arrivedAt: number;
  clientIp: string | null;
  userAgent: string | null;
  token: VerifiedToken | null;
  resolved: ResolvedCaller | null;
  operationName: string | null;
  operationType: string | null;
  documentHash: string | null;
  coordinates: readonly string[];
  services: readonly string[];
  clientIds: readonly string[];
  reasons: DecisionReason[];
  /** Set when the whole request was refused (any stage). */
  refusal: string | null;
  errorCodes: Set<string>;
  subgraphs: Set<string>;
  httpStatus: number;
}

export function newTrace(requestId: string, arrivedAt: number, clientIp: string | null, userAgent: string | null): RequestTrace {
  return {
    requestId,
    startedAt: performance.now(),
    arrivedAt,
    clientIp,
    userAgent,
    token: null,
    resolved: null,
    operationName: null,
    operationType: null,
    documentHash: null,
    coordinates: [],
    services: [],
    clientIds: [],
    reasons: [],
    refusal: null,
    errorCodes: new Set(),
    subgraphs: new Set(),
    httpStatus: 200,
  };
}

/** What the enforcement plugin leaves for the filtering executor. */
export interface FieldEnforcement {
  filtered: FilteredOperation;
  refused: readonly RefusedField[];
}

export interface GatewayContext {
  trace: RequestTrace;
  caller: Caller;
  resolved: ResolvedCaller;
  enforcement: FieldEnforcement | null;
}
