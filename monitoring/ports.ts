/**
 * What monitoring needs from storage, in its own words. The store's MonitoringStore and
 * RegistryStore ports satisfy these structurally; monitoring never imports the store.
 */
import type { Product } from '../registry/model.js';
import type { HistoryEntry } from '../registry/model.js';
import type { RegistryChange } from '../registry/changes.js';
import type { Alert, AlertFilter, Incident, IncidentFilter } from './incident-model.js';

/** Where alerts are kept. */
export interface AlertSink {
  saveAlert(alert: Alert): Promise<void>;
}

/** Where incidents are opened and updated (optimistic concurrency on `expectedRevision`). */
export interface IncidentRecords {
  saveIncident(incident: Incident, expectedRevision: number | null): Promise<Incident>;
  incidentById(id: string): Promise<Incident | null>;
}

/** What the dashboard reads. */
export interface MonitoringReader {
  listAlerts(filter?: AlertFilter): Promise<Alert[]>;
  listIncidents(filter?: IncidentFilter): Promise<Incident[]>;
}

/** The register, as protective suspension changes it. */
export interface ProductRegister {
  productById(id: string): Promise<Product | null>;
  applyRegistryChange(change: RegistryChange): Promise<{ revision: number; history: HistoryEntry }>;
}
