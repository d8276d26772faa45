/**
 * The incident domain (DESIGN.md §8), pure: an incident is opened from a high-risk alert or from
 * a DSP's breach report, must be notified within 24 hours of detection (`notifyBy`), and moves
 * OPEN → TRIAGED → CONTAINED → RESOLVED with a note at every step. Commands return the next
 * incident or a Denial; storage and ids of the caller's choosing stay outside.
 */
import { newPrefixedId } from '../core/random-id.js';
import { denial, type Denial } from '../core/errors.js';
import { INSTANT_EXAMPLE, parseInstant, toIso } from '../registry/instants.js';
import { cleanText, TEXT_RULES } from '../registry/text.js';
import type { Alert, Incident, IncidentReport, IncidentStatus, Risk } from './incident-model.js';
import { RISKS } from './incident-model.js';

/** The framework's notification deadline: 24 hours from detection. */
export const NOTIFY_WITHIN_MS = 24 * 3_600_000;
/** An open incident whose deadline is this close (or past) is flagged "due soon". */
export const DUE_SOON_MS = 4 * 3_600_000;

// Text bounds and allowed characters live in registry/text.ts, with every other registry text rule.
export const MAX_NOTE_LENGTH = TEXT_RULES.note.max;
export const MAX_REPORT_TEXT_LENGTH = TEXT_RULES.incidentReport.max;
export const MAX_CONTACT_LENGTH = TEXT_RULES.incidentContact.max;
export const MAX_REPORT_PRODUCTS = 50;
export const MAX_TITLE_LENGTH = 120;

/**
 * Where each status may go. Triage comes first (someone has looked); a triaged incident that
 * proves a false positive may be resolved without a containment step; RESOLVED is final.
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  OPEN: ['TRIAGED'],
  TRIAGED: ['CONTAINED', 'RESOLVED'],
  CONTAINED: ['RESOLVED'],
  RESOLVED: [],
};

/** A new incident id, e.g. `INC-7K2M9QX4D1`. */
export function newIncidentId(): string {
  return newPrefixedId('INC');
}

export function notifyByOf(detectedAtMs: number): string {
  return toIso(detectedAtMs + NOTIFY_WITHIN_MS);
}

/** Risk of a DSP-notified breach from the records it affected: ≥ 1000 HIGH, ≥ 10 MEDIUM, else LOW. */
export function riskFromAffectedRecords(affectedRecords: number | null): Risk {
  if (affectedRecords === null) return 'MEDIUM';
  if (affectedRecords >= 1000) return 'HIGH';
  if (affectedRecords >= 10) return 'MEDIUM';
  return 'LOW';
}

export function higherRisk(a: Risk, b: Risk): Risk {
  return RISKS.indexOf(a) >= RISKS.indexOf(b) ? a : b;
}

function truncate(text: string, max: number): string {
  const line = text.trim().split('\n', 1)[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** An incident opened by monitoring from a (high-risk) alert. */
export function incidentFromAlert(alert: Alert, options: { id: string; now: number; developerId?: string | null }): Incident {
  const at = toIso(options.now);
  return {
    id: options.id,
    source: 'DETECTOR',
    title: truncate(`${alert.detector}: ${alert.message}`, MAX_TITLE_LENGTH),
    risk: alert.risk,
    status: 'OPEN',
    detectedAt: at,
    notifyBy: notifyByOf(options.now),
    productIds: alert.productId ? [alert.productId] : [],
    developerId: options.developerId ?? null,
    alertIds: [alert.id],
    report: null,
    notes: [{ at, actor: 'monitoring', status: 'OPEN', note: `Opened automatically from ${alert.risk} alert ${alert.id} (${alert.detector} on ${alert.key}).` }],
    updatedAt: at,
    revision: 0,
  };
}

/** Links another alert to an open incident (the same condition seen by a second detector or key). */
export function linkAlert(incident: Incident, alert: Alert, now: number): Incident | Denial {
  if (incident.status === 'RESOLVED') return denial('ILLEGAL_TRANSITION', 'A resolved incident takes no more alerts.', { status: incident.status });
  if (incident.alertIds.includes(alert.id)) return incident;
  const at = toIso(now);
  return {
    ...incident,
    risk: higherRisk(incident.risk, alert.risk),
    alertIds: [...incident.alertIds, alert.id],
    productIds: alert.productId && !incident.productIds.includes(alert.productId) ? [...incident.productIds, alert.productId] : incident.productIds,
    notes: [...incident.notes, { at, actor: 'monitoring', status: incident.status, note: `Linked ${alert.risk} alert ${alert.id} (${alert.detector} on ${alert.key}).` }],
    updatedAt: at,
  };
}

/** The breach-report fields a DSP (or an admin on its behalf) notifies. */
export interface IncidentNotification {
  whatHappened: string;
  occurredAt: string;
  productIds: string[];
  affectedRecords?: number | null;
  contact: string;
  /** Overrides the risk derived from affectedRecords. */
  risk?: Risk | null;
}

function bad(field: string, message: string): Denial {
  return denial('BAD_USER_INPUT', message, { field });
}

/**
 * An incident from a DSP's notification, or why the report is incomplete. `detectedAt` is when
 * the ATO was notified (now): the 24-hour clock runs from when the ATO knows.
 */
export function incidentFromReport(input: IncidentNotification, options: { id: string; now: number; actor: string; developerId: string | null }): Incident | Denial {
  const whatHappened = cleanText(input.whatHappened, TEXT_RULES.incidentReport, 'whatHappened');
  if (typeof whatHappened !== 'string') return whatHappened;
  if (!whatHappened) return bad('whatHappened', 'Say what happened.');
  const occurredAt = parseInstant(input.occurredAt);
  if (occurredAt === null) return bad('occurredAt', `occurredAt must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`);
  if (occurredAt > options.now) return bad('occurredAt', 'occurredAt may not be in the future.');
  const productIds = [...new Set(input.productIds ?? [])];
  for (const id of productIds) {
    const checked = cleanText(id, TEXT_RULES.identifier, 'productIds');
    if (typeof checked !== 'string') return checked;
  }
  if (productIds.length === 0) return bad('productIds', 'Name at least one product.');
  if (productIds.length > MAX_REPORT_PRODUCTS) return bad('productIds', `Name at most ${MAX_REPORT_PRODUCTS} products.`);
  const affected = input.affectedRecords ?? null;
  if (affected !== null && (!Number.isSafeInteger(affected) || affected < 0)) return bad('affectedRecords', 'affectedRecords must be a whole number, 0 or more.');
  const contact = cleanText(input.contact, TEXT_RULES.incidentContact, 'contact');
  if (typeof contact !== 'string') return contact;
  if (!contact) return bad('contact', 'Give a contact for the incident.');
  if (!options.actor) return bad('actor', 'The actor is required.');
  const at = toIso(options.now);
  const report: IncidentReport = { whatHappened, occurredAt: toIso(occurredAt), affectedRecords: affected, contact };
  return {
    id: options.id,
    source: 'DSP',
    title: truncate(whatHappened, MAX_TITLE_LENGTH),
    risk: input.risk ?? riskFromAffectedRecords(affected),
    status: 'OPEN',
    detectedAt: at,
    notifyBy: notifyByOf(options.now),
    productIds,
    developerId: options.developerId,
    alertIds: [],
    report,
    notes: [{ at, actor: options.actor, status: 'OPEN', note: 'Notified by the DSP.' }],
    updatedAt: at,
    revision: 0,
  };
}

export interface IncidentTransition {
  to: IncidentStatus;
  note: string;
  actor: string;
  /** A re-assessed risk, if triage changed it. */
  risk?: Risk | null;
}

/**
 * The next incident after a triage step, or why not. Staying in the same status records a note
 * (and any risk change) without moving on; RESOLVED is final.
 */
export function transitionIncident(incident: Incident, change: IncidentTransition, now: number): Incident | Denial {
  const note = cleanText(change.note, TEXT_RULES.note, 'note');
  if (typeof note !== 'string') return note;
  if (!note) return bad('note', 'Every triage step needs a note.');
  if (!change.actor) return bad('actor', 'The actor is required.');
  const from = incident.status;
  if (from === 'RESOLVED') return denial('ILLEGAL_TRANSITION', 'The incident is resolved; it takes no more changes.', { from, to: change.to });
  if (change.to !== from && !INCIDENT_TRANSITIONS[from].includes(change.to)) {
    return denial('ILLEGAL_TRANSITION', `An incident cannot go from ${from} to ${change.to}.`, { from, to: change.to, allowed: [...INCIDENT_TRANSITIONS[from]] });
  }
  const at = toIso(now);
  return {
    ...incident,
    status: change.to,
    risk: change.risk ?? incident.risk,
    notes: [...incident.notes, { at, actor: change.actor, status: change.to, note }],
    updatedAt: at,
  };
}

/** Not yet resolved and its deadline within `withinMs` (or already past). */
export function isDueSoon(incident: Pick<Incident, 'status' | 'notifyBy'>, now: number, withinMs: number = DUE_SOON_MS): boolean {
  return incident.status !== 'RESOLVED' && Date.parse(incident.notifyBy) - now <= withinMs;
}

/** Not yet resolved and its deadline passed. */
export function isOverdue(incident: Pick<Incident, 'status' | 'notifyBy'>, now: number): boolean {
  return incident.status !== 'RESOLVED' && Date.parse(incident.notifyBy) < now;
}
