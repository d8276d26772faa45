/** Access records for monitoring tests: a served product request unless overridden. */
import { createHash } from 'node:crypto';
import type { AccessRecord } from '../../../audit/record.js';

let seq = 0;

export const T0 = Date.parse('2030-01-07T00:00:00.000Z');

export function record(over: Partial<AccessRecord> = {}): AccessRecord {
  seq++;
  return {
    id: `REC-${String(seq).padStart(8, '0')}`,
    time: new Date(T0).toISOString(),
    requestId: `req-${seq}`,
    instanceId: 'test',
    productId: 'PRD-A',
    productVersion: '2.1.0',
    developerId: 'DEV-A',
    sub: 'user-1',
    org: '12345679016',
    jti: `jti-${seq}`,
    roles: [],
    operationName: 'Client',
    operationType: 'query',
    documentHash: 'abc',
    coordinates: ['Query.client'],
    services: ['clients.read'],
    clientDigests: [],
    decision: 'ALLOWED',
    reasons: [],
    errorCodes: [],
    httpStatus: 200,
    subgraphs: ['clients'],
    latencyMs: 12,
    clientIp: '198.51.100.7',
    userAgent: 'test',
    ...over,
  };
}

/** A request refused for a bad token: nothing about the caller is trusted. */
export function badToken(ip: string): AccessRecord {
  return record({ productId: null, productVersion: null, developerId: null, sub: null, org: null, jti: null, decision: 'DENIED', errorCodes: ['UNAUTHENTICATED'], httpStatus: 401, clientIp: ip, subgraphs: [] });
}

/** A client digest shaped like the real ones (64 hex characters of an HMAC), distinct per n. */
export function digest(n: number): string {
  return createHash('sha256').update(`client-${n}`).digest('hex');
}
