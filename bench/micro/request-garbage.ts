/**
 * Issue 18, "less garbage per request": what each change saves per request, measured in
 * isolation on the enforced path's own inputs (the demo register, a dev product token, the
 * supergraph's API schema and the one-subgraph workload's operation).
 *
 * - caller: `resolveCaller` per request (before) against the memoised resolver's hit (after);
 * - variables: the second coercion the gateway's executor no longer runs (one getVariableValues);
 * - notes: the plugin's per-request sets and path map (before) against what it does now;
 * - introspection: the walk of the document for __schema/__type (before) against the per-document answer (after);
 * - assertion: the claims built and the signer's key text per subgraph request (before) against the
 *   frozen claims found by identity (after; the signature itself is reused in both);
 * - stages: ten pipeline stages each run in an async wrapper through `inSpan(null, …)` (before;
 *   inSpan itself was also async then, so this before is a little cheaper than the real one)
 *   against the runner's direct call without tracing (after).
 *
 * Figures are CPU time per operation (this process's user + system time), not wall time.
 * Run alone: `npx tsx bench/micro/request-garbage.ts [budgetMs]` (default 1500 ms per figure).
 * Timings live here, never in tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApolloGateway } from '@apollo/gateway';
import { getVariableValues, Kind, parse, visit, type OperationDefinitionNode } from 'graphql';
import { selectsIntrospection } from '../../authorisation/introspection.js';
import { createAssertionSigner } from '../../core/assertion.js';
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
import { timeOp as timeOpWall, timeSync as timeSyncWall, type OpCost } from './timing.js';

/**
 * The timing helpers' figures, but per op in CPU time of this process (user + system) rather than
 * wall time: on a machine shared with other work, wall time counts the waits for a CPU as well.
 */
function cpuPerOp<T extends OpCost>(measure: () => T): T {
  const before = process.cpuUsage();
  const cost = measure();
  const used = process.cpuUsage(before);
  return { ...cost, usPerOp: (used.user + used.system) / cost.ops };
}
const timeSync = (op: (i: number) => unknown, budgetMs: number, warmupOps = 200): OpCost => {
  // Warm up outside the CPU window, so the per-op figure counts only the timed calls.
  for (let i = 0; i < warmupOps; i++) op(i);
  return cpuPerOp(() => timeSyncWall(op, budgetMs, 0));
};
async function timeOp(op: (i: number) => unknown, budgetMs: number): Promise<OpCost> {
  for (let i = 0; i < 200; i++) await op(i);
  const before = process.cpuUsage();
  const cost = await timeOpWall(op, budgetMs, 0);
  const used = process.cpuUsage(before);
  return { ...cost, usPerOp: (used.user + used.system) / cost.ops };
}

export interface RequestGarbageResult {
  callerBefore: OpCost;
  callerAfter: OpCost;
  introspectionBefore: OpCost;
  introspectionAfter: OpCost;
  assertionBefore: OpCost;
  assertionAfter: OpCost;
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

    // The introspection check: a visit of the document per request (before), the per-document answer (after).
    const META = new Set(['__schema', '__type']);
    const introspectionBefore = timeSync(() => {
      let found = false;
      visit(document, { [Kind.FIELD]: (node) => (META.has(node.name.value) ? ((found = true), false) : undefined) });
      sink = found;
    }, budgetMs);
    const introspectionAfter = timeSync(() => (sink = selectsIntrospection(document)), budgetMs);

    // The assertion for one subgraph request: claims built afresh and keyed by text (before), or the frozen claims by identity (after).
    const signer = createAssertionSigner({ privateKey: env.keys.gateway.privateKey, kid: env.keys.gateway.kid, ttlS: 60 });
    const { caller, product } = resolved;
    const claimsNow = () => ({ sub: caller.sub, org: caller.org, softwareId: product?.id ?? null, softwareVersion: token.softwareVersion, developerId: product?.developerId ?? token.developerId, tier: caller.product?.tier ?? null, roles: [...caller.roles], mfa: caller.mfa, requestId: null });
    const frozen = Object.freeze({ ...claimsNow(), roles: Object.freeze([...caller.roles]) as string[] });
    const assertionBefore = await timeOp(() => signer.sign('clients', claimsNow()), budgetMs);
    const assertionAfter = await timeOp(() => signer.sign('clients', frozen), budgetMs);

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
    return { callerBefore, callerAfter, introspectionBefore, introspectionAfter, assertionBefore, assertionAfter, secondCoercion, notesBefore, notesAfter, stagesBefore, stagesAfter };
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
  console.log(`| introspection check | ${us(r.introspectionBefore)} | ${us(r.introspectionAfter)} | ${(r.introspectionBefore.usPerOp - r.introspectionAfter.usPerOp).toFixed(2)} |`);
  console.log(`| assertion, per subgraph request | ${us(r.assertionBefore)} | ${us(r.assertionAfter)} | ${(r.assertionBefore.usPerOp - r.assertionAfter.usPerOp).toFixed(2)} |`);
  console.log(`| ten stages without tracing | ${us(r.stagesBefore)} | ${us(r.stagesAfter)} | ${(r.stagesBefore.usPerOp - r.stagesAfter.usPerOp).toFixed(2)} |`);
}
