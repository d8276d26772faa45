/** Monitoring (DESIGN.md §8): detectors and alerts, incidents from high-risk alerts, metrics, the dashboard. */
export { createMonitor, type Monitor, type MonitorOptions, type MonitorStats, type SuspendProduct } from './monitor.js';
export { createMetrics, rateLimitScopeOf, type Metrics, type MetricsOptions, type MetricSources } from './metrics.js';
export { createMetricsEndpoint, bearerMatches, type MetricsEndpointOptions } from './metrics-endpoint.js';
export { createDashboard, DASHBOARD_PATH, type Dashboard, type DashboardDeps, type DashboardData } from './dashboard/index.js';
export { createDetectors, DEFAULT_DETECTOR_THRESHOLDS, resolveThresholds, type AlertCandidate, type Detector, type DetectorThresholds } from './detectors/index.js';
export { createRateHistory, type RateHistory, type RateSnapshot } from './rate-history.js';
