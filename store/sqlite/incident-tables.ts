/** Alerts and incidents in SQLite: whole entities as JSON plus the columns their filters use. */
import type Database from 'better-sqlite3';
import type { Alert, AlertFilter, Incident, IncidentFilter } from '../../monitoring/incident-model.js';
import { StoreConflictError } from '../port.js';

const parseAll = <T>(rows: unknown[]): T[] => (rows as string[]).map((doc) => JSON.parse(doc) as T);
/** SQLite reads a negative LIMIT as "no limit". */
const limitOf = (limit: number | undefined): number => (limit === undefined ? -1 : Math.max(0, Math.floor(limit)));

export class SqliteIncidents {
  private readonly s;
  private readonly saveIncidentTx;

  constructor(db: Database.Database) {
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      upsertAlert: p(`INSERT INTO alerts (id, status, product_id, detector, raised_at_ms, last_seen_at_ms, doc)
        VALUES (@id, @status, @productId, @detector, @raisedAtMs, @lastSeenAtMs, @doc)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, product_id = excluded.product_id, detector = excluded.detector,
          raised_at_ms = excluded.raised_at_ms, last_seen_at_ms = excluded.last_seen_at_ms, doc = excluded.doc`),
      alertById: p('SELECT doc FROM alerts WHERE id = ?').pluck(),
      // `since` keeps alerts seen at or after it: a de-duplicated alert raised earlier but still
      // firing is current.
      listAlerts: p(`SELECT doc FROM alerts
        WHERE (@status IS NULL OR status = @status) AND (@productId IS NULL OR product_id = @productId)
          AND (@detector IS NULL OR detector = @detector) AND (@since IS NULL OR last_seen_at_ms >= @since)
        ORDER BY raised_at_ms DESC, id LIMIT @limit`).pluck(),
      incidentRevision: p('SELECT revision FROM incidents WHERE id = ?').pluck(),
      upsertIncident: p(`INSERT INTO incidents (id, status, developer_id, detected_at_ms, revision, doc)
        VALUES (@id, @status, @developerId, @detectedAtMs, @revision, @doc)
        ON CONFLICT (id) DO UPDATE SET status = excluded.status, developer_id = excluded.developer_id,
          detected_at_ms = excluded.detected_at_ms, revision = excluded.revision, doc = excluded.doc`),
      clearIncidentProducts: p('DELETE FROM incident_products WHERE incident_id = ?'),
      addIncidentProduct: p('INSERT OR IGNORE INTO incident_products (incident_id, product_id) VALUES (?, ?)'),
      incidentById: p('SELECT doc FROM incidents WHERE id = ?').pluck(),
      listIncidents: p(`SELECT doc FROM incidents i
        WHERE (@status IS NULL OR status = @status) AND (@developerId IS NULL OR developer_id = @developerId)
          AND (@productId IS NULL OR EXISTS (SELECT 1 FROM incident_products ip WHERE ip.incident_id = i.id AND ip.product_id = @productId))
        ORDER BY detected_at_ms DESC, id LIMIT @limit`).pluck(),
    };
    this.saveIncidentTx = db.transaction((incident: Incident, expectedRevision: number | null) => this.saveIncidentInTransaction(incident, expectedRevision));
  }

  saveAlert(alert: Alert): void {
    this.s.upsertAlert.run({
      id: alert.id,
      status: alert.status,
      productId: alert.productId ?? null,
      detector: alert.detector,
      raisedAtMs: Date.parse(alert.raisedAt),
      lastSeenAtMs: Date.parse(alert.lastSeenAt),
      doc: JSON.stringify(alert),
    });
  }

  alertById(id: string): Alert | null {
    const doc = this.s.alertById.get(id) as string | undefined;
    return doc ? (JSON.parse(doc) as Alert) : null;
  }

  listAlerts(filter: AlertFilter = {}): Alert[] {
    return parseAll<Alert>(
      this.s.listAlerts.all({
        status: filter.status ?? null,
        productId: filter.productId ?? null,
        detector: filter.detector ?? null,
        since: filter.since != null ? Date.parse(filter.since) : null,
        limit: limitOf(filter.limit),
      }),
    );
  }

  saveIncident(incident: Incident, expectedRevision: number | null): Incident {
    return this.saveIncidentTx.immediate(incident, expectedRevision);
  }

  incidentById(id: string): Incident | null {
    const doc = this.s.incidentById.get(id) as string | undefined;
    return doc ? (JSON.parse(doc) as Incident) : null;
  }

  listIncidents(filter: IncidentFilter = {}): Incident[] {
    return parseAll<Incident>(
      this.s.listIncidents.all({
        status: filter.status ?? null,
        productId: filter.productId ?? null,
        developerId: filter.developerId ?? null,
        limit: limitOf(filter.limit),
      }),
    );
  }

  private saveIncidentInTransaction(incident: Incident, expectedRevision: number | null): Incident {
    const actual = (this.s.incidentRevision.get(incident.id) as number | undefined) ?? null;
    if (actual !== expectedRevision) throw new StoreConflictError('INCIDENT', incident.id, expectedRevision, actual);
    const stored: Incident = { ...incident, revision: (actual ?? 0) + 1 };
    this.s.upsertIncident.run({
      id: stored.id,
      status: stored.status,
      developerId: stored.developerId ?? null,
      detectedAtMs: Date.parse(stored.detectedAt),
      revision: stored.revision,
      doc: JSON.stringify(stored),
    });
    this.s.clearIncidentProducts.run(stored.id);
    for (const productId of stored.productIds) this.s.addIncidentProduct.run(stored.id, productId);
    return stored;
  }
}
