/**
 * Registry schemas: developers, products, client authorisations, their append-only history and
 * the global revision counter. Enums come from registry/model.ts so the store refuses a value the
 * domain does not know. Indexes are declared here, next to the queries they serve.
 */
import mongoose from 'mongoose';
import {
  CERTIFICATION_TIERS,
  DEPLOYMENT_MODELS,
  DEVELOPER_ROLES,
  DEVELOPER_STATUSES,
  PRODUCT_STATUSES,
  REQUIREMENT_OUTCOMES,
  REQUIREMENTS,
  TRUSTED_DOCUMENT_MODES,
} from '../../../registry/model.js';
import { COMMON_OPTIONS, subSchema, topSchema } from './fields.js';

export const REGISTRY_ENTITY_TYPES = ['DEVELOPER', 'PRODUCT', 'CLIENT_AUTHORISATION'] as const;

/** The id of the one counter document that hands out registry revisions. */
export const REGISTRY_COUNTER_ID = 'registry';

export function developerSchema(): mongoose.Schema {
  const contact = subSchema({
    name: { type: String },
    email: { type: String },
    phone: { type: String, nullable: true, optional: true },
  });
  const eligibility = subSchema({
    abnValid: { type: Boolean },
    declarationsAccepted: { type: Boolean },
    taxObligationsCurrent: { type: Boolean },
    abnUnique: { type: Boolean },
    reasons: { type: [String] },
  });
  const schema = topSchema(
    {
      id: { type: String },
      abn: { type: String },
      legalName: { type: String },
      contact: { type: contact },
      roles: { type: [{ type: String, enum: [...DEVELOPER_ROLES] }] },
      status: { type: String, enum: DEVELOPER_STATUSES },
      statusReason: { type: String, nullable: true },
      eligibility: { type: eligibility },
      reviewDueAt: { type: String },
      registeredAt: { type: String },
      revision: { type: Number, min: 0 },
    },
    { collection: 'developers' },
  );
  schema.index({ id: 1 }, { unique: true });
  // Not unique: the SQLite adapter keeps abn as a plain index too. ABN uniqueness is an
  // eligibility check of the registry domain (`eligibility.abnUnique`), not a storage rule.
  schema.index({ abn: 1 });
  schema.index({ revision: 1 });
  return schema;
}

export function productSchema(): mongoose.Schema {
  const assessment = subSchema({
    requirement: { type: String, enum: REQUIREMENTS },
    outcome: { type: String, enum: REQUIREMENT_OUTCOMES },
    evidence: { type: String },
    compensatingControl: { type: String, nullable: true, optional: true },
  });
  const selfCertification = subSchema({
    submittedAt: { type: String },
    submittedBy: { type: String },
    assessments: { type: [assessment] },
  });
  const certification = subSchema({
    tier: { type: String, enum: CERTIFICATION_TIERS },
    validFrom: { type: String },
    validUntil: { type: String },
    certifiedAt: { type: String },
    certifiedBy: { type: String },
    startRecorded: { type: Boolean, optional: true },
    expiryRecorded: { type: Boolean, optional: true },
  });
  const suspension = subSchema({
    reason: { type: String },
    since: { type: String },
    until: { type: String, nullable: true },
    actor: { type: String },
    resumeStatus: { type: String, enum: PRODUCT_STATUSES },
  });
  const manifestOperation = subSchema({
    hash: { type: String },
    document: { type: String },
    operationNames: { type: [String] },
  });
  const manifest = subSchema({
    version: { type: Number, min: 1 },
    operations: { type: [manifestOperation] },
    submittedAt: { type: String },
    submittedBy: { type: String },
    approvedAt: { type: String, nullable: true },
    approvedBy: { type: String, nullable: true },
  });
  // DPoP key binding (registry/key-binding.ts); optional: products stored before it have none.
  const keyBinding = subSchema({
    required: { type: Boolean },
    thumbprints: { type: [String] },
  });
  const schema = topSchema(
    {
      id: { type: String },
      developerId: { type: String },
      name: { type: String },
      deploymentModel: { type: String, enum: DEPLOYMENT_MODELS },
      dataHosting: { type: [String] },
      minimumVersion: { type: String },
      status: { type: String, enum: PRODUCT_STATUSES },
      statusReason: { type: String, nullable: true },
      selfCertification: { type: selfCertification, nullable: true },
      certification: { type: certification, nullable: true },
      // Not an enum of SERVICES: the registry validates whitelisting; the store keeps what it is given.
      services: { type: [String] },
      suspension: { type: suspension, nullable: true },
      rateTier: { type: String },
      // Operation manifests (registry/operation-manifest.ts); absent on records written before them.
      manifest: { type: manifest, nullable: true, optional: true },
      pendingManifest: { type: manifest, nullable: true, optional: true },
      trustedDocuments: { type: String, enum: TRUSTED_DOCUMENT_MODES, nullable: true, optional: true },
      registeredAt: { type: String },
      revision: { type: Number, min: 0 },
      keyBinding: { type: keyBinding, nullable: true, optional: true },
    },
    { collection: 'products' },
  );
  schema.index({ id: 1 }, { unique: true });
  schema.index({ developerId: 1 });
  schema.index({ revision: 1 });
  return schema;
}

export function clientAuthorisationSchema(): mongoose.Schema {
  const schema = topSchema(
    {
      org: { type: String },
      clientId: { type: String },
      grantedAt: { type: String },
      expiresAt: { type: String, nullable: true },
      revoked: { type: Boolean },
      expiryRecorded: { type: Boolean, optional: true },
      revision: { type: Number, min: 0 },
    },
    { collection: 'client_authorisations' },
  );
  schema.index({ org: 1, clientId: 1 }, { unique: true });
  schema.index({ clientId: 1 });
  schema.index({ revision: 1 });
  return schema;
}

export function historySchema(): mongoose.Schema {
  const schema = topSchema(
    {
      id: { type: String },
      entityType: { type: String, enum: REGISTRY_ENTITY_TYPES },
      entityId: { type: String },
      action: { type: String },
      actor: { type: String },
      reason: { type: String },
      ticket: { type: String, nullable: true },
      effectiveAt: { type: String },
      recordedAt: { type: String },
      // Whole entity states: Mixed, stored exactly as given.
      before: { type: mongoose.Schema.Types.Mixed, nullable: true },
      after: { type: mongoose.Schema.Types.Mixed, nullable: true },
      revision: { type: Number, min: 1 },
    },
    { collection: 'registry_history' },
  );
  schema.index({ id: 1 }, { unique: true });
  schema.index({ entityType: 1, entityId: 1, revision: 1 });
  // registryHistory: newest first across entities.
  schema.index({ revision: -1 });
  return schema;
}

/**
 * `{ _id: 'registry', seq }`: the last revision handed out. Incremented with `$inc` inside the
 * transaction that applies the change (see registry-store.ts for why that gives every change
 * its own revision).
 */
export function counterSchema(): mongoose.Schema {
  return new mongoose.Schema(
    {
      _id: { type: String, required: true },
      seq: { type: Number, required: true, min: 0 },
    },
    { ...COMMON_OPTIONS, strict: true, collection: 'counters' },
  );
}
