/** Test fixtures for the access log: records, chains and a throwaway gateway key. */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { createChain, prepareRecord, type ChainBatch, type PreparedRecord } from '../../../audit/chain.js';
import type { AccessRecord, ChainedAccessRecord } from '../../../audit/record.js';
import type { SigningKey } from '../../../core/keys.js';

export function sampleRecord(i: number, overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    id: `rec-${String(i).padStart(6, '0')}`,
    time: new Date(Date.UTC(2025, 0, 1, 0, 0, 0, i)).toISOString(),
    requestId: `req-${i}`,
    instanceId: 'gw-test',
    productId: i % 3 === 0 ? null : 'PRD-CERTIFIED',
    productVersion: '2.1.0',
    developerId: 'DEV-GOOD',
    sub: 'user-1',
    org: '12345679016',
    jti: `jti-${i}`,
    roles: [],
    operationName: 'GetClient',
    operationType: 'query',
    documentHash: 'a'.repeat(64),
    coordinates: ['Query.client', 'Client.name'],
    services: ['clients.read'],
    clientDigests: ['d'.repeat(64)],
    decision: i % 5 === 0 ? 'DENIED' : 'ALLOWED',
    reasons: i % 5 === 0 ? [{ code: 'CLIENT_NOT_AUTHORISED', coordinate: 'Query.client' }] : [],
    errorCodes: i % 5 === 0 ? ['CLIENT_NOT_AUTHORISED'] : [],
    httpStatus: 200,
    subgraphs: ['clients'],
    latencyMs: 1.25 + i,
    clientIp: '127.0.0.1',
    userAgent: 'jest',
    ...overrides,
  };
}

/** A chain of `n` records (seq 1..n). */
export function sampleChain(n: number, chainId = 'chain-test'): ChainedAccessRecord[] {
  const chain = createChain(chainId);
  return Array.from({ length: n }, (_, i) => chain.append(sampleRecord(i + 1)));
}

export async function testSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, alg: 'EdDSA', privateKey: privateKey as CryptoKey, publicJwks: { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] } };
}

/** A deep copy, as a store round trip would give. */
export const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Prepared records as one batch the stores chain onto `head` (what the writer's chainBatchOf sends). */
export function preparedBatch(chainId: string, head: { seq: number; hash: string }, key: Uint8Array, prepared: readonly PreparedRecord[]): ChainBatch {
  return { chainId, head, key, records: prepared.map((p) => p.text), prepared: { cuts: prepared.map((p) => p.cut), columns: prepared.flatMap((p) => p.columns) } };
}

/** sampleRecord first..last of `chainId`, prepared as the writer sends them, onto the record before `first` (its hash may be unknown: ''). */
export function sampleBatch(chainId: string, first: number, last: number, headHash: string, key: Uint8Array): ChainBatch {
  const prepared: PreparedRecord[] = [];
  for (let seq = first; seq <= last; seq++) prepared.push(prepareRecord(sampleRecord(seq), chainId, seq));
  return preparedBatch(chainId, { seq: first - 1, hash: headHash }, key, prepared);
}
