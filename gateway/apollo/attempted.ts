/**
 * What a refused request tried to do, for its access record: a request refused before Apollo ran
 * (no token, a suspended or unregistered product, a quota spent) still names its operation, the
 * fields and services it selected and the clients it asked for, so an auditor can answer "who
 * tried to reach taxpayer X" and the detectors see refusals of every kind. Nothing is executed:
 * the document is parsed (within the operation limits) and walked against the schema, no more.
 * Best effort: anything that does not parse, validate or resolve to one operation leaves the
 * fields it could not establish empty.
 */
import { createHash } from 'node:crypto';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import type { DecisionCache } from '../../authorisation/decision-cache.js';
import { argumentString } from '../../authorisation/operation-analysis.js';
import { preParseCheck, type OperationLimits } from '../../limits/operation-limits/index.js';
import { searchOf } from '../../core/http.js';
import type { OperationFacts } from './context.js';
import type { FilteringGateway } from './filtering-gateway.js';

interface GraphQLParams {
  query: unknown;
  operationName: unknown;
  variables: unknown;
}

/** The GraphQL parameters of a request: the JSON body (POST) or the URL's search parameters (GET). */
export function graphQLParamsOf(body: unknown, url: string | undefined): GraphQLParams | null {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    return { query: b.query, operationName: b.operationName, variables: b.variables };
  }
  const raw = searchOf(url);
  if (!raw) return null;
  const search = new URLSearchParams(raw);
  let variables: unknown = null;
  try {
    variables = JSON.parse(search.get('variables') ?? 'null');
  } catch {
    variables = null;
  }
  return { query: search.get('query'), operationName: search.get('operationName'), variables };
}

export function describeAttempt(params: GraphQLParams | null, deps: { gateway: FilteringGateway; cache: DecisionCache; limits: OperationLimits }): OperationFacts | null {
  if (!params || typeof params.query !== 'string' || preParseCheck(params.query, deps.limits)) return null;
  const query = params.query;
  const documentHash = createHash('sha256').update(query).digest('hex');
  let operation: OperationDefinitionNode | undefined;
  let document;
  try {
    document = parse(query, { maxTokens: deps.limits.maxTokens, noLocation: true });
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    operation = typeof params.operationName === 'string' ? operations.find((o) => o.name?.value === params.operationName) : operations.length === 1 ? operations[0] : undefined;
  } catch {
    return { operationName: null, operationType: null, documentHash, coordinates: [], services: [], clientIds: [], reasons: [], errorCodes: null, subgraphs: [] };
  }
  const operationName = operation?.name?.value ?? (typeof params.operationName === 'string' ? params.operationName : null);
  const base: OperationFacts = { operationName, operationType: operation?.operation ?? null, documentHash, coordinates: [], services: [], clientIds: [], reasons: [], errorCodes: null, subgraphs: [] };
  const loaded = deps.gateway.current();
  if (!operation || !loaded) return base;
  try {
    // The same walk as an admitted request's (the document alone decides it), read from the
    // cache but never stored there: this parse is not the one admitted requests are filtered in.
    const analysis = deps.cache.describe(`${documentHash}\u0001${operationName ?? ''}`, loaded.apiSchema, document, operation, loaded.requirements);
    const variables = params.variables && typeof params.variables === 'object' ? (params.variables as Record<string, unknown>) : {};
    const clientIds = new Set<string>();
    for (const index of analysis.clientArgumentEntries) {
      for (const [, value] of analysis.entries[index]!.argumentValues) {
        const id = argumentString(value, variables);
        if (id) clientIds.add(id);
      }
    }
    // No more clients than an admitted operation could name (one per aliased or root field): the
    // operation limits never ran on this document, so without a bound one unauthenticated request
    // of 4,000 tokens would write hundreds of digests (and index rows) into its record (review s19d).
    const most = Math.max(1, deps.limits.maxAliases + deps.limits.maxRootFields);
    return { ...base, coordinates: analysis.coordinates, services: analysis.services, clientIds: [...clientIds].slice(0, most) };
  } catch {
    return base;
  }
}
