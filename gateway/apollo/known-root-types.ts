/**
 * graphql-js validates `subscription { __typename }` against a schema without a Subscription
 * root (only execution notices), and the query planner then throws, which Apollo answers as a 500.
 * An operation whose root type the schema lacks is the caller's mistake: this rule refuses it at
 * validation (GRAPHQL_VALIDATION_FAILED, 400), before planning. Document-only, so it is a
 * validation rule.
 */
import { GraphQLError, type ASTVisitor, type ValidationContext, type ValidationRule } from 'graphql';

export const knownRootTypesRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  OperationDefinition(node) {
    if (!context.getSchema().getRootType(node.operation)) {
      context.reportError(new GraphQLError(`This API has no ${node.operation} operations.`, { nodes: [node] }));
    }
    return false;
  },
  FragmentDefinition: () => false,
});
