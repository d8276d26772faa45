/**
 * /readyz: ready when the supergraph is loaded, the store answers, the registry snapshot is
 * fresh, the access log accepts records and every subgraph answers its /healthz. Subgraph probes
 * are cached briefly so a load balancer polling readiness adds no load to the subgraphs.
 *
 * The endpoint is anonymous (load balancers and orchestrators call it), so the report names each
 * check and its outcome only: never a subgraph URL, an error text or an instance id.
 */
import type { Store } from '../../store/port.js';
import type { AccessLogWriter } from '../access-log/writer.js';
import type { FilteringGateway } from '../apollo/filtering-gateway.js';
import type { RegistrySnapshot } from '../registry-snapshot.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

export function createReadiness(deps: { gateway: FilteringGateway; store: Pick<Store, 'ping'>; snapshot: RegistrySnapshot; writer: AccessLogWriter; subgraphUrls: Readonly<Record<string, string>>; now: () => number; cacheMs?: number }) {
  const cacheMs = deps.cacheMs ?? 2000;
  let cached: { at: number; ok: Record<string, boolean> } | null = null;

  async function probeSubgraphs(): Promise<Record<string, boolean>> {
    const t = deps.now();
    if (cached && t - cached.at < cacheMs) return cached.ok;
    const results = await Promise.all(
      Object.entries(deps.subgraphUrls).map(async ([name, url]) => {
        try {
          const res = await fetch(new URL('/healthz', url), { signal: AbortSignal.timeout(1000) });
          return [name, res.ok] as const;
        } catch {
          return [name, false] as const;
        }
      }),
    );
    cached = { at: t, ok: Object.fromEntries(results.map(([name, ok]) => [`subgraph:${name}`, ok])) };
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
        accessLog: deps.writer.accepting(),
        ...(await probeSubgraphs()),
      };
      return { ready: Object.values(checks).every(Boolean), checks };
    },
  };
}
