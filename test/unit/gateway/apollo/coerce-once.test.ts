/**
 * The gateway's own coercion of variables is skipped only for exactly the inputs the enforcement
 * plugin already coerced without error (same schema, definitions and variables objects); any
 * other request is still coerced, and a wrongly typed variable still refused, by the gateway.
 */
import { ApolloGateway } from '@apollo/gateway';
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { coerceVariablesOnce, type CoercedVariables } from '../../../../gateway/apollo/coerce-once.js';

const schema = buildSchema('type Query { a(n: Int!): Int }');
const operation = parse('query ($n: Int!) { a(n: $n) }').definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;

function installed() {
  const gateway = new ApolloGateway({ supergraphSdl: 'unused: the gateway is never loaded' });
  expect(coerceVariablesOnce(gateway)).toBe(true);
  const validate = (gateway as unknown as { validateIncomingRequest(rc: unknown, oc: unknown): readonly unknown[] }).validateIncomingRequest.bind(gateway);
  return (variables: Record<string, unknown>, variablesCoerced?: CoercedVariables) => validate({ context: { variablesCoerced }, request: { variables } }, { schema, operation, fragments: {} });
}

describe('coerceVariablesOnce', () => {
  it('skips the repeat for the very inputs the plugin coerced', () => {
    const validate = installed();
    const variables = { n: 'not an Int' };
    // A wrong type is chosen so that a coercion, had it run, would report an error.
    expect(validate(variables, { schema, definitions: operation.variableDefinitions, variables })).toEqual([]);
  });

  it('still coerces (and refuses a wrong type) when the plugin did not coerce these inputs', () => {
    const validate = installed();
    const variables = { n: 'not an Int' };
    expect(validate(variables)).toHaveLength(1);
    // Other variables, another schema or other definitions than the plugin's: coerced again.
    expect(validate(variables, { schema, definitions: operation.variableDefinitions, variables: { n: 'not an Int' } })).toHaveLength(1);
    expect(validate(variables, { schema: buildSchema('type Query { a(n: Int!): Int }'), definitions: operation.variableDefinitions, variables })).toHaveLength(1);
    expect(validate(variables, { schema, definitions: [], variables })).toHaveLength(1);
  });
});
