/**
 * @apollo/gateway sends an entity fetch its own `$representations` variable and fails such a
 * fetch (an Error, answered INTERNAL_SERVER_ERROR with `data` cut short) when the operation has a
 * variable of that name (review s18a F5). The name is reserved for the gateway: an operation that
 * declares it is refused at validation (GRAPHQL_VALIDATION_FAILED, 400), before planning.
 */
import { GraphQLError, type ASTVisitor, type ValidationContext, type ValidationRule } from 'graphql';

/** Variable names the gateway's own subgraph fetches use. */
export const RESERVED_VARIABLES: ReadonlySet<string> = new Set(['representations']);

export const reservedVariablesRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  VariableDefinition(node) {
    if (RESERVED_VARIABLES.has(node.variable.name.value)) {
      context.reportError(new GraphQLError(`The variable name "$${node.variable.name.value}" is reserved by the gateway; rename the variable.`, { nodes: [node.variable] }));
    }
  },
});

/**
 * A response key beginning with `__` is taken for one of GraphQL's own names: @apollo/gateway
 * checks that a key `__typename` holds a type name, so `{ client { __typename: name } }` failed
 * its post-processing and was answered SUBGRAPH_UNAVAILABLE, a subgraph failure any caller could
 * put on the record at will (session 33's second review). Names beginning with `__` are reserved
 * to GraphQL's introspection (spec §3, Names); such an alias is refused at validation.
 */
export const reservedAliasesRule: ValidationRule = (context: ValidationContext): ASTVisitor => ({
  Field(node) {
    if (node.alias?.value.startsWith('__')) {
      context.reportError(new GraphQLError(`The alias "${node.alias.value}" begins with "__", which GraphQL reserves for its own names; rename it.`, { nodes: [node.alias] }));
    }
  },
});
