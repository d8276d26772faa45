/**
 * Issue 18, "less garbage per request": what each change saves per request, measured in
 * isolation on the enforced path's own inputs (the demo register, a dev product token, the
 * supergraph's API schema and the one-subgraph workload's operation).
 *
 * - caller: `resolveCaller` per request (before) against the memoised resolver's hit (after);
 * - variables: the second coercion the gateway's executor no longer runs (one getVariableValues);
 * - notes: the plugin's per-request sets and path map (before) against what it does now;
 * - stages: ten pipeline stages run through `inSpan(null, …)` with async wrappers (before)
 *   against the runner's direct call without tracing (after).
 *
 * Run alone: `npx tsx bench/micro/request-garbage.ts [budgetMs]` (default 1500 ms per figure).
 * Timings live here, never in tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApolloGateway } from '@apollo/gateway';
import { getVariableValues, parse, type OperationDefinitionNode } from 'graphql';
import { createCallerResolver, resolveCaller } from '../../authorisation/caller.js';
import { createDecisionCache } from '../../authorisation/decision-cache.js';
import { loadConfig } from '../../core/config.js';
import { inSpan } from '../../core/tracing.js';
import { createFilteringGateway } from '../../gateway/apollo/filtering-gateway.js';
import { createAuthenticator } from '../../gateway/auth/authenticator.js';
import { signDevToken } from '../../gateway/auth/dev-tokens.js';
import { runStages, type Stage } from '../../gateway/pipeline.js';
import { createRegistrySnapshot } from '../../gateway/registry-snapshot.js';
import { SUPERGRAPH_PATH } from '../../gateway/server.js';
import { prepareEnvironment } from '../setup.js';
import { workloads } from '../workloads.js';
import { timeOp, timeSync, type OpCost } from './timing.js';

export interface RequestGarbageResult {
  callerBefore: OpCost;
  callerAfter: OpCost;
  secondCoercion: OpCost;
  notesBefore: OpCost;
  notesAfter: OpCost;
  stagesBefore: OpCost;
  stagesAfter: OpCost;
}

const silent = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The plugin's bookkeeping before issue 18: a set per union, and the path → coordinate map on every request. */
function unionBefore<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...new Set([...a, ...b])];
}

export async function measureRequestGarbage(budgetMs: number): Promise<RequestGarbageResult> {
  const env = await prepareEnvironment();
  try {
    const config = loadConfig({ NODE_ENV: 'test' });
    const snapshot = createRegistrySnapshot({ store: env.store });
    await snapshot.refresh();
    const auth = await createAuthenticator({ auth: config.auth, jwks: env.keys.issuer.publicJwks }).authenticate(`Bearer ${await signDevToken(env.keys.issuer, { ttlS: 3000 }, config)}`);
    if (!auth.ok) throw new Error(`bench token refused: ${auth.denial.code}`);
    const token = auth.token;

    // Caller: rebuilt per request, against the memo's hit (the same token object, as the token cache hands it out).
    const callerBefore = timeSync((i) => resolveCaller(token, snapshot, Date.now() + (i & 1)), budgetMs);
    const memoised = createCallerResolver(snapshot);
    if (memoised(token, Date.now()).denial) throw new Error('bench product refused');
    const callerAfter = timeSync((i) => memoised(token, Date.now() + (i & 1)), budgetMs);

    // The coercion the gateway's executor repeated (gateway/apollo/coerce-once.ts removes it).
    const gateway = createFilteringGateway(new ApolloGateway({ supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'), logger: silent }));
    await gateway.load({ apollo: {} } as never);
    const loaded = gateway.current()!;
    const w = workloads().one;
    const document = parse(w.query);
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === 'OperationDefinition')!;
    const variables = w.bodies.map((b) => (JSON.parse(b) as { variables: Record<string, unknown> }).variables);
    const secondCoercion = timeSync((i) => getVariableValues(loaded.apiSchema, operation.variableDefinitions ?? [], variables[i % variables.length]!), budgetMs);

    // The plugin's notes for one operation: before (three sets, the path map) and after (references).
    const cache = createDecisionCache(1000);
    const analysis = cache.analyse('one', loaded.apiSchema, document, operation, loaded.requirements);
    const resolved = memoised(token, Date.now());
    const decision = cache.decide('one', analysis, document, w.operationName, resolved.caller, resolved.grantsKey, { id: 'C-000001' }, resolved.at).decision;
    const empty: readonly string[] = [];
    let sink: unknown;
    const notesBefore = timeSync(() => {
      const coordinates = unionBefore(empty, analysis.coordinates);
      const services = unionBefore(empty, analysis.services);
      const byPath = new Map(analysis.entries.map((e) => [e.path.join('.'), e.coordinate]));
      const clientIds = unionBefore(empty, decision.clientIds);
      const errorCodes = unionBefore(empty, ([] as Array<{ extensions?: { code?: unknown } }>).map((e) => e.extensions?.code).filter((c): c is string => typeof c === 'string'));
      const reasons: unknown[] = [];
      const seen = new Set(reasons.map(() => ''));
      sink = [coordinates, services, byPath, clientIds, errorCodes, seen];
    }, budgetMs);
    const notesAfter = timeSync(() => {
      sink = [analysis.coordinates, analysis.services, decision.clientIds];
    }, budgetMs);
    void sink;
    await gateway.stop();

    // Ten stages, as many synchronous as in /graphql, run as before (inSpan without a tracer) and now.
    const stages: Stage[] = Array.from({ length: 10 }, (_, k) => (k % 3 === 0 ? { name: `s${k}`, run: async () => ({ facts: {} }) } : { name: `s${k}`, run: () => ({}) }));
    stages.push({ name: 'answer', run: () => ({ answer: { status: 200, body: '', headers: new Map(), errorCodes: [], refusal: null } }) });
    const arrival = { requestId: 'r', arrivedAt: 0, startedAt: 0, method: 'POST', clientIp: null, userAgent: null };
    const stagesBefore = await timeOp(async () => {
      for (const stage of stages) {
        const result = await inSpan(null, stage.name, async () => stage.run(null as never, { arrival }));
        if (result.answer) return;
      }
    }, budgetMs);
    const stagesAfter = await timeOp(() => runStages(stages, null as never, arrival, null), budgetMs);
    return { callerBefore, callerAfter, secondCoercion, notesBefore, notesAfter, stagesBefore, stagesAfter };
  } finally {
    await env.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const budget = Number(process.argv[2] ?? 1500);
  const r = await measureRequestGarbage(budget);
  const us = (c: OpCost) => c.usPerOp.toFixed(2);
  console.log('| per request | before µs | after µs | saved µs |');
  console.log('|---|---|---|---|');
  console.log(`| caller resolution | ${us(r.callerBefore)} | ${us(r.callerAfter)} | ${(r.callerBefore.usPerOp - r.callerAfter.usPerOp).toFixed(2)} |`);
  console.log(`| variable coercion (the gateway's repeat) | ${us(r.secondCoercion)} | 0 | ${us(r.secondCoercion)} |`);
  console.log(`| plugin notes (sets, path map) | ${us(r.notesBefore)} | ${us(r.notesAfter)} | ${(r.notesBefore.usPerOp - r.notesAfter.usPerOp).toFixed(2)} |`);
  console.log(`| ten stages without tracing | ${us(r.stagesBefore)} | ${us(r.stagesAfter)} | ${(r.stagesBefore.usPerOp - r.stagesAfter.usPerOp).toFixed(2)} |`);
}
