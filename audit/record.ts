/** The access record (DESIGN.md §7) and the hash-chained form the store keeps. Pure types. */

export const DECISIONS = ['ALLOWED', 'PARTIAL', 'DENIED'] as const;
export type Decision = (typeof DECISIONS)[number];

export interface DecisionReason {
  code: string;
  /** Schema coordinate (`Type.field`) the reason applies to, for field-level refusals. */
  coordinate?: string | null;
}

export interface AccessRecord {
  /** Unique id of the record (also used as alert evidence). */
  id: string;
  /** ISO time the request arrived. */
  time: string;
  requestId: string;
  instanceId: string;
  productId: string | null;
  productVersion: string | null;
  developerId: string | null;
  sub: string | null;
  org: string | null;
  jti: string | null;
  roles: string[];
  operationName: string | null;
  operationType: string | null;
  /** sha256 of the document text; never the document's variable values. */
  documentHash: string | null;
  /** Schema coordinates selected by the operation. */
  coordinates: string[];
  /** Services (clients.read, …) the selected fields belong to. */
  services: string[];
  /** Keyed HMAC digests of the client ids accessed; never the ids themselves. */
  clientDigests: string[];
  decision: Decision;
  reasons: DecisionReason[];
  errorCodes: string[];
  httpStatus: number;
  subgraphs: string[];
  latencyMs: number;
  clientIp: string | null;
  userAgent: string | null;
}

export interface ChainedAccessRecord extends AccessRecord {
  chainId: string;
  /** Gap-free sequence number within the chain, starting at 1. */
  seq: number;
  /** `hash` of the previous record in the chain, or GENESIS_HASH for seq 1. */
  prevHash: string;
  /** sha256 over the canonical JSON of the record including chainId, seq and prevHash. */
  hash: string;
}

export interface Checkpoint {
  chainId: string;
  /** The last seq covered (0 when the chain has no records yet). */
  seq: number;
  /** The hash of the record at `seq` (GENESIS_HASH when seq is 0). */
  hash: string;
  time: string;
  /** Compact JWS (gateway key) over {chainId, seq, hash, time}. */
  signature: string;
}

export interface ChainHead {
  chainId: string;
  instanceId: string;
  startedAt: string;
  lastSeq: number;
  lastHash: string;
  updatedAt: string;
}

export const GENESIS_HASH = '0'.repeat(64);

export interface AccessLogFilter {
  from?: string | null;
  to?: string | null;
  productId?: string | null;
  developerId?: string | null;
  org?: string | null;
  /** Already HMAC-ed by the caller (the audit subgraph). */
  clientDigest?: string | null;
  decision?: Decision | null;
  errorCode?: string | null;
  operationName?: string | null;
}

export interface AccessLogPage {
  records: ChainedAccessRecord[];
  /** Opaque keyset cursor for the next (older) page, or null when there is none. */
  nextCursor: string | null;
}

export interface CountBy {
  key: string;
  count: number;
}

export interface AccessSummary {
  total: number;
  byProduct: CountBy[];
  byDecision: CountBy[];
  byCode: CountBy[];
}
