/**
 * Wraps @apollo/gateway so refused fields never reach the query planner: the executor is called
 * with the filtered document, its operation and a NEW queryHash (the plan cache key). Keeping
 * the original hash would let one caller's filtered plan be served to the next caller, or a full
 * plan to a restricted one (DESIGN.md §3). Also builds the requirement map on every supergraph
 * load and refuses to load a supergraph with an uncovered reachable field.
 */
import type { GatewayExecutor, GatewayInterface, GatewayLoadResult } from '@apollo/server-gateway-interface';
import { GraphQLError, isScalarType, type GraphQLSchema } from 'graphql';
import { GraphQLSafeInt } from 'graphql-scalars';
import { CodedError } from '../../core/errors.js';
import { MAX_ERRORS, UNAVAILABLE_MESSAGE } from '../subgraphs/answer-errors.js';
import { buildRequirementMap, uncoveredFields, type RequirementMap } from '../../authorisation/requirement-map.js';
import type { GatewayContext } from './context.js';
import { patchResponse } from '../../authorisation/field-decision.js';
import { attachAssumedSizes, readAssumedSizes } from '../../limits/operation-limits/index.js';

export interface LoadedSupergraph {
  apiSchema: GraphQLSchema;
  requirements: RequirementMap;
}

export class UncoveredFieldsError extends Error {
  override readonly name = 'UncoveredFieldsError';
  constructor(readonly fields: string[]) {
    super(`Refusing to serve: ${fields.length} field(s) reachable from a root type carry no enforcement directive (on the field or its type): ${fields.join(', ')}`);
  }
}

export interface FilteringGateway extends GatewayInterface {
  /** The current supergraph's API schema and requirement map (null before the first load). */
  current(): LoadedSupergraph | null;
}

/**
 * Runs the gateway's executor. It throws only when it cannot plan the operation (subgraph
 * failures come back as errors in the result): a document that parsed and validated but that the
 * planner rejects. Nothing was fetched, and the document is the caller's, so that is a 400, not
 * the 500 Apollo would make of it. A throw that is not a GraphQL error is a bug and stays one.
 */
async function planned(executor: GatewayExecutor, requestContext: Parameters<GatewayExecutor>[0]): ReturnType<GatewayExecutor> {
  try {
    const result = valueCompletionAsErrors(await executor(requestContext));
    // @apollo/gateway answers a failure of its own post-processing (or of reading the operation)
    // with errors and no `data`, which Apollo Server takes for a variable-coercion refusal and
    // answers 400: an INTERNAL_SERVER_ERROR the caller would be blamed for, counted as a denial
    // by monitoring (session 33's review, S33-A). With `data: null` the status is the errors' own.
    return result.data === undefined && result.errors?.length ? { ...result, data: null } : result;
  } catch (err) {
    if (err instanceof GraphQLError && !(err instanceof CodedError)) {
      throw new CodedError('GRAPHQL_VALIDATION_FAILED', 'The operation cannot be executed against this schema.', { details: { reason: 'not_plannable' } });
    }
    throw err;
  }
}

/**
 * @apollo/gateway nulls a value a subgraph answered that does not fit its field's type (an object
 * for a String, a string for an Int) and, when no fetch failed, says so in the answer's
 * `extensions.valueCompletion`: an answer extension, which Apollo Server passes to the caller as
 * it is, past formatError, and which the access record never sees (session 32's review, F6). Each
 * becomes the error it is: the service did not answer that field.
 */
function valueCompletionAsErrors(result: Awaited<ReturnType<GatewayExecutor>>): Awaited<ReturnType<GatewayExecutor>> {
  const completion = result.extensions?.valueCompletion;
  if (completion === undefined) return result;
  const { valueCompletion: _v, ...extensions } = result.extensions!;
  const paths = (Array.isArray(completion) ? completion : []).slice(0, MAX_ERRORS).map((e) => (e as { path?: unknown } | null)?.path);
  const errors = (paths.length ? paths : [undefined]).map(
    (path) => new CodedError('SUBGRAPH_UNAVAILABLE', UNAVAILABLE_MESSAGE, { ...(Array.isArray(path) && path.length ? { path: path as Array<string | number> } : {}), status: 200 }),
  );
  const { extensions: _e, ...rest } = result;
  return { ...rest, ...(Object.keys(extensions).length ? { extensions } : {}), errors: [...(result.errors ?? []), ...errors] };
}

/**
 * A custom scalar in the supergraph accepts any input value: the gateway would pass `1e400` (JSON
 * Infinity, sent on as null) to a subgraph, and the query planner throws a plain Error (a 500) on
 * a literal it cannot print back (`fromSeq: 1e400`). The subgraphs' own parsers are given to the
 * API schema's scalars, so such values are refused at validation and variable coercion (400).
 */
function withScalarParsers(apiSchema: GraphQLSchema): void {
  const safeInt = apiSchema.getType('SafeInt');
  if (isScalarType(safeInt)) Object.assign(safeInt, { parseValue: GraphQLSafeInt.parseValue, parseLiteral: GraphQLSafeInt.parseLiteral });
}

export function createFilteringGateway(inner: GatewayInterface): FilteringGateway {
  let loaded: LoadedSupergraph | null = null;
  let loadError: Error | null = null;
  inner.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    const requirements = buildRequirementMap(coreSupergraphSdl);
    const uncovered = uncoveredFields(apiSchema, requirements);
    if (uncovered.length) {
      loadError = new UncoveredFieldsError(uncovered);
      return;
    }
    attachAssumedSizes(apiSchema, readAssumedSizes(coreSupergraphSdl));
    withScalarParsers(apiSchema);
    loaded = { apiSchema, requirements };
  });

  return {
    current: () => loaded,
    onSchemaLoadOrUpdate: (callback) => inner.onSchemaLoadOrUpdate(callback),
    stop: () => inner.stop(),
    async load(options): Promise<GatewayLoadResult> {
      const result = await inner.load(options);
      if (loadError) throw loadError;
      const executor = result.executor;
      if (!executor) return result;
      const filteringExecutor: GatewayExecutor = async (requestContext) => {
        const enforcement = (requestContext.context as Partial<GatewayContext>).enforcement;
        if (!enforcement) return planned(executor, requestContext);
        const { filtered, refused } = enforcement;
        const result = await planned(executor, { ...requestContext, document: filtered.document, operation: filtered.operation, queryHash: filtered.queryHash });
        const data = result.data as Record<string, unknown> | null | undefined;
        const patch = patchResponse(data, refused, filtered.hasPlaceholders);
        const errors = [...(result.errors ?? []), ...patch.errors.map((e) => new GraphQLError(e.message, { path: e.path, extensions: e.extensions }))];
        return { ...result, data: patch.dataNull ? null : data, errors };
      };
      return { executor: filteringExecutor };
    },
  };
}
