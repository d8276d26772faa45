/**
 * Conversions between domain objects and stored documents. Entities are stored as the JSON the
 * SQLite adapter would store (so both adapters hand back the same values: no `undefined`, no Date
 * objects) plus a few derived keys for indexing, which are removed again on the way out.
 */
import type { Alert, Incident } from '../../monitoring/incident-model.js';
import { CodedError } from '../../core/errors.js';
import type { ChainedAccessRecord, Checkpoint, ChainHead } from '../../audit/record.js';

type Doc = Record<string, unknown>;

/** The JSON image of a value: what JSON.stringify keeps (undefined members dropped, dates as strings). */
export function jsonClean<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A lean document without the keys mongoose/MongoDB add (and without our derived keys). */
export function stripped<T>(doc: Doc | null | undefined, derived: readonly string[] = []): T | null {
  if (!doc) return null;
  const out: Doc = {};
  for (const [key, value] of Object.entries(doc)) {
    if (key === '_id' || key === '__v' || derived.includes(key)) continue;
    out[key] = value;
  }
  return out as T;
}

export function strippedAll<T>(docs: readonly Doc[], derived: readonly string[] = []): T[] {
  return docs.map((d) => stripped<T>(d, derived) as T);
}

/** Parses an ISO time; null when it is not one (callers decide what that means). */
export function dateOf(iso: string): Date | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms);
}

// ── access records ────────────────────────────────────────────────────────────────────────

/** Keys an access-record document has that the record itself does not. */
const RECORD_DERIVED = ['time', 'timeIso', 'meta'] as const;

/** The stored shape: `time` as a date, `meta` for bucketing, the record's own time kept verbatim. */
export function recordToDocument(record: ChainedAccessRecord): Doc {
  const clean = jsonClean(record) as unknown as Doc;
  const { time, productId, decision, ...rest } = clean;
  const when = dateOf(String(time));
  // Same refusal as the SQLite adapter: a record whose time cannot be ordered is not stored.
  if (!when) throw new CodedError('BAD_USER_INPUT', 'record time is not an ISO date-time.');
  return { time: when, timeIso: time, meta: { productId: productId ?? null, decision }, ...rest };
}

/** The record exactly as the writer appended it (the chain hash covers these values). */
export function documentToRecord(doc: Doc): ChainedAccessRecord {
  const meta = (doc.meta ?? {}) as { productId?: string | null; decision?: string };
  const out = stripped<Doc>(doc, RECORD_DERIVED)!;
  return { ...out, time: doc.timeIso, productId: meta.productId ?? null, decision: meta.decision } as unknown as ChainedAccessRecord;
}

export const toCheckpoint = (doc: Doc): Checkpoint => stripped<Checkpoint>(doc)!;
export const toChainHead = (doc: Doc): ChainHead => stripped<ChainHead>(doc)!;

// ── alerts and incidents ──────────────────────────────────────────────────────────────────

const ALERT_DERIVED = ['raisedAtDate', 'lastSeenAtDate'] as const;
const INCIDENT_DERIVED = ['detectedAtDate'] as const;

export function alertToDocument(alert: Alert): Doc {
  const clean = jsonClean(alert);
  return { ...clean, raisedAtDate: dateOf(clean.raisedAt), lastSeenAtDate: dateOf(clean.lastSeenAt) };
}

export const documentToAlert = (doc: Doc | null): Alert | null => stripped<Alert>(doc, ALERT_DERIVED);
export const documentsToAlerts = (docs: Doc[]): Alert[] => strippedAll<Alert>(docs, ALERT_DERIVED);

export function incidentToDocument(incident: Incident): Doc {
  const clean = jsonClean(incident);
  return { ...clean, detectedAtDate: dateOf(clean.detectedAt) };
}

export const documentToIncident = (doc: Doc | null): Incident | null => stripped<Incident>(doc, INCIDENT_DERIVED);
export const documentsToIncidents = (docs: Doc[]): Incident[] => strippedAll<Incident>(docs, INCIDENT_DERIVED);
