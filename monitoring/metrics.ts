/**
 * Prometheus metrics for `GET /metrics` (prom-client), on a registry of our own rather than the
 * process-wide default, so two gateways in one process (tests) never share or double-register
 * metrics. Request metrics are driven by committed access records: what is counted is exactly
 * what was logged. Label values are bounded: products the register does not know become
 * "unknown", codes outside core/errors.ts become "OTHER", and past `maxProductLabels` distinct
 * products the rest count as "other".
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AccessRecord } from '../audit/record.js';
import { isErrorCode } from '../core/errors.js';

/** Values read when Prometheus scrapes (gauges computed on demand). */
export interface MetricSources {
  /** Access records waiting in the writer's buffer. */
  bufferDepth?: () => number;
  /** Seconds since the registry snapshot last heard from the store. */
  snapshotAgeSeconds?: () => number;
  /** Alerts open now. */
  alertsOpen?: () => number;
}

export interface MetricsOptions {
  /** Whether a product id is on the register (else its label is "unknown"). Default: every id is known. */
  knownProduct?: (productId: string) => boolean;
  /** Distinct product label values before the rest become "other". Default 1000. */
  maxProductLabels?: number;
  /** Node process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  sources?: MetricSources;
}

export interface Metrics {
  readonly registry: Registry;
  readonly contentType: string;
  /** Counts one logged request (requests, latency, rate-limit refusals). */
  observeRequest(record: AccessRecord): void;
  /** One committed access-log batch: each record, and the commit latency. */
  observeBatch(records: readonly AccessRecord[], commitMs: number): void;
  /** Access-log commit latency alone, in seconds. */
  observeCommit(seconds: number): void;
  /** Sets (or replaces) the gauge sources read at scrape time. */
  setSources(sources: MetricSources): void;
  /** The exposition text. */
  metricsText(): Promise<string>;
}

export const REQUEST_DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
export const COMMIT_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** The quota a refusal came from, as far as the record tells: product tokens, staff, or neither. */
export function rateLimitScopeOf(record: AccessRecord): 'product' | 'staff' | 'anonymous' {
  if (record.productId) return 'product';
  return record.roles.length > 0 ? 'staff' : 'anonymous';
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const knownProduct = options.knownProduct ?? (() => true);
  const maxProductLabels = options.maxProductLabels ?? 1000;
  let sources: MetricSources = { ...options.sources };
  const productLabels = new Set<string>();

  const requests = new Counter({
    name: 'dsp_requests_total',
    help: 'Requests logged, by product, decision and first error code ("none" when served without error).',
    labelNames: ['product', 'decision', 'code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'dsp_request_duration_seconds',
    help: 'Gateway latency of logged requests, by decision.',
    labelNames: ['decision'] as const,
    buckets: REQUEST_DURATION_BUCKETS,
    registers: [registry],
  });
  const commit = new Histogram({
    name: 'dsp_access_log_commit_seconds',
    help: 'Time to make one batch of access records durable.',
    buckets: COMMIT_DURATION_BUCKETS,
    registers: [registry],
  });
  const uncertified = new Counter({
    name: 'dsp_uncertified_documents_total',
    help: 'Product requests whose document is not in the product\'s approved operation manifest, by product and trusted-documents mode (LOG: served, ENFORCE: refused).',
    labelNames: ['product', 'mode'] as const,
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'dsp_rate_limit_refusals_total',
    help: 'Requests refused RATE_LIMITED, by the kind of caller (product, staff, anonymous).',
    labelNames: ['scope'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'dsp_access_log_buffer_depth',
    help: 'Access records waiting to be committed.',
    registers: [registry],
    collect() {
      if (sources.bufferDepth) this.set(sources.bufferDepth());
    },
  });
  new Gauge({
    name: 'dsp_registry_snapshot_age_seconds',
    help: 'Seconds since the registry snapshot last heard from the store.',
    registers: [registry],
    collect() {
      if (sources.snapshotAgeSeconds) this.set(sources.snapshotAgeSeconds());
    },
  });
  new Gauge({
    name: 'dsp_alerts_open',
    help: 'Monitoring alerts open in this gateway instance.',
    registers: [registry],
    collect() {
      if (sources.alertsOpen) this.set(sources.alertsOpen());
    },
  });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  function productLabel(productId: string | null): string {
    if (!productId) return 'none';
    if (productLabels.has(productId)) return productId;
    if (!knownProduct(productId)) return 'unknown';
    if (productLabels.size >= maxProductLabels) return 'other';
    productLabels.add(productId);
    return productId;
  }

  function observeRequest(record: AccessRecord): void {
    const first = record.errorCodes[0] ?? record.reasons[0]?.code;
    const code = first === undefined ? 'none' : isErrorCode(first) ? first : 'OTHER';
    requests.inc({ product: productLabel(record.productId), decision: record.decision, code });
    duration.observe({ decision: record.decision }, Math.max(0, record.latencyMs) / 1000);
    if (record.errorCodes.includes('RATE_LIMITED')) rateLimited.inc({ scope: rateLimitScopeOf(record) });
    if (record.manifest && record.manifest.entry === null) uncertified.inc({ product: productLabel(record.productId), mode: record.manifest.mode });
  }

  return {
    registry,
    contentType: registry.contentType,
    observeRequest,
    observeBatch(records, commitMs) {
      for (const r of records) observeRequest(r);
      commit.observe(Math.max(0, commitMs) / 1000);
    },
    observeCommit: (seconds) => commit.observe(Math.max(0, seconds)),
    setSources(next) {
      sources = { ...sources, ...next };
    },
    metricsText: () => registry.metrics(),
  };
}
