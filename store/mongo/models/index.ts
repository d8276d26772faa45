/**
 * Every model of the Mongo adapter, registered on one connection (or, for tests, on a Mongoose
 * instance that never connects: validation and `schema.indexes()` need no server).
 */
import type mongoose from 'mongoose';
import { accessRecordSchema, chainHeadSchema, checkpointSchema, ledgerEntrySchema } from './access-log.js';
import { alertSchema, incidentSchema } from './monitoring.js';
import { clientAuthorisationSchema, counterSchema, developerSchema, historySchema, productSchema } from './registry.js';

export { ACCESS_RECORDS_COLLECTION, ACCESS_RECORDS_TIMESERIES } from './access-log.js';
export { REGISTRY_COUNTER_ID } from './registry.js';

/** Model name → schema factory. Collection names are set on each schema. */
export const SCHEMAS = {
  Developer: developerSchema,
  Product: productSchema,
  ClientAuthorisation: clientAuthorisationSchema,
  RegistryHistory: historySchema,
  Counter: counterSchema,
  AccessRecord: accessRecordSchema,
  Checkpoint: checkpointSchema,
  ChainHead: chainHeadSchema,
  LedgerEntry: ledgerEntrySchema,
  Alert: alertSchema,
  Incident: incidentSchema,
} as const;

export type ModelName = keyof typeof SCHEMAS;

// Documents are plain records to this adapter; documents.ts gives them their domain types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModel = mongoose.Model<any>;
export type Models = Record<ModelName, AnyModel>;

/** Something models can be compiled on: a Connection or a Mongoose instance. */
export interface ModelHost {
  model(name: string, schema: mongoose.Schema): AnyModel;
}

/** Compiles every model on `host` (fresh schemas each time, so hosts never share state). */
export function registerModels(host: ModelHost): Models {
  const models = {} as Models;
  for (const [name, build] of Object.entries(SCHEMAS) as Array<[ModelName, () => mongoose.Schema]>) {
    models[name] = host.model(name, build());
  }
  return models;
}
