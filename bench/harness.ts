/**
 * The set-up the side scripts share (ablate, profile-compare, profile-workload): a fresh
 * benchmark environment, this process and the subgraphs pinned apart from the gateway CPU, the
 * enforced gateway's environment, the load product's identity and a token for it. `npm run bench`
 * (run.ts) does the same with more variants.
 */
import { loadConfig } from '../core/config.js';
import { devIssuerJwksPath } from '../core/keys.js';
import { signDevToken } from '../gateway/auth/dev-tokens.js';
import { DEMO_ORGS } from '../registry/demo-register.js';
import { forkServer, type ServerChild } from './child/children.js';
import type { AssertedIdentity, ChildSpec } from './child/protocol.js';
import { choosePlacement, pin, type Placement } from './pinning.js';
import { enforcedGatewayEnv, LOAD_PRODUCT, prepareEnvironment, type BenchEnvironment } from './setup.js';

export interface BenchHarness {
  env: BenchEnvironment;
  placement: Placement;
  subgraphs: ServerChild;
  /** The enforced gateway's environment (`npm run bench`'s). */
  gatewayEnv: Record<string, string>;
  /** The load product's caller, as the bare gateway asserts it. */
  identity: AssertedIdentity;
  /** `authorization: Bearer <token>` for the load product. */
  auth: Record<string, string>;
  /** The bare gateway with DSP Gateway's subgraph transport. */
  bareHttpSpec(): ChildSpec;
  /** Stops the subgraphs and removes the environment. */
  dispose(): Promise<void>;
}

export async function startHarness(): Promise<BenchHarness> {
  const env = await prepareEnvironment();
  const placement = choosePlacement(true);
  pin(process.pid, placement.others);
  const subgraphs = await forkServer('subgraphs', { role: 'subgraphs', dataDir: env.dataDir, storeUrl: env.storeUrl, hmacKeyBase64: env.hmacKeyBase64 });
  pin(subgraphs.pid, placement.others);
  const gatewayEnv = enforcedGatewayEnv(env, subgraphs.urls, devIssuerJwksPath(env.dataDir));
  const config = loadConfig(gatewayEnv);
  const product = (await env.store.productById(LOAD_PRODUCT))!;
  const identity: AssertedIdentity = { sub: 'bench-user', org: DEMO_ORGS.practitioner, softwareId: LOAD_PRODUCT, softwareVersion: '2.1.0', developerId: product.developerId, tier: product.certification?.tier ?? 'STANDARD' };
  const token = await signDevToken(env.keys.issuer, { product: LOAD_PRODUCT, version: identity.softwareVersion, sub: identity.sub, org: identity.org, ttlS: 3000 }, config);
  return {
    env,
    placement,
    subgraphs,
    gatewayEnv,
    identity,
    auth: { authorization: `Bearer ${token}` },
    bareHttpSpec: () => ({ role: 'bare', dataDir: env.dataDir, hmacKeyBase64: env.hmacKeyBase64, subgraphUrls: subgraphs.urls, assertion: identity, transport: 'node-http' }),
    async dispose() {
      await subgraphs.stop();
      await env.dispose();
    },
  };
}
