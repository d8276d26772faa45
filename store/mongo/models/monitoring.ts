/** Alert and incident schemas (audit/incident-model.ts), with the indexes their list filters use. */
import mongoose from 'mongoose';
import { INCIDENT_STATUSES, RISKS } from '../../../monitoring/incident-model.js';
import { subSchema, topSchema } from './fields.js';

export const ALERT_STATUSES = ['OPEN', 'CLOSED'] as const;
export const INCIDENT_SOURCES = ['DETECTOR', 'DSP'] as const;

export function alertSchema(): mongoose.Schema {
  const schema = topSchema(
    {
      id: { type: String },
      detector: { type: String },
      risk: { type: String, enum: RISKS },
      key: { type: String },
      productId: { type: String, nullable: true },
      observed: { type: Number },
      baseline: { type: Number, nullable: true },
      message: { type: String },
      evidence: { type: [String] },
      raisedAt: { type: String },
      lastSeenAt: { type: String },
      status: { type: String, enum: ALERT_STATUSES },
      incidentId: { type: String, nullable: true },
      // Sort/filter keys as dates (the ISO strings above are what the domain reads back).
      raisedAtDate: { type: Date, nullable: true },
      lastSeenAtDate: { type: Date, nullable: true },
    },
    { collection: 'alerts' },
  );
  schema.index({ id: 1 }, { unique: true });
  schema.index({ status: 1, raisedAtDate: -1 });
  schema.index({ productId: 1, raisedAtDate: -1 });
  schema.index({ detector: 1, raisedAtDate: -1 });
  schema.index({ lastSeenAtDate: -1 });
  return schema;
}

export function incidentSchema(): mongoose.Schema {
  const report = subSchema({
    whatHappened: { type: String },
    occurredAt: { type: String },
    affectedRecords: { type: Number, nullable: true },
    contact: { type: String },
  });
  const note = subSchema({
    at: { type: String },
    actor: { type: String },
    status: { type: String, enum: INCIDENT_STATUSES },
    note: { type: String },
  });
  const schema = topSchema(
    {
      id: { type: String },
      source: { type: String, enum: INCIDENT_SOURCES },
      title: { type: String },
      risk: { type: String, enum: RISKS },
      status: { type: String, enum: INCIDENT_STATUSES },
      detectedAt: { type: String },
      notifyBy: { type: String },
      productIds: { type: [String] },
      developerId: { type: String, nullable: true },
      alertIds: { type: [String] },
      report: { type: report, nullable: true },
      notes: { type: [note] },
      updatedAt: { type: String },
      revision: { type: Number, min: 1 },
      detectedAtDate: { type: Date, nullable: true },
    },
    { collection: 'incidents' },
  );
  schema.index({ id: 1 }, { unique: true });
  schema.index({ status: 1, detectedAtDate: -1 });
  schema.index({ productIds: 1, detectedAtDate: -1 });
  schema.index({ developerId: 1, detectedAtDate: -1 });
  return schema;
}
