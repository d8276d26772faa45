/**
 * Field-authorisation cost per request (what the enforcement plugin runs in didResolveOperation:
 * `analyse` then `decide`, gateway/enforcement/decision-cache.ts) with a warm cache (hits) and
 * with none (size 0: every call walks the document and evaluates the directives — a miss).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ApolloGateway } from '@apollo/gateway';
import { getVariableValues, parse, type OperationDefinitionNode } from 'graphql';
import { loadConfig } from '../../core/config.js';
import type { DevKeyMaterial } from '../../core/keys.js';
import { createAuthenticator } from '../../gateway/auth/authenticator.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { resolveCaller } from '../../authorisation/caller.js';
import { createDecisionCache, type DecisionCache } from '../../authorisation/decision-cache.js';
import { createFilteringGateway } from '../../gateway/apollo/filtering-gateway.js';
import { createRegistrySnapshot } from '../../gateway/registry-snapshot.js';
import { SUPERGRAPH_PATH } from '../../gateway/server.js';
import type { Store } from '../../store/port.js';
import type { Workload } from '../workloads.js';
import { timeSync, type OpCost } from './timing.js';

export interface DecisionCostResult {
  workload: string;
  hit: OpCost;
  miss: OpCost;
}

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export async function measureDecisionCache(options: { store: Store; keys: DevKeyMaterial; workloads: Workload[]; budgetMs: number }): Promise<DecisionCostResult[]> {
  const gateway = createFilteringGateway(new ApolloGateway({ supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'), logger: silent }));
  await gateway.load({ apollo: {} });
  const loaded = gateway.current();
  if (!loaded) throw new Error('supergraph did not load');
  const snapshot = createRegistrySnapshot({ store: options.store });
  await snapshot.refresh();
  const config = loadConfig({ NODE_ENV: 'test' });
  const auth = await createAuthenticator({ auth: config.auth, jwks: options.keys.issuer.publicJwks }).authenticate(`Bearer ${await signDevToken(options.keys.issuer, { ttlS: 3000 }, config)}`);
  if (!auth.ok) throw new Error(`bench token refused: ${auth.denial.code}`);
  const resolved = resolveCaller(auth.token, snapshot, Date.now());
  if (resolved.denial) throw new Error(`bench product refused: ${resolved.denial.code}`);

  const results: DecisionCostResult[] = [];
  for (const w of options.workloads) {
    const document = parse(w.query);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
    const analysisKey = `${createHash('sha256').update(w.query).digest('hex')}\u0001${w.operationName}`;
    const variables = w.bodies.map((b) => {
      const raw = (JSON.parse(b) as { variables: Record<string, unknown> }).variables;
      const coerced = getVariableValues(loaded.apiSchema, operation.variableDefinitions ?? [], raw);
      if (coerced.errors) throw new Error(`${w.name}: ${coerced.errors[0]!.message}`);
      return coerced.coerced;
    });
    const step = (cache: DecisionCache, i: number) => {
      const analysis = cache.analyse(analysisKey, loaded.apiSchema, document, operation, loaded.requirements);
      const { decision } = cache.decide(analysisKey, analysis, document, w.operationName, resolved.caller, resolved.grantsKey, variables[i % variables.length], resolved.at);
      if (decision.refused.length) throw new Error(`${w.name}: refused ${decision.refused[0]!.denial.code}`);
    };
    const warm = createDecisionCache(10_000);
    const hit = timeSync((i) => step(warm, i), options.budgetMs);
    const s = warm.stats();
    if (s.decisionMisses > variables.length) throw new Error(`${w.name}: warm cache missed ${s.decisionMisses} times`);
    const cold = createDecisionCache(0);
    const miss = timeSync((i) => step(cold, i), options.budgetMs, 20);
    results.push({ workload: w.name, hit, miss });
  }
  await gateway.stop();
  return results;
}
