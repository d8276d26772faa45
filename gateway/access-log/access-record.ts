/**
 * Turns a request trace into the access record (DESIGN.md §7). Client ids become keyed HMAC
 * digests here; tokens, TFNs and variable values are never part of the trace to begin with.
 */
import type { AccessRecord, Decision } from '../../audit/record.js';
import { clientDigest } from '../../audit/digest.js';
import { newAccessRecordId } from '../../audit/ids.js';
import { sanitizeOperationName, sanitizeUserAgent } from '../../audit/sanitize.js';
import type { RequestTrace } from '../apollo/context.js';

export function decisionOf(trace: RequestTrace): Decision {
  if (trace.refusal || trace.httpStatus >= 400) return 'DENIED';
  return trace.reasons.length ? 'PARTIAL' : 'ALLOWED';
}

export function buildAccessRecord(trace: RequestTrace, options: { instanceId: string; hmacKey: Buffer }): AccessRecord {
  const token = trace.token;
  const product = trace.resolved?.product ?? null;
  return {
    id: newAccessRecordId(),
    time: new Date(trace.arrivedAt).toISOString(),
    requestId: trace.requestId,
    instanceId: options.instanceId,
    productId: token?.softwareId ?? null,
    productVersion: token?.softwareVersion ?? null,
    developerId: product?.developerId ?? token?.developerId ?? null,
    sub: token?.sub ?? null,
    org: token?.org ?? null,
    jti: token?.jti ?? null,
    roles: token ? [...token.roles] : [],
    operationName: trace.operationName === null ? null : sanitizeOperationName(trace.operationName),
    operationType: trace.operationType,
    documentHash: trace.documentHash,
    coordinates: [...trace.coordinates],
    services: [...trace.services],
    clientDigests: trace.clientIds.map((id) => clientDigest(options.hmacKey, id)),
    decision: decisionOf(trace),
    reasons: trace.reasons,
    errorCodes: [...trace.errorCodes],
    httpStatus: trace.httpStatus,
    subgraphs: [...trace.subgraphs],
    latencyMs: Math.round((performance.now() - trace.startedAt) * 1000) / 1000,
    clientIp: trace.clientIp,
    userAgent: trace.userAgent === null ? null : sanitizeUserAgent(trace.userAgent),
  };
}
