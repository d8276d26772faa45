/** Alerts raised by detectors and incidents (DESIGN.md §8). Pure types. */

export const RISKS = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type Risk = (typeof RISKS)[number];

export const INCIDENT_STATUSES = ['OPEN', 'TRIAGED', 'CONTAINED', 'RESOLVED'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export interface Alert {
  id: string;
  detector: string;
  risk: Risk;
  /** What the detector keyed on, e.g. `product:PRD-X` or `ip:127.0.0.1`. */
  key: string;
  productId: string | null;
  observed: number;
  baseline: number | null;
  message: string;
  /** Access record ids that show the condition. */
  evidence: string[];
  raisedAt: string;
  /** Last time the condition was seen again (de-duplication extends this, not a new alert). */
  lastSeenAt: string;
  status: 'OPEN' | 'CLOSED';
  incidentId: string | null;
}

export interface AlertFilter {
  status?: 'OPEN' | 'CLOSED' | null;
  productId?: string | null;
  detector?: string | null;
  since?: string | null;
  limit?: number;
}

export interface IncidentReport {
  whatHappened: string;
  occurredAt: string;
  affectedRecords: number | null;
  contact: string;
}

export interface Incident {
  id: string;
  source: 'DETECTOR' | 'DSP';
  title: string;
  risk: Risk;
  status: IncidentStatus;
  detectedAt: string;
  /** detectedAt + 24 h. */
  notifyBy: string;
  productIds: string[];
  developerId: string | null;
  alertIds: string[];
  report: IncidentReport | null;
  /** Triage notes, in order. */
  notes: Array<{ at: string; actor: string; status: IncidentStatus; note: string }>;
  updatedAt: string;
  revision: number;
}

export interface IncidentFilter {
  status?: IncidentStatus | null;
  productId?: string | null;
  developerId?: string | null;
  limit?: number;
}
