/**
 * Access-log schemas: chained access records (a time-series collection), signed checkpoints and
 * chain heads.
 *
 * Access record documents: `time` (BSON date, the time-series timeField) and `meta`
 * ({ productId, decision }, the metaField: low cardinality, so MongoDB buckets records of one
 * product and decision together). Every other field of the ChainedAccessRecord sits at the top
 * level as the writer sent it, plus `timeIso`, the record's own time string: the chain hash covers
 * that exact string, and a round trip through a BSON date would normalise it (e.g. add `.000`).
 * documents.ts turns a record into this shape and back.
 */
import mongoose from 'mongoose';
import { DECISIONS } from '../../../audit/record.js';
import { subSchema, topSchema } from './fields.js';

export const ACCESS_RECORDS_COLLECTION = 'access_records';

/** Time-series bucketing for the access log: requests arrive many per second. */
export const ACCESS_RECORDS_TIMESERIES = { timeField: 'time', metaField: 'meta', granularity: 'seconds' } as const;

export function accessRecordSchema(): mongoose.Schema {
  const meta = subSchema({
    productId: { type: String, nullable: true },
    decision: { type: String, enum: DECISIONS },
  });
  const reason = subSchema({
    code: { type: String },
    coordinate: { type: String, nullable: true, optional: true },
  });
  const change = subSchema({
    coordinate: { type: String },
    reason: { type: String, nullable: true },
    ticket: { type: String, nullable: true },
  });
  const manifest = subSchema({
    mode: { type: String, enum: ['OFF', 'LOG', 'ENFORCE'] },
    version: { type: Number, nullable: true },
    entry: { type: String, nullable: true },
  });
  const schema = topSchema(
    {
      time: { type: Date },
      timeIso: { type: String },
      meta: { type: meta },
      id: { type: String },
      requestId: { type: String },
      instanceId: { type: String },
      productVersion: { type: String, nullable: true },
      developerId: { type: String, nullable: true },
      sub: { type: String, nullable: true },
      org: { type: String, nullable: true },
      jti: { type: String, nullable: true },
      roles: { type: [String] },
      operationName: { type: String, nullable: true },
      operationType: { type: String, nullable: true },
      documentHash: { type: String, nullable: true },
      coordinates: { type: [String] },
      services: { type: [String] },
      clientDigests: { type: [String] },
      reasons: { type: [reason] },
      errorCodes: { type: [String] },
      httpStatus: { type: Number },
      subgraphs: { type: [String] },
      latencyMs: { type: Number, min: 0 },
      clientIp: { type: String, nullable: true },
      userAgent: { type: String, nullable: true },
      // Present only when there is something to say (records without them hash as before).
      traceId: { type: String, optional: true },
      dpopJkt: { type: String, optional: true },
      issuer: { type: String, optional: true },
      changes: { type: [change], optional: true },
      manifest: { type: manifest, optional: true },
      chainId: { type: String },
      seq: { type: Number, min: 1 },
      prevHash: { type: String },
      hash: { type: String },
    },
    {
      collection: ACCESS_RECORDS_COLLECTION,
      // Documentation of the collection's shape; init() creates it explicitly with these options
      // (and the configured retention) before any insert, because a first insert into a missing
      // collection would make a normal collection.
      timeseries: { ...ACCESS_RECORDS_TIMESERIES },
    },
  );
  // Time-series collections take no unique index and only meta fields may be multikey, so there
  // is no index on clientDigests/errorCodes (those filters are scans within the time range).
  // (chainId, seq): idempotent append and readChain. MongoDB 6.3+ also indexes (meta, time) itself.
  schema.index({ chainId: 1, seq: 1 });
  // Newest-first keyset pagination.
  schema.index({ time: -1, chainId: -1, seq: -1 });
  schema.index({ 'meta.productId': 1, time: -1 });
  schema.index({ developerId: 1, time: -1 });
  schema.index({ org: 1, time: -1 });
  return schema;
}

export function checkpointSchema(): mongoose.Schema {
  const schema = topSchema(
    {
      chainId: { type: String },
      seq: { type: Number, min: 0 },
      hash: { type: String },
      time: { type: String },
      n: { type: Number, min: 1, optional: true },
      final: { type: Boolean, optional: true },
      signature: { type: String },
    },
    { collection: 'access_checkpoints' },
  );
  // Idle periods produce several checkpoints at the same seq (different times), as in SQLite;
  // the same (chainId, seq, time) twice is a retried batch and is stored once.
  schema.index({ chainId: 1, seq: 1, time: 1 }, { unique: true });
  return schema;
}

export function chainHeadSchema(): mongoose.Schema {
  const schema = topSchema(
    {
      chainId: { type: String },
      instanceId: { type: String },
      startedAt: { type: String },
      lastSeq: { type: Number, min: 0 },
      lastHash: { type: String },
      updatedAt: { type: String },
    },
    { collection: 'chain_heads' },
  );
  schema.index({ chainId: 1 }, { unique: true });
  return schema;
}

/** The chain ledger (audit/ledger.ts): one document per entry, the seq unique so two writers racing for it conflict. */
export function ledgerEntrySchema(): mongoose.Schema {
  const ending = subSchema({
    how: { type: String, enum: ['SHUTDOWN', 'CRASH'] },
    lastSeq: { type: Number, min: 0 },
    lastHash: { type: String },
    lastCheckpointSeq: { type: Number, min: 0 },
    lastCheckpointN: { type: Number, min: 0 },
    unsignedRecords: { type: Number, min: 0 },
  });
  const schema = topSchema(
    {
      seq: { type: Number, min: 1 },
      kind: { type: String, enum: ['OPEN', 'ADOPT', 'CLOSE'] },
      chainId: { type: String },
      instanceId: { type: String },
      time: { type: String },
      hashAlg: { type: String, enum: ['hmac-sha256', 'sha256'], nullable: true },
      ending: { type: ending, nullable: true },
      prevHash: { type: String },
      hash: { type: String },
      signature: { type: String },
    },
    { collection: 'chain_ledger' },
  );
  schema.index({ seq: 1 }, { unique: true });
  return schema;
}
