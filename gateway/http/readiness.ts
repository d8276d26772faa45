/**
 * /readyz: ready when the supergraph is loaded, the store answers, the registry snapshot is
 * fresh, the access log accepts records and has not been retrying a refused write for longer
 * than a grace period, and every subgraph answers its /healthz. Subgraph probes are cached briefly so a load balancer polling readiness
 * adds no load to the subgraphs.
 *
 * The access log's check: a store can answer its ping and still refuse writes (a full disk, a
 * MongoDB user that lost its write role). The writer then retries the same batch, and every
 * request behind it waits for its record; until the buffer fills, `accepting()` alone would still
 * say ready, and a load balancer would keep sending requests to wait there. So once the writer
 * has been retrying for `accessLogRetryGraceMs` (default 5 s, the writer's longest backoff) the
 * instance is not ready; its first store call that succeeds makes it ready again. The grace
 * period: instances sharing one store see its blips together (a primary stepdown, a write
 * concern timeout), and a blip the retries ride out must not take every instance out at once.
 *
 * The endpoint is anonymous (load balancers and orchestrators call it), so the report names each
 * check and its outcome only: never a subgraph URL or name, an error text or an instance id. The
 * subgraphs are one check (`subgraphs`: every one answers); which one does not is logged.
 */
import type { Logger } from '../../core/logger.js';
import type { Store } from '../../store/port.js';
import { DEFAULT_RETRY_MAX_MS, type AccessLogWriter } from '../access-log/writer.js';
import type { FilteringGateway } from '../apollo/filtering-gateway.js';
import type { RegistrySnapshot } from '../registry-snapshot.js';

/** How long the access-log writer may retry a refused store call before the instance is not ready, ms: its longest backoff. */
export const DEFAULT_ACCESS_LOG_RETRY_GRACE_MS = DEFAULT_RETRY_MAX_MS;

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

export function createReadiness(deps: { gateway: FilteringGateway; store: Pick<Store, 'ping'>; snapshot: RegistrySnapshot; writer: Pick<AccessLogWriter, 'accepting' | 'stats'>; subgraphUrls: Readonly<Record<string, string>>; now: () => number; cacheMs?: number; probeTimeoutMs?: number; accessLogRetryGraceMs?: number; logger?: Pick<Logger, 'warn'> }) {
  const cacheMs = deps.cacheMs ?? 2000;
  /** How long a subgraph's /healthz may take, ms (real time: a network wait). */
  const probeTimeoutMs = deps.probeTimeoutMs ?? 1000;
  const graceMs = deps.accessLogRetryGraceMs ?? DEFAULT_ACCESS_LOG_RETRY_GRACE_MS;

  /** The writer takes records and has not been retrying a refused store call for longer than the grace period. */
  function accessLogReady(): boolean {
    if (!deps.writer.accepting()) return false;
    const since = deps.writer.stats().retryingSinceMs;
    return since === null || deps.now() - since < graceMs;
  }
  let cached: { at: number; ok: boolean } | null = null;
  /** The probe in flight: callers arriving meanwhile share it (an anonymous burst costs one probe, not one each). */
  let inFlight: Promise<boolean> | null = null;

  /** Whether every subgraph answers its /healthz (those that do not are logged, not reported). */
  function probeSubgraphs(): Promise<boolean> {
    const t = deps.now();
    if (cached && t - cached.at < cacheMs) return Promise.resolve(cached.ok);
    inFlight ??= probe(t).finally(() => (inFlight = null));
    return inFlight;
  }

  async function probe(t: number): Promise<boolean> {
    const results = await Promise.all(
      Object.entries(deps.subgraphUrls).map(async ([name, url]) => {
        try {
          const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(probeTimeoutMs) });
          return [name, res.ok] as const;
        } catch {
          return [name, false] as const;
        }
      }),
    );
    const down = results.filter(([, ok]) => !ok).map(([name]) => name);
    if (down.length) deps.logger?.warn({ subgraphs: down }, 'readiness: subgraphs not answering /healthz');
    cached = { at: t, ok: down.length === 0 };
    return cached.ok;
  }

  return {
    async check(): Promise<ReadinessReport> {
      const store = await deps.store.ping().then(
        () => true,
        () => false,
      );
      const checks: Record<string, boolean> = {
        supergraph: deps.gateway.current() !== null,
        store,
        registry: deps.snapshot.fresh(),
        accessLog: accessLogReady(),
        subgraphs: await probeSubgraphs(),
      };
      return { ready: Object.values(checks).every(Boolean), checks };
    },
  };
}
