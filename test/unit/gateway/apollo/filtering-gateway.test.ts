/** The filtering executor: planner rejections of a valid document become a coded 400; bugs stay bugs. */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { GraphQLError } from 'graphql';
import { CodedError } from '../../../../core/errors.js';
import { createFilteringGateway } from '../../../../gateway/apollo/filtering-gateway.js';

function innerThrowing(error: unknown): GatewayInterface {
  const executor: GatewayExecutor = async () => {
    throw error;
  };
  return {
    onSchemaLoadOrUpdate: () => () => {},
    load: async () => ({ executor }),
    stop: async () => {},
  };
}

async function run(error: unknown): Promise<unknown> {
  const gateway = createFilteringGateway(innerThrowing(error));
  const { executor } = await gateway.load({ apollo: { key: undefined, keyHash: undefined, graphRef: undefined, graphId: undefined, graphVariant: 'current' } } as never);
  try {
    await executor!({ context: {} } as never);
    return null;
  } catch (err) {
    return err;
  }
}

describe('filtering gateway executor', () => {
  it('turns a planner rejection (a GraphQL error from the executor) into GRAPHQL_VALIDATION_FAILED with status 400', async () => {
    const err = await run(new GraphQLError('The schema has no "subscription" root type defined', { extensions: { code: 'INVALID_GRAPHQL' } }));
    expect(err).toBeInstanceOf(CodedError);
    expect((err as CodedError).extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } });
  });

  it('passes our own coded errors through unchanged', async () => {
    const own = new CodedError('SUBGRAPH_UNAVAILABLE', 'down');
    expect(await run(own)).toBe(own);
  });

  it('leaves a programming error (not a GraphQL error) to be masked as the bug it is', async () => {
    const bug = new TypeError('x is undefined');
    expect(await run(bug)).toBe(bug);
  });
});

describe("filtering gateway executor: the inner executor's answer", () => {
  async function answerOf(result: Awaited<ReturnType<GatewayExecutor>>) {
    const gateway = createFilteringGateway({ onSchemaLoadOrUpdate: () => () => {}, load: async () => ({ executor: async () => result }), stop: async () => {} });
    const { executor } = await gateway.load({ apollo: { key: undefined, keyHash: undefined, graphRef: undefined, graphId: undefined, graphVariant: 'current' } } as never);
    return executor!({ context: {} } as never);
  }

  // Apollo Server answers 400 for errors without `data` (its rule for variable coercion).
  it("gives errors without data `data: null`, so the status is the errors' own, not Apollo's 400", async () => {
    const failed = await answerOf({ errors: [new GraphQLError('Cannot create property on string')] });
    expect(failed).toMatchObject({ data: null });
    const served = await answerOf({ data: { a: 1 } });
    expect(served).toEqual({ data: { a: 1 } });
  });

  it("turns Apollo's valueCompletion extension into SUBGRAPH_UNAVAILABLE errors at their paths, at most 200", async () => {
    const completion = Array.from({ length: 300 }, (_, i) => new GraphQLError('Invalid value', { path: ['items', i, 'name'] }));
    const out = await answerOf({ data: { items: null }, extensions: { valueCompletion: completion, other: 1 } });
    expect(out.extensions).toEqual({ other: 1 });
    expect(out.errors).toHaveLength(200);
    expect(out.errors?.[1]).toMatchObject({ path: ['items', 1, 'name'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
  });
});
