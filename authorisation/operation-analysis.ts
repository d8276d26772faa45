/**
 * Walks an operation's selections once against the API schema and the requirement map, and
 * returns what every later decision needs: each selected field with its requirements, response
 * path and the argument values its directives read. Depends only on the document, so it is cached
 * per (document hash, operation name).
 */
import {
  isListType,
  isNonNullType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import type { Requirement, RequirementMap } from './requirement-map.js';
import type { RequiresServiceArgs } from './directives/requires-service.js';
import { oneByte } from '../core/one-byte.js';

export interface FieldEntry {
  node: FieldNode;
  coordinate: string;
  requirements: readonly Requirement[];
  /** Response keys (aliases) from the root to this field; list levels are implicit. */
  path: readonly string[];
  /**
   * Length of the `path` prefix whose last field is set to null when this field is refused:
   * the field itself when nullable, else the nearest nullable ancestor (0 = `data` itself).
   */
  nullAt: number;
  /** Index of the enclosing field's entry, or -1 for root fields. */
  parent: number;
  /** Argument value nodes that argument-bound directives read, by argument name. */
  argumentValues: ReadonlyMap<string, ValueNode>;
}

export interface OperationAnalysis {
  operationType: 'query' | 'mutation' | 'subscription';
  entries: readonly FieldEntry[];
  coordinates: readonly string[];
  services: readonly string[];
  /** Entries with an argument-bound requirement (the client ids a request names). */
  clientArgumentEntries: readonly number[];
}

/** Selection sets (fields, inline fragments and spreads alike) the walk nests at most. */
export const MAX_WALK_DEPTH = 64;

/**
 * Selections the walk visits at most, each fragment spread counted every time it is expanded
 * (default). A document of a few hundred bytes can spread a fragment that spreads another twice,
 * thirty levels deep: 2^30 visits. Every field an admitted operation selects costs at least 1
 * (limits/operation-limits/cost.ts), so with the cost limit's default of 5,000 no operation the
 * limits admit comes near this; a walk that would pass it is refused instead (WalkTooLargeError).
 */
export const DEFAULT_MAX_WALK_VISITS = 20_000;

/**
 * The walk stopped at its visit budget (`SELECTIONS`) or its nesting guard (`DEPTH`): the
 * operation is refused as exceeding the operation limits. Never skipped: a selection the walk
 * does not reach is one no directive judges, and Apollo would still run it.
 */
export class WalkTooLargeError extends Error {
  constructor(
    readonly limit: 'SELECTIONS' | 'DEPTH',
    readonly max: number,
  ) {
    super(limit === 'DEPTH' ? `the operation nests selection sets (fields and fragments) more than ${max} deep` : `the operation selects more than ${max} fields once its fragments are expanded`);
    this.name = 'WalkTooLargeError';
  }
}

function fieldOf(type: GraphQLCompositeType, name: string): GraphQLField<unknown, unknown> | undefined {
  return isObjectType(type) || isInterfaceType(type) ? type.getFields()[name] : undefined;
}

/** Where a refusal below a field of this type lands: the field itself only if its outer type is nullable. */
function isNullable(type: GraphQLOutputType): boolean {
  return !isNonNullType(type);
}

export function analyseOperation(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, map: RequirementMap, maxVisits = DEFAULT_MAX_WALK_VISITS): OperationAnalysis {
  let visits = 0;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const entries: FieldEntry[] = [];
  const coordinates = new Set<string>();
  const services = new Set<string>();
  const clientArgumentEntries: number[] = [];
  const rootType = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  if (!rootType) return { operationType: operation.operation, entries, coordinates: [], services: [], clientArgumentEntries };

  const walk = (selectionSet: SelectionSetNode, parentType: GraphQLCompositeType, path: readonly string[], bubbleTo: number, parent: number, depth: number, activeFragments: ReadonlySet<string>): void => {
    // Inline fragments and spreads nest the walk too, and the depth limit counts fields only:
    // nesting past the guard is refused, never left unwalked (review s17c F1).
    if (depth > MAX_WALK_DEPTH) throw new WalkTooLargeError('DEPTH', MAX_WALK_DEPTH);
    for (const selection of selectionSet.selections) {
      if (++visits > maxVisits) throw new WalkTooLargeError('SELECTIONS', maxVisits);
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name.startsWith('__')) continue;
        const field = fieldOf(parentType, name);
        if (!field) continue; // unknown fields fail validation before this runs
        // One-byte (core/one-byte.ts): the analysis is cached, and its coordinates go into every record.
        const coordinate = oneByte(`${parentType.name}.${name}`);
        const responsePath = [...path, selection.alias?.value ?? name];
        const requirements = map.byCoordinate.get(coordinate) ?? [];
        const argumentValues = new Map<string, ValueNode>();
        for (const r of requirements) {
          if (r.directive.name === 'requiresService') services.add(oneByte((r.args as RequiresServiceArgs).service));
          if (r.argument) {
            const arg = selection.arguments?.find((a) => a.name.value === r.argument);
            if (arg) argumentValues.set(r.argument, arg.value);
          }
        }
        const nullAt = isNullable(field.type) ? responsePath.length : bubbleTo;
        const index = entries.push({ node: selection, coordinate, requirements, path: responsePath, nullAt, parent, argumentValues }) - 1;
        if (argumentValues.size) clientArgumentEntries.push(index);
        coordinates.add(coordinate);
        if (selection.selectionSet) {
          // A refusal inside this field's value bubbles to this field if it is nullable (list or
          // not: nulling the whole list is the safe over-approximation), else further up.
          let named: GraphQLOutputType = field.type;
          while (isListType(named) || isNonNullType(named)) named = named.ofType as GraphQLOutputType;
          walk(selection.selectionSet, named as GraphQLCompositeType, responsePath, nullAt, index, depth + 1, activeFragments);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? (schema.getType(selection.typeCondition.name.value) as GraphQLCompositeType | undefined) : parentType;
        if (type) walk(selection.selectionSet, type, path, bubbleTo, parent, depth + 1, activeFragments);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || activeFragments.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value) as GraphQLCompositeType | undefined;
        if (type) walk(fragment.selectionSet, type, path, bubbleTo, parent, depth + 1, new Set([...activeFragments, name]));
      }
    }
  };
  walk(operation.selectionSet, rootType, [], 0, -1, 0, new Set());
  return { operationType: operation.operation, entries, coordinates: [...coordinates], services: [...services], clientArgumentEntries };
}

/** Resolves an argument value node with the request's variables (strings only: client ids). */
export function argumentString(node: ValueNode | undefined, variables: Record<string, unknown> | undefined): string | undefined {
  if (!node) return undefined;
  if (node.kind === Kind.STRING) return node.value;
  if (node.kind === Kind.VARIABLE) {
    const v = variables?.[node.name.value];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}
