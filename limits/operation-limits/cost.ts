/**
 * Cost limit: every field costs 1; a list multiplies the cost of its subtree by its requested
 * size, so `clients(first: 100) { lodgments { … } }` costs what it would make the subgraphs do
 * (1 + 100 × the cost of one client's selection). A list of leaves costs its size.
 *
 * Requested size: the field's `first`, `last` or `limit` argument (the largest present): a
 * literal, a variable, or the argument's schema default when omitted. A list field without a
 * size argument counts the size the schema assumes for it (`@listSize(assumedSize:)`, see
 * cost-hints.ts) or else `defaultListSize`, unless it is a direct child of a field whose size
 * argument already counted it (a connection's `edges` or `nodes` under `items(first: 50)`); the
 * connection's other children (`pageInfo`, `totalCount`) are counted once, not once per item.
 * Introspection meta-fields cost nothing (see depth.ts for why).
 *
 * Two entry points:
 * - the validation rule is document-only: a size given by a variable counts as
 *   `defaultListSize`, because validation cannot see variables (and is skipped for cached
 *   documents);
 * - `checkOperationCost` takes the request's variables and is meant for `didResolveOperation`,
 *   which runs on every request: it is the check that a `first: $n` with n = 1,000,000 meets.
 * Each fragment is measured once per call (memoised), so fragment bombs cost linear time; costs
 * that overflow simply become Infinity, which exceeds any bound.
 */
import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  type ValueNode,
  visit,
} from 'graphql';
import type { Denial } from '../../core/errors.js';
import { limitDenial, limitError, type OperationLimits } from './limit-error.js';
import { assumedSizesOf, type AssumedSizes } from './cost-hints.js';
import { fragmentsInDependencyOrder, isMetaField, NESTING_GUARD } from './selection-walk.js';

/** Arguments that say how many items a list field returns. */
export const SIZE_ARGUMENTS: readonly string[] = ['first', 'last', 'limit'];

export interface CostOptions {
  /** Size assumed for a list whose size is not given (config `operationLimits.defaultListSize`). */
  defaultListSize: number;
  /**
   * The request's variables. Absent (validation): sizes given by variables count as
   * `defaultListSize`. Present: the variable's value, else its default in the operation, else
   * `defaultListSize`.
   */
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  /** The operation whose variable defaults apply (per-request mode only). */
  operation?: OperationDefinitionNode | undefined;
}

interface Walk {
  schema: GraphQLSchema;
  options: CostOptions;
  /** Memo: `${fragmentName}|${covered}` → cost. */
  fragments: Map<string, SetCost>;
  /** The schema's `@listSize(assumedSize:)` hints. */
  assumed: AssumedSizes;
}

function fieldDefinition(parent: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  return parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
}

/** A literal or variable argument value as a size; null when it is not a usable number. */
function sizeOf(value: ValueNode, walk: Walk): number | null {
  if (value.kind === Kind.INT) return Number.parseInt(value.value, 10);
  if (value.kind === Kind.FLOAT) return Math.ceil(Number.parseFloat(value.value));
  if (value.kind !== Kind.VARIABLE) return null;
  const { variables, operation, defaultListSize } = walk.options;
  if (!variables) return defaultListSize;
  const given = variables[value.name.value];
  if (typeof given === 'number' && Number.isFinite(given)) return given;
  if (given === undefined) {
    const fallback = operation?.variableDefinitions?.find((v) => v.variable.name.value === value.name.value)?.defaultValue;
    if (fallback) return sizeOf(fallback, walk);
  }
  return defaultListSize;
}

/** The size a field requests, or null when it names none (literal, variable or schema default). */
function requestedSize(field: FieldNode, definition: GraphQLField<unknown, unknown> | undefined, walk: Walk): number | null {
  if (!field.arguments?.length && !definition?.args.length) return null;
  let size: number | null = null;
  for (const name of SIZE_ARGUMENTS) {
    const arg = field.arguments?.find((a) => a.name.value === name);
    let value: number | null = null;
    if (arg) value = sizeOf(arg.value, walk) ?? walk.options.defaultListSize;
    else {
      const fallback = definition?.args.find((a) => a.name === name)?.defaultValue;
      if (typeof fallback === 'number' && Number.isFinite(fallback)) value = fallback;
    }
    if (value !== null) size = Math.max(size ?? 0, Math.max(0, value));
  }
  return size;
}

/**
 * A selection set's cost, split for connections: `items` is what its covered list children cost
 * per item (multiplied by the connection's size), `once` everything else (a connection's
 * `pageInfo` or `totalCount` is returned once per page, not once per item). Outside a
 * connection `items` is 0.
 */
interface SetCost {
  items: number;
  once: number;
}

function selectionSetCost(set: SelectionSetNode, parent: GraphQLNamedType | undefined, covered: boolean, walk: Walk, nesting: number): SetCost {
  if (nesting > NESTING_GUARD) return { items: Infinity, once: Infinity };
  const total: SetCost = { items: 0, once: 0 };
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      const cost = fieldCost(sel, parent, covered, walk, nesting);
      total[cost.perItem ? 'items' : 'once'] += cost.cost;
    } else {
      const part =
        sel.kind === Kind.INLINE_FRAGMENT
          ? selectionSetCost(sel.selectionSet, (sel.typeCondition ? walk.schema.getType(sel.typeCondition.name.value) : parent) ?? undefined, covered, walk, nesting + 1)
          : (walk.fragments.get(`${sel.name.value}|${covered}`) ?? { items: 0, once: 0 });
      total.items += part.items;
      total.once += part.once;
    }
  }
  return total;
}

/** A field's cost, and whether it is a covered list (one per item of the enclosing connection). */
function fieldCost(field: FieldNode, parent: GraphQLNamedType | undefined, covered: boolean, walk: Walk, nesting: number): { cost: number; perItem: boolean } {
  if (isMetaField(field.name.value)) return { cost: 0, perItem: false };
  const definition = fieldDefinition(parent, field.name.value);
  const isList = definition ? isListType(getNullableType(definition.type)) : false;
  const size = requestedSize(field, definition, walk);
  const perItem = isList && covered && size === null;
  const multiplier = size ?? (isList && !covered ? (walk.assumed.get(`${parent?.name}.${field.name.value}`) ?? walk.options.defaultListSize) : 1);
  // A list of leaves costs one per item: a million scalars are a bulk harvest too.
  if (!field.selectionSet) return { cost: isList ? Math.max(1, multiplier) : 1, perItem };
  if (multiplier === 0) return { cost: 1, perItem };
  // A sized non-list field is a connection: its direct list children are the items just counted.
  const isConnection = size !== null && !isList;
  const children = selectionSetCost(field.selectionSet, definition ? getNamedType(definition.type) : undefined, isConnection, walk, nesting + 1);
  const cost = isConnection ? 1 + multiplier * children.items + children.once : 1 + multiplier * (children.items + children.once);
  return { cost, perItem };
}

function measureFragments(document: DocumentNode, walk: Walk): void {
  for (const def of fragmentsInDependencyOrder(document)) {
    const type = walk.schema.getType(def.typeCondition.name.value) ?? undefined;
    for (const covered of [false, true]) walk.fragments.set(`${def.name.value}|${covered}`, selectionSetCost(def.selectionSet, type, covered, walk, 0));
  }
}

function rootCost(operation: OperationDefinitionNode, walk: Walk): number {
  const root = walk.schema.getRootType(operation.operation) ?? undefined;
  const cost = selectionSetCost(operation.selectionSet, root, false, walk, 0);
  return cost.items + cost.once;
}

/** The cost of one operation of the document (pure). */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, options: CostOptions): number {
  const walk: Walk = { schema, options: { ...options, operation }, fragments: new Map(), assumed: assumedSizesOf(schema) };
  measureFragments(document, walk);
  return rootCost(operation, walk);
}

/**
 * Per-request cost check with the request's variables, for `didResolveOperation`. Returns the
 * denial, or null when the operation is within `maxCost`.
 */
export function checkOperationCost(input: {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
  limits: OperationLimits;
}): Denial | null {
  const { limits } = input;
  // Without a size from a variable, the validation rule's verdict is already this one.
  if (!sizesFromVariables(input.document)) return null;
  const cost = operationCost(input.schema, input.document, input.operation, { defaultListSize: limits.defaultListSize, variables: input.variables ?? {} });
  return cost > limits.maxCost ? limitDenial('COST', limits.maxCost, limits.revealBounds, cost) : null;
}

const sizeVariableMemo = new WeakMap<DocumentNode, boolean>();

/**
 * Whether any size argument in the document (operations and fragments) is a variable: only then
 * can a request's cost differ from the document-only cost that validation checked. Memoised per
 * document (Apollo hands every request of a cached document the same DocumentNode).
 */
export function sizesFromVariables(document: DocumentNode): boolean {
  let found = sizeVariableMemo.get(document);
  if (found === undefined) {
    found = false;
    visit(document, {
      Argument(node) {
        if (!found && SIZE_ARGUMENTS.includes(node.name.value) && containsVariable(node.value)) found = true;
        return false;
      },
    });
    sizeVariableMemo.set(document, found);
  }
  return found;
}

function containsVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(containsVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((f) => containsVariable(f.value));
  return false;
}

/** Document-only cost rule (variables count as `defaultListSize`). */
export function maxCostRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let walk: Walk | null = null;
    return {
      OperationDefinition(node) {
        if (!walk) {
          walk = { schema: context.getSchema(), options: { defaultListSize: limits.defaultListSize }, fragments: new Map(), assumed: assumedSizesOf(context.getSchema()) };
          measureFragments(context.getDocument(), walk);
        }
        const cost = rootCost(node, walk);
        if (cost > limits.maxCost) context.reportError(limitError('COST', limits.maxCost, limits.revealBounds, cost));
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}
