/** Alerts and incidents in MongoDB: whole entities plus date keys for sorting and `since`. */
import type { Alert, AlertFilter, Incident, IncidentFilter } from '../../monitoring/incident-model.js';
import { StoreConflictError } from '../port.js';
import { alertToDocument, dateOf, documentsToAlerts, documentsToIncidents, documentToAlert, documentToIncident, incidentToDocument } from './documents.js';
import { isDuplicateKey } from './errors.js';
import type { Models } from './models/index.js';

type Doc = Record<string, unknown>;

// Writes here pass no writeConcern: they inherit the client's `{ w: 'majority', wtimeoutMS }`
// (connection.ts). An operation's own writeConcern would replace it whole, timeout included.

export class MongoMonitoring {
  constructor(private readonly m: Models) {}

  /** Creates or replaces the alert with this id (de-duplication saves the same id again). */
  async saveAlert(alert: Alert): Promise<void> {
    const doc = alertToDocument(alert);
    const invalid = new this.m.Alert(doc).validateSync();
    if (invalid) throw invalid;
    await this.m.Alert.replaceOne({ id: String(alert.id) }, doc, { upsert: true });
  }

  async alertById(id: string): Promise<Alert | null> {
    return documentToAlert((await this.m.Alert.findOne({ id: String(id) }).lean()) as Doc | null);
  }

  /** Newest raised first; `since` keeps alerts last seen at or after it (still firing counts). */
  async listAlerts(filter: AlertFilter = {}): Promise<Alert[]> {
    // MongoDB reads limit(0) as "no limit"; the port (and SQLite) read it as none.
    if (filter.limit !== undefined && Math.floor(filter.limit) <= 0) return [];
    const query: Doc = {};
    if (filter.status != null) query.status = String(filter.status);
    if (filter.productId != null) query.productId = String(filter.productId);
    if (filter.detector != null) query.detector = String(filter.detector);
    if (filter.since != null) {
      const since = dateOf(filter.since);
      // SQLite compares against NaN and matches nothing; so does this.
      if (!since) return [];
      query.lastSeenAtDate = { $gte: since };
    }
    let q = this.m.Alert.find(query).sort({ raisedAtDate: -1, id: 1 });
    if (filter.limit !== undefined) q = q.limit(Math.floor(filter.limit));
    return documentsToAlerts((await q.lean()) as Doc[]);
  }

  /**
   * Creates (expectedRevision null) or replaces an incident whose stored revision is the one
   * expected; the stored incident gets revision + 1. A single-document compare-and-set is atomic
   * on its own, so no transaction is needed: the filter on `revision` is the optimistic check.
   */
  async saveIncident(incident: Incident, expectedRevision: number | null): Promise<Incident> {
    const stored = { ...incident, revision: (expectedRevision ?? 0) + 1 };
    const doc = incidentToDocument(stored);
    const invalid = new this.m.Incident(doc).validateSync();
    if (invalid) throw invalid;
    if (expectedRevision === null) {
      try {
        await this.m.Incident.create([doc]);
      } catch (err) {
        if (isDuplicateKey(err)) throw new StoreConflictError('INCIDENT', incident.id, null, await this.revisionOf(incident.id));
        throw err;
      }
    } else {
      const result = await this.m.Incident.replaceOne({ id: String(incident.id), revision: expectedRevision }, doc);
      if (result.matchedCount !== 1) throw new StoreConflictError('INCIDENT', incident.id, expectedRevision, await this.revisionOf(incident.id));
    }
    return documentToIncident(doc)!;
  }

  async incidentById(id: string): Promise<Incident | null> {
    return documentToIncident((await this.m.Incident.findOne({ id: String(id) }).lean()) as Doc | null);
  }

  /** Newest detected first. */
  async listIncidents(filter: IncidentFilter = {}): Promise<Incident[]> {
    if (filter.limit !== undefined && Math.floor(filter.limit) <= 0) return [];
    const query: Doc = {};
    if (filter.status != null) query.status = String(filter.status);
    if (filter.developerId != null) query.developerId = String(filter.developerId);
    if (filter.productId != null) query.productIds = String(filter.productId);
    let q = this.m.Incident.find(query).sort({ detectedAtDate: -1, id: 1 });
    if (filter.limit !== undefined) q = q.limit(Math.floor(filter.limit));
    return documentsToIncidents((await q.lean()) as Doc[]);
  }

  private async revisionOf(id: string): Promise<number | null> {
    const doc = (await this.m.Incident.findOne({ id: String(id) }, { revision: 1 }).lean()) as { revision?: number } | null;
    return typeof doc?.revision === 'number' ? doc.revision : null;
  }
}
