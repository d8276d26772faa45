/**
 * The JSON behind the dashboard (`GET /dashboard/data`): what an operator needs at a glance.
 * Open alerts come from the store (every gateway instance) merged with this instance's
 * in-memory ones (fresher: they include updates not yet written); a store that does not answer
 * leaves the in-memory view and says so in `degraded`, rather than blanking the page.
 */
import type { Alert, Incident } from '../incident-model.js';
import { RISKS } from '../incident-model.js';
import { DUE_SOON_MS, isDueSoon, isOverdue } from '../incidents.js';
import type { Logger } from '../../core/logger.js';
import { currentProductStatus, productDenialAt } from '../../registry/effective-status.js';
import type { Developer, Product } from '../../registry/model.js';
import type { MonitoringReader } from '../ports.js';
import type { Monitor } from '../monitor.js';
import { OTHER_PRODUCTS } from '../rate-history.js';

export interface DashboardSources {
  monitor: Pick<Monitor, 'openAlerts' | 'rates'>;
  store: MonitoringReader;
  registry: { products(): Iterable<Product>; developer(id: string): Developer | undefined };
  logger?: Logger;
}

export interface DashboardAlert {
  id: string;
  detector: string;
  risk: Alert['risk'];
  key: string;
  productId: string | null;
  observed: number;
  baseline: number | null;
  message: string;
  raisedAt: string;
  lastSeenAt: string;
  incidentId: string | null;
  evidenceCount: number;
}

export interface DashboardIncident {
  id: string;
  title: string;
  risk: Incident['risk'];
  status: Incident['status'];
  source: Incident['source'];
  detectedAt: string;
  notifyBy: string;
  dueSoon: boolean;
  overdue: boolean;
  productIds: string[];
}

export interface DashboardProduct {
  id: string;
  name: string;
  developerId: string;
  developerStatus: string | null;
  status: string;
  effectiveStatus: string;
  /** The product check's code at the product's minimum version, or null when served. */
  blockedBy: string | null;
  served: boolean;
  certificationTier: string | null;
  certificationValidUntil: string | null;
}

export interface DashboardData {
  generatedAt: string;
  rates: { slotMs: number; bucketStarts: string[]; totals: number[]; series: Array<{ productId: string; counts: number[]; total: number }> };
  denialsByCode: Array<{ code: string; count: number }>;
  alerts: DashboardAlert[];
  incidents: DashboardIncident[];
  products: DashboardProduct[];
  summary: { requestsLastHour: number; alertsOpen: number; alertsHigh: number; incidentsOpen: number; incidentsDueSoon: number; productsBlocked: number; products: number };
  /** What could not be read (the rest of the page is still current). */
  degraded: string[];
}

/** Products drawn as their own line; the rest are summed into "(other)" so the chart stays legible. */
export const CHART_SERIES = 8;
const LIST_LIMIT = 200;

const riskRank = (r: Alert['risk']) => RISKS.indexOf(r);

function chartSeries(series: Array<{ productId: string; counts: number[]; total: number }>): Array<{ productId: string; counts: number[]; total: number }> {
  if (series.length <= CHART_SERIES) return series;
  const named = series.filter((s) => s.productId !== OTHER_PRODUCTS);
  const shown = named.slice(0, CHART_SERIES - 1);
  const rest = [...named.slice(CHART_SERIES - 1), ...series.filter((s) => s.productId === OTHER_PRODUCTS)];
  const counts = rest[0]!.counts.map((_, i) => rest.reduce((sum, s) => sum + (s.counts[i] ?? 0), 0));
  return [...shown, { productId: OTHER_PRODUCTS, counts, total: counts.reduce((a, b) => a + b, 0) }];
}

/**
 * @param alertMaxAgeMs stored OPEN alerts not seen for this long are left out: an instance that
 * stopped without closing its alerts must not leave them on the page for ever. Default 1 h.
 */
export async function buildDashboardData(sources: DashboardSources, now: number, dueSoonMs: number = DUE_SOON_MS, alertMaxAgeMs: number = 3_600_000): Promise<DashboardData> {
  const degraded: string[] = [];
  const rates = sources.monitor.rates();

  const alertsById = new Map<string, Alert>();
  try {
    for (const a of await sources.store.listAlerts({ status: 'OPEN', since: new Date(now - alertMaxAgeMs).toISOString(), limit: LIST_LIMIT })) alertsById.set(a.id, a);
  } catch (err) {
    sources.logger?.warn({ err }, 'dashboard: alerts could not be read from the store');
    degraded.push('alerts from other gateway instances');
  }
  for (const a of sources.monitor.openAlerts()) alertsById.set(a.id, a);
  const alerts = [...alertsById.values()]
    .filter((a) => a.status === 'OPEN')
    .sort((a, b) => riskRank(b.risk) - riskRank(a.risk) || b.lastSeenAt.localeCompare(a.lastSeenAt) || a.id.localeCompare(b.id))
    .map(
      (a): DashboardAlert => ({
        id: a.id,
        detector: a.detector,
        risk: a.risk,
        key: a.key,
        productId: a.productId,
        observed: a.observed,
        baseline: a.baseline,
        message: a.message,
        raisedAt: a.raisedAt,
        lastSeenAt: a.lastSeenAt,
        incidentId: a.incidentId,
        evidenceCount: a.evidence.length,
      }),
    );

  let incidents: DashboardIncident[] = [];
  try {
    incidents = (await sources.store.listIncidents({ limit: LIST_LIMIT }))
      .filter((i) => i.status !== 'RESOLVED')
      .sort((a, b) => a.notifyBy.localeCompare(b.notifyBy) || a.id.localeCompare(b.id))
      .map((i) => ({
        id: i.id,
        title: i.title,
        risk: i.risk,
        status: i.status,
        source: i.source,
        detectedAt: i.detectedAt,
        notifyBy: i.notifyBy,
        dueSoon: isDueSoon(i, now, dueSoonMs),
        overdue: isOverdue(i, now),
        productIds: i.productIds,
      }));
  } catch (err) {
    sources.logger?.warn({ err }, 'dashboard: incidents could not be read from the store');
    degraded.push('incidents');
  }

  const products: DashboardProduct[] = [...sources.registry.products()]
    .map((p) => {
      const developer = sources.registry.developer(p.developerId);
      const refusal = productDenialAt(p, developer, p.minimumVersion, now);
      return {
        id: p.id,
        name: p.name,
        developerId: p.developerId,
        developerStatus: developer?.status ?? null,
        status: p.status,
        effectiveStatus: currentProductStatus(p, now),
        blockedBy: refusal?.code ?? null,
        served: refusal === null,
        certificationTier: p.certification?.tier ?? null,
        certificationValidUntil: p.certification?.validUntil ?? null,
      };
    })
    .sort((a, b) => a.id.localeCompare(b.id));

  return {
    generatedAt: new Date(now).toISOString(),
    rates: { slotMs: rates.slotMs, bucketStarts: rates.bucketStarts.map((t) => new Date(t).toISOString()), totals: rates.totals, series: chartSeries(rates.series) },
    denialsByCode: rates.denialsByCode,
    alerts,
    incidents,
    products,
    summary: {
      requestsLastHour: rates.totals.reduce((a, b) => a + b, 0),
      alertsOpen: alerts.length,
      alertsHigh: alerts.filter((a) => a.risk === 'HIGH').length,
      incidentsOpen: incidents.length,
      incidentsDueSoon: incidents.filter((i) => i.dueSoon).length,
      productsBlocked: products.filter((p) => !p.served).length,
      products: products.length,
    },
    degraded,
  };
}
