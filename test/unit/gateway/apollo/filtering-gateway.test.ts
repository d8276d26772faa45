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
