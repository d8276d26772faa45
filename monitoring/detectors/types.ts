/** What every detector consumes and produces. Pure types. */
import type { Risk } from '../incident-model.js';
import type { AccessRecord } from '../../audit/record.js';

/**
 * A condition a detector saw on one record. The monitor turns candidates into alerts and
 * de-duplicates them per (detector, key) while the condition persists, so a detector may
 * (and does) report the same condition on every record that still shows it.
 */
export interface AlertCandidate {
  detector: string;
  risk: Risk;
  /** What the detector keyed on: `product:PRD-X`, `ip:203.0.113.9`, `org:12345679016`, … */
  key: string;
  /** The product concerned, when there is one (protective suspension acts on it). */
  productId: string | null;
  /** The developer of the product, from the access record (links an incident to its developer). */
  developerId: string | null;
  observed: number;
  baseline: number | null;
  message: string;
  /** Access record ids that show the condition, oldest first, at most EVIDENCE_CAP. */
  evidence: string[];
}

export interface Detector {
  readonly name: string;
  /** Consumes one committed record; `now` is the monitor's clock (ms). Cheap and synchronous. */
  observe(record: AccessRecord, now: number): AlertCandidate[];
  /** How many keys the detector holds state for now (bounded by its `maxKeys`). */
  trackedKeys(): number;
}

/** Alerts name at most this many records as evidence; enough to investigate, bounded in size. */
export const EVIDENCE_CAP = 50;
