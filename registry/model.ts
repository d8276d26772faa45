/** The register's records as plain data. Pure types: no storage, no I/O. */

export const DEVELOPER_STATUSES = ['PENDING', 'REJECTED', 'ACTIVE', 'SUSPENDED', 'DEREGISTERED'] as const;
export type DeveloperStatus = (typeof DEVELOPER_STATUSES)[number];

export const DEVELOPER_ROLES = ['DEVELOPER', 'SERVICE_PROVIDER', 'CLOUD_PROVIDER', 'IN_HOUSE_DEVELOPER'] as const;
export type DeveloperRole = (typeof DEVELOPER_ROLES)[number];

export const PRODUCT_STATUSES = ['REGISTERED', 'SELF_CERTIFIED', 'CERTIFIED', 'CERTIFICATION_REJECTED', 'SUSPENDED', 'REVOKED'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export const DEPLOYMENT_MODELS = ['DESKTOP', 'CLOUD', 'IN_HOUSE'] as const;
export type DeploymentModel = (typeof DEPLOYMENT_MODELS)[number];

export const CERTIFICATION_TIERS = ['STANDARD', 'ENHANCED'] as const;
export type CertificationTier = (typeof CERTIFICATION_TIERS)[number];

/** The 11 minimum requirements (DESIGN.md §2). */
export const REQUIREMENTS = [
  'ENCRYPTION_KEY_MANAGEMENT',
  'ENCRYPTION_IN_TRANSIT',
  'MULTIFACTOR_AUTHENTICATION',
  'INDIRECT_ACCESS_TO_DATA',
  'APP_SERVER_CONFIGURATION',
  'VULNERABILITY_MANAGEMENT',
  'COOKIE_MANAGEMENT',
  'ENCRYPTION_AT_REST',
  'AUDIT_LOGGING',
  'DATA_HOSTING',
  'SECURITY_MONITORING_PRACTICE',
] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export const REQUIREMENT_OUTCOMES = ['MET', 'COMPENSATING_CONTROL', 'NOT_MET'] as const;
export type RequirementOutcome = (typeof REQUIREMENT_OUTCOMES)[number];

/** Services a product can be whitelisted for; each is owned by a data subgraph. */
export const SERVICES = ['clients.read', 'lodgments.read', 'lodgments.write', 'accounts.read'] as const;
export type Service = (typeof SERVICES)[number];

export interface Contact {
  name: string;
  email: string;
  phone?: string | null;
}

export interface Eligibility {
  abnValid: boolean;
  declarationsAccepted: boolean;
  taxObligationsCurrent: boolean;
  abnUnique: boolean;
  /** Human-readable reasons for every failed check; empty when eligible. */
  reasons: string[];
}

export interface Developer {
  id: string;
  abn: string;
  legalName: string;
  contact: Contact;
  roles: DeveloperRole[];
  status: DeveloperStatus;
  statusReason: string | null;
  eligibility: Eligibility;
  /** ISO time of the next annual review. */
  reviewDueAt: string;
  registeredAt: string;
  /** Global registry revision at which this record last changed (set by the store). */
  revision: number;
}

export interface RequirementAssessment {
  requirement: Requirement;
  outcome: RequirementOutcome;
  evidence: string;
  /** Required when outcome is COMPENSATING_CONTROL. */
  compensatingControl?: string | null;
}

export interface SelfCertification {
  submittedAt: string;
  submittedBy: string;
  assessments: RequirementAssessment[];
}

export interface Certification {
  tier: CertificationTier;
  validFrom: string;
  validUntil: string;
  certifiedAt: string;
  certifiedBy: string;
  /** The history holds the certification taking effect at `validFrom` (certified ahead of time; registry/lapses.ts). */
  startRecorded?: boolean;
  /** The history holds its expiry at `validUntil` (registry/lapses.ts). */
  expiryRecorded?: boolean;
}

export interface Suspension {
  reason: string;
  since: string;
  /** ISO time at which the suspension lapses by itself, or null for until reinstated. */
  until: string | null;
  actor: string;
  /** Status to return to on reinstatement. */
  resumeStatus: ProductStatus;
}

/**
 * What the gateway does with a product's documents that are not in its approved manifest:
 * OFF (nothing), LOG (served, flagged in the access record and counted) or ENFORCE (refused
 * OPERATION_NOT_CERTIFIED). registry/operation-manifest.ts.
 */
export const TRUSTED_DOCUMENT_MODES = ['OFF', 'LOG', 'ENFORCE'] as const;
export type TrustedDocumentsMode = (typeof TRUSTED_DOCUMENT_MODES)[number];

/** One operation document a product runs, identified by the SHA-256 (hex) of its exact text. */
export interface ManifestOperation {
  hash: string;
  document: string;
  /** The names of the operations the document defines (for readers; the hash is the identity). */
  operationNames: string[];
}

/** A version of a product's operation manifest: submitted by developer staff, approved by an ATO admin. */
export interface OperationManifest {
  version: number;
  operations: ManifestOperation[];
  submittedAt: string;
  submittedBy: string;
  /** Null while the version awaits approval. */
  approvedAt: string | null;
  approvedBy: string | null;
}

export interface Product {
  id: string;
  developerId: string;
  name: string;
  deploymentModel: DeploymentModel;
  /** ISO 3166-1 alpha-2 country codes of every place product data is hosted. */
  dataHosting: string[];
  minimumVersion: string;
  status: ProductStatus;
  statusReason: string | null;
  selfCertification: SelfCertification | null;
  certification: Certification | null;
  /** Whitelisted services. */
  services: string[];
  suspension: Suspension | null;
  /** Name of a rate tier in configuration. */
  rateTier: string;
  /** The approved manifest in force (absent on records written before manifests existed). */
  manifest?: OperationManifest | null;
  /** A submitted manifest version awaiting the admin's approval. */
  pendingManifest?: OperationManifest | null;
  /** The mode an admin set; null or absent: ENFORCE once a manifest is approved, OFF before. */
  trustedDocuments?: TrustedDocumentsMode | null;
  registeredAt: string;
  revision: number;
  /** Sender-constrained tokens (DPoP, RFC 9449; registry/key-binding.ts). Absent or null: no key registered, Bearer tokens accepted. */
  keyBinding?: KeyBinding | null;
}

/**
 * The public keys a product's tokens are bound to (DPoP, RFC 9449), by RFC 7638 JWK SHA-256
 * thumbprint (base64url, 43 characters). When `required`, the gateway serves the product only
 * with `Authorization: DPoP` and a proof signed by one of these keys.
 */
export interface KeyBinding {
  required: boolean;
  thumbprints: string[];
}

export interface ClientAuthorisation {
  /** ABN of the organisation (token `org` claim). */
  org: string;
  clientId: string;
  grantedAt: string;
  expiresAt: string | null;
  revoked: boolean;
  /** The history holds its expiry at `expiresAt` (registry/lapses.ts); a new grant clears it. */
  expiryRecorded?: boolean;
  revision: number;
}

export type RegistryEntityType = 'DEVELOPER' | 'PRODUCT' | 'CLIENT_AUTHORISATION';

export interface HistoryEntry {
  id: string;
  entityType: RegistryEntityType;
  entityId: string;
  action: string;
  actor: string;
  reason: string;
  ticket: string | null;
  /** When the change takes effect (may be later than `recordedAt`). */
  effectiveAt: string;
  recordedAt: string;
  before: unknown;
  after: unknown;
  revision: number;
}

export function authorisationKey(org: string, clientId: string): string {
  return `${org}|${clientId}`;
}
