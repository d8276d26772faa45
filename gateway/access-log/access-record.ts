/**
 * The access record (DESIGN.md §7), assembled once from the facts the pipeline's stages returned
 * and the answer the request got. Client ids become keyed HMAC digests here; tokens, TFNs and
 * variable values are never among the facts to begin with.
 */
import { performance } from 'node:perf_hooks';
import type { AccessRecord, Decision } from '../../audit/record.js';
import { clientDigest } from '../../audit/digest.js';
import { newAccessRecordId } from '../../audit/ids.js';
import { recordedOperationName, recordedUserAgent, sanitizeClaim, sanitizeList } from '../../audit/sanitize.js';
import type { Answer, RequestFacts } from '../pipeline.js';

/**
 * DENIED when the request was refused or failed (nothing served); PARTIAL when data was withheld
 * (a field removed by the gateway or a record withheld by a subgraph, or in a batch a refused or
 * failed operation, whose status the whole answer carries) and the rest served; else ALLOWED.
 */
export function decisionOf(facts: RequestFacts, answer: Answer): Decision {
  if (answer.refusal) return 'DENIED';
  if (answer.status >= 400) return facts.operation?.dataServed ? 'PARTIAL' : 'DENIED';
  return facts.operation?.reasons.length ? 'PARTIAL' : 'ALLOWED';
}

export function accessRecordOf(facts: RequestFacts, answer: Answer, options: { instanceId: string; hmacKey: Buffer; traceId?: string | null }): AccessRecord {
  const { arrival, token, admission, operation } = facts;
  const product = admission?.product ?? null;
  const issuer = sanitizeClaim(token?.subjectIssuer);
  return {
    id: newAccessRecordId(arrival.arrivedAt),
    time: new Date(arrival.arrivedAt).toISOString(),
    requestId: arrival.requestId,
    instanceId: options.instanceId,
    // Token claims are the issuer's word, not ours: cleaned and capped like every other untrusted
    // string (SANITIZE_LIMITS.claim), so a claim cannot bloat the record or fake a line on an
    // auditor's screen (review s19d). A well-formed value is unchanged.
    productId: sanitizeClaim(token?.softwareId),
    productVersion: sanitizeClaim(token?.softwareVersion),
    developerId: product?.developerId ?? sanitizeClaim(token?.developerId),
    sub: sanitizeClaim(token?.sub),
    org: token?.org ?? null,
    jti: sanitizeClaim(token?.jti),
    roles: token ? [...token.roles] : [],
    operationName: operation?.operationName == null ? null : recordedOperationName(operation.operationName),
    operationType: operation?.operationType ?? null,
    documentHash: operation?.documentHash ?? null,
    coordinates: [...(operation?.coordinates ?? [])],
    services: [...(operation?.services ?? [])],
    clientDigests: (operation?.clientIds ?? []).map((id) => clientDigest(options.hmacKey, id)),
    decision: decisionOf(facts, answer),
    reasons: [...(operation?.reasons ?? [])],
    // A subgraph names its own codes: each distinct one once, cleaned and capped (SANITIZE_LIMITS),
    // so an answer with thousands of codes cannot bloat the record or its index rows.
    errorCodes: sanitizeList([...new Set(answer.errorCodes)]),
    httpStatus: answer.status,
    subgraphs: [...(operation?.subgraphs ?? [])],
    latencyMs: Math.round((performance.now() - arrival.startedAt) * 1000) / 1000,
    clientIp: arrival.clientIp,
    userAgent: arrival.userAgent === null ? null : recordedUserAgent(arrival.userAgent),
    // Only when tracing is on: records written without it hash exactly as before.
    ...(options.traceId ? { traceId: options.traceId } : {}),
    ...(operation?.changes?.length ? { changes: operation.changes.map((c) => ({ ...c })) } : {}),
    ...(facts.document?.use ? { manifest: { ...facts.document.use } } : {}),
    // Only for sender-constrained requests: every other record hashes exactly as before.
    ...(facts.senderKey ? { dpopJkt: facts.senderKey } : {}),
    // Only with several issuers (subjectIssuer): records of a gateway with one hash exactly as before.
    ...(issuer ? { issuer } : {}),
  };
}
