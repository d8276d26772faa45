/**
 * One coercion of a request's variables. The enforcement plugin coerces them in
 * didResolveOperation (a wrongly typed variable is the caller's 400, and directives judge the
 * coerced values); @apollo/gateway's executor then coerces the same variables against the same
 * schema again, only to look for errors, and throws the values away. Coercion is deterministic,
 * so when the plugin has already coerced exactly these inputs (the same schema object, the same
 * variable definitions, the same variables object) without error, the gateway's repeat cannot
 * find one and is skipped. Anything else (a request the plugin did not see, a schema reloaded in
 * between) is coerced by the gateway as before.
 */
import type { ApolloGateway } from '@apollo/gateway';
import type { GraphQLSchema, VariableDefinitionNode } from 'graphql';

/** What the plugin coerced without error (GatewayContext.variablesCoerced). */
export interface CoercedVariables {
  schema: GraphQLSchema;
  definitions: readonly VariableDefinitionNode[] | undefined;
  variables: Readonly<Record<string, unknown>> | undefined;
}

type ValidateIncomingRequest = (
  requestContext: { context?: { variablesCoerced?: CoercedVariables | null }; request: { variables?: Record<string, unknown> } },
  operationContext: { schema: GraphQLSchema; operation: { variableDefinitions?: readonly VariableDefinitionNode[] } },
) => readonly unknown[];

/**
 * Installs the skip on `gateway` (its private validateIncomingRequest, the step that coerces).
 * Returns whether it was installed: an @apollo/gateway without that step keeps its own behaviour.
 */
export function coerceVariablesOnce(gateway: ApolloGateway): boolean {
  const target = gateway as unknown as { validateIncomingRequest?: ValidateIncomingRequest };
  const own = target.validateIncomingRequest;
  if (typeof own !== 'function') return false;
  target.validateIncomingRequest = function (requestContext, operationContext) {
    const done = requestContext.context?.variablesCoerced;
    if (
      done &&
      done.schema === operationContext.schema &&
      done.definitions === operationContext.operation.variableDefinitions &&
      done.variables === requestContext.request.variables
    ) {
      return [];
    }
    return own.call(this, requestContext, operationContext);
  };
  return true;
}
