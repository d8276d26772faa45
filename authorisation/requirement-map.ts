/**
 * Builds, once per supergraph load, the map from schema coordinate (`Type.field`) to the
 * enforcement requirements on the field and on its parent type (combined with AND), and finds
 * every field reachable from a root type that no directive covers. The supergraph SDL is the
 * source: the schema objects the gateway hands out carry no directive AST nodes (DESIGN.md §3).
 */
import {
  isInterfaceType,
  isObjectType,
  isUnionType,
  getNamedType,
  parse,
  Kind,
  type ConstDirectiveNode,
  type DefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { DIRECTIVES_BY_NAME, type DirectiveModule } from './directives/index.js';

export interface Requirement {
  directive: DirectiveModule<unknown>;
  args: unknown;
  /** For argument-bound directives (@clientAccess): the field argument whose value is checked. */
  argument: string | null;
}

export interface RequirementMap {
  /** Requirements per `Type.field`, type-level first. Absent = uncovered. */
  byCoordinate: ReadonlyMap<string, readonly Requirement[]>;
}

function requirementsOf(directives: readonly ConstDirectiveNode[] | undefined): Requirement[] {
  const out: Requirement[] = [];
  for (const node of directives ?? []) {
    const module = DIRECTIVES_BY_NAME.get(node.name.value);
    if (!module) continue;
    const args = module.readArgs(node);
    out.push({ directive: module, args, argument: module.argumentOf?.(args) ?? null });
  }
  return out;
}

function isTypeDefinitionWithFields(def: DefinitionNode): def is Extract<DefinitionNode, { kind: Kind.OBJECT_TYPE_DEFINITION | Kind.OBJECT_TYPE_EXTENSION | Kind.INTERFACE_TYPE_DEFINITION | Kind.INTERFACE_TYPE_EXTENSION }> {
  return def.kind === Kind.OBJECT_TYPE_DEFINITION || def.kind === Kind.OBJECT_TYPE_EXTENSION || def.kind === Kind.INTERFACE_TYPE_DEFINITION || def.kind === Kind.INTERFACE_TYPE_EXTENSION;
}

export function buildRequirementMap(supergraphSdl: string): RequirementMap {
  const doc = parse(supergraphSdl);
  const typeLevel = new Map<string, Requirement[]>();
  const fieldLevel = new Map<string, Requirement[]>();
  for (const def of doc.definitions) {
    if (!isTypeDefinitionWithFields(def)) continue;
    const typeName = def.name.value;
    const own = requirementsOf(def.directives);
    if (own.length) typeLevel.set(typeName, [...(typeLevel.get(typeName) ?? []), ...own]);
    for (const field of def.fields ?? []) {
      const reqs = requirementsOf(field.directives);
      if (reqs.length) fieldLevel.set(`${typeName}.${field.name.value}`, reqs);
    }
  }
  const byCoordinate = new Map<string, Requirement[]>();
  for (const def of doc.definitions) {
    if (!isTypeDefinitionWithFields(def)) continue;
    const typeName = def.name.value;
    for (const field of def.fields ?? []) {
      const coordinate = `${typeName}.${field.name.value}`;
      const combined = [...(typeLevel.get(typeName) ?? []), ...(fieldLevel.get(coordinate) ?? [])];
      if (combined.length) byCoordinate.set(coordinate, combined);
    }
  }
  return { byCoordinate };
}

/** Every `Type.field` reachable from the API schema's root types that has no requirement. */
export function uncoveredFields(apiSchema: GraphQLSchema, map: RequirementMap): string[] {
  const roots = [apiSchema.getQueryType(), apiSchema.getMutationType(), apiSchema.getSubscriptionType()].filter((t): t is NonNullable<typeof t> => !!t);
  const seen = new Set<string>();
  const uncovered: string[] = [];
  const queue: GraphQLNamedType[] = [...roots];
  while (queue.length) {
    const type = queue.pop()!;
    if (seen.has(type.name)) continue;
    seen.add(type.name);
    if (isUnionType(type)) {
      queue.push(...type.getTypes());
      continue;
    }
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    if (isInterfaceType(type)) queue.push(...apiSchema.getPossibleTypes(type));
    for (const field of Object.values(type.getFields())) {
      if (field.name.startsWith('__')) continue;
      const coordinate = `${type.name}.${field.name}`;
      if (!map.byCoordinate.get(coordinate)?.length) uncovered.push(coordinate);
      queue.push(getNamedType(field.type));
    }
  }
  return uncovered.sort();
}
