/** Valid sample entities for the store contract suite. Every builder takes overrides. */
import { createHash } from 'node:crypto';
import type { Alert, Incident } from '../../monitoring/incident-model.js';
import { GENESIS_HASH, type ChainHead, type ChainedAccessRecord, type Checkpoint } from '../../audit/record.js';
import type { ClientAuthorisation, Developer, Product } from '../../registry/model.js';
import { REQUIREMENTS } from '../../registry/model.js';
import type { ChangeNote } from '../../store/port.js';

export const T0 = Date.parse('2030-01-01T00:00:00.000Z');
export const at = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();

export function note(overrides: Partial<ChangeNote> = {}): ChangeNote {
  return { action: 'REGISTER', actor: 'contract-test', reason: 'contract test', ticket: 'TCK-1', effectiveAt: at(0), ...overrides };
}

export function sampleDeveloper(id: string, overrides: Partial<Developer> = {}): Developer {
  return {
    id,
    abn: '51824753556',
    legalName: `${id} Pty Ltd`,
    contact: { name: 'Contact', email: 'contact@example.com', phone: null },
    roles: ['DEVELOPER'],
    status: 'ACTIVE',
    statusReason: null,
    eligibility: { abnValid: true, declarationsAccepted: true, taxObligationsCurrent: true, abnUnique: true, reasons: [] },
    reviewDueAt: at(365 * 86_400_000),
    registeredAt: at(0),
    revision: 0,
    ...overrides,
  };
}

export function sampleProduct(id: string, developerId: string, overrides: Partial<Product> = {}): Product {
  return {
    id,
    developerId,
    name: `${id} app`,
    deploymentModel: 'CLOUD',
    dataHosting: ['AU'],
    minimumVersion: '1.0.0',
    status: 'CERTIFIED',
    statusReason: null,
    selfCertification: {
      submittedAt: at(0),
      submittedBy: 'dev@example.com',
      assessments: REQUIREMENTS.map((requirement) => ({ requirement, outcome: 'MET' as const, evidence: 'evidence' })),
    },
    certification: { tier: 'STANDARD', validFrom: at(0), validUntil: at(365 * 86_400_000), certifiedAt: at(0), certifiedBy: 'assessor' },
    services: ['clients.read'],
    suspension: null,
    rateTier: 'demo',
    registeredAt: at(0),
    revision: 0,
    ...overrides,
  };
}

export function sampleAuthorisation(org: string, clientId: string, overrides: Partial<ClientAuthorisation> = {}): ClientAuthorisation {
  return { org, clientId, grantedAt: at(0), expiresAt: null, revoked: false, revision: 0, ...overrides };
}

export const fakeHash = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A chained record; the hash is a stand-in (the store never checks it, the verifier does). */
export function sampleRecord(chainId: string, seq: number, overrides: Partial<ChainedAccessRecord> = {}): ChainedAccessRecord {
  return {
    id: `${chainId}-${seq}`,
    time: at(seq * 1000),
    requestId: `req-${chainId}-${seq}`,
    instanceId: 'contract-instance',
    productId: 'PRD-A',
    productVersion: '2.0.0',
    developerId: 'DEV-A',
    sub: 'user-1',
    org: '12345679016',
    jti: `jti-${seq}`,
    roles: [],
    operationName: 'GetClient',
    operationType: 'query',
    documentHash: fakeHash('query GetClient'),
    coordinates: ['Query.client', 'Client.name'],
    services: ['clients.read'],
    clientDigests: [],
    decision: 'ALLOWED',
    reasons: [],
    errorCodes: [],
    httpStatus: 200,
    subgraphs: ['clients'],
    latencyMs: 12,
    clientIp: '127.0.0.1',
    userAgent: 'contract-test',
    chainId,
    seq,
    prevHash: seq === 1 ? GENESIS_HASH : fakeHash(`${chainId}:${seq - 1}`),
    hash: fakeHash(`${chainId}:${seq}`),
    ...overrides,
  };
}

export function sampleHead(chainId: string, overrides: Partial<ChainHead> = {}): ChainHead {
  return { chainId, instanceId: 'contract-instance', startedAt: at(0), lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: at(0), ...overrides };
}

export function sampleCheckpoint(chainId: string, seq: number, overrides: Partial<Checkpoint> = {}): Checkpoint {
  return { chainId, seq, hash: seq === 0 ? GENESIS_HASH : fakeHash(`${chainId}:${seq}`), time: at(seq * 1000 + 500), signature: `sig.${chainId}.${seq}`, ...overrides };
}

export function sampleAlert(id: string, overrides: Partial<Alert> = {}): Alert {
  return {
    id,
    detector: 'volume',
    risk: 'MEDIUM',
    key: 'product:PRD-A',
    productId: 'PRD-A',
    observed: 500,
    baseline: 50,
    message: 'volume above baseline',
    evidence: ['rec-1', 'rec-2'],
    raisedAt: at(0),
    lastSeenAt: at(0),
    status: 'OPEN',
    incidentId: null,
    ...overrides,
  };
}

export function sampleIncident(id: string, overrides: Partial<Incident> = {}): Incident {
  return {
    id,
    source: 'DETECTOR',
    title: 'Unusual volume',
    risk: 'HIGH',
    status: 'OPEN',
    detectedAt: at(0),
    notifyBy: at(86_400_000),
    productIds: ['PRD-A'],
    developerId: 'DEV-A',
    alertIds: ['ALERT-1'],
    report: null,
    notes: [],
    updatedAt: at(0),
    revision: 0,
    ...overrides,
  };
}
