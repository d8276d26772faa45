/** Builds and starts subgraphs by name: one place that knows what each subgraph needs. */
import { createAssertionVerifier } from '../core/assertion.js';
import { createRequestVerifier } from '../core/request-signature.js';
import type { SubgraphKeys } from '../core/keys.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/port.js';
import { accountsSubgraph } from './accounts/index.js';
import { auditSubgraph } from './audit/index.js';
import { clientsSubgraph } from './clients/index.js';
import { lodgmentsSubgraph } from './lodgments/index.js';
import { registrySubgraph } from './registry/index.js';
import { SUBGRAPH_NAMES, type SubgraphName } from './shared/sdl.js';
import type { Tracer } from '@opentelemetry/api';
import { startSubgraphServer, type RunningServer, type SubgraphDefinition } from './shared/server.js';

export { SUBGRAPH_NAMES, type SubgraphName };

/** Default ports: 4001–4005 in SUBGRAPH_NAMES order. */
export const DEFAULT_SUBGRAPH_PORTS: Record<SubgraphName, number> = { clients: 4001, lodgments: 4002, accounts: 4003, registry: 4004, audit: 4005 };

export interface SubgraphDeps {
  /** The register and access log: the registry and audit subgraphs only (the others hold no store credentials). */
  store: Store | null;
  /** What the subgraph verifies with: never a private key (core/keys.ts loadSubgraphKeys). */
  keys: SubgraphKeys;
  now?: () => number;
}

/** The subgraphs that read or write the store; the others are given none. */
export function subgraphNeedsStore(name: SubgraphName): boolean {
  return name === 'registry' || name === 'audit';
}

function storeOf(name: SubgraphName, deps: SubgraphDeps): Store {
  if (!deps.store) throw new Error(`the ${name} subgraph needs the store`);
  return deps.store;
}

export function buildSubgraph(name: SubgraphName, deps: SubgraphDeps): SubgraphDefinition {
  switch (name) {
    case 'clients':
      return clientsSubgraph();
    case 'lodgments':
      return lodgmentsSubgraph();
    case 'accounts':
      return accountsSubgraph();
    case 'registry':
      return registrySubgraph({ store: storeOf(name, deps), ...(deps.now ? { now: deps.now } : {}) });
    case 'audit':
      if (!deps.keys.hmacKey) throw new Error('the audit subgraph needs the audit HMAC key');
      return auditSubgraph({ store: storeOf(name, deps), hmacKey: deps.keys.hmacKey, gatewayJwks: deps.keys.gatewayJwks });
  }
}

export async function startSubgraph(name: SubgraphName, deps: SubgraphDeps & { host: string; port: number; logger: Logger; tracer?: Tracer | null }): Promise<RunningServer> {
  const clock = deps.now ? { now: deps.now } : {};
  const verifier = createAssertionVerifier({ jwks: deps.keys.gatewayJwks, audience: name, ...clock });
  const requestVerifier = createRequestVerifier({ key: deps.keys.subgraphMacKey, ...clock });
  return startSubgraphServer(buildSubgraph(name, deps), { host: deps.host, port: deps.port, verifier, requestVerifier, logger: deps.logger, tracer: deps.tracer ?? null });
}
