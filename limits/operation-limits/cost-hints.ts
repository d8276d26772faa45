/**
 * Cost hints the schema states with the standard `@listSize(assumedSize:)` directive (the
 * demand-control cost spec, https://specs.apollo.dev/cost/v0.1, which Federation 2.9 composes
 * into the supergraph). A list field that takes no size argument but whose length the schema
 * bounds (an access record's coordinates, its refusal reasons) declares the size it is assumed
 * to have, so the cost bound counts what the field really costs instead of `defaultListSize`.
 *
 * The gateway's API schema carries no directive AST nodes, so the hints are read from the
 * supergraph SDL once per load and attached to the schema object they describe; the validation
 * rule and the per-request check both look them up by schema.
 */
import { Kind, parse, type ConstDirectiveNode, type DocumentNode, type GraphQLSchema } from 'graphql';

/** `Type.field` → the size the schema assumes for that list. */
export type AssumedSizes = ReadonlyMap<string, number>;

const NONE: AssumedSizes = new Map();
/** The directive's names: imported (`@listSize`) or namespaced by the cost spec (`@cost__listSize`). */
const LIST_SIZE_NAMES = new Set(['listSize', 'cost__listSize']);

function assumedSizeOf(directives: readonly ConstDirectiveNode[] | undefined): number | null {
  for (const d of directives ?? []) {
    if (!LIST_SIZE_NAMES.has(d.name.value)) continue;
    const arg = d.arguments?.find((a) => a.name.value === 'assumedSize');
    if (arg?.value.kind === Kind.INT) return Number.parseInt(arg.value.value, 10);
  }
  return null;
}

/** Every `@listSize(assumedSize:)` of the SDL, by coordinate. */
export function readAssumedSizes(sdl: string | DocumentNode): AssumedSizes {
  const doc = typeof sdl === 'string' ? parse(sdl) : sdl;
  const out = new Map<string, number>();
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION && def.kind !== Kind.INTERFACE_TYPE_DEFINITION && def.kind !== Kind.INTERFACE_TYPE_EXTENSION) continue;
    for (const field of def.fields ?? []) {
      const size = assumedSizeOf(field.directives);
      if (size !== null && size >= 0) out.set(`${def.name.value}.${field.name.value}`, size);
    }
  }
  return out;
}

const bySchema = new WeakMap<GraphQLSchema, AssumedSizes>();

/** Attaches the hints to the schema they were read for (on every supergraph load). */
export function attachAssumedSizes(schema: GraphQLSchema, sizes: AssumedSizes): void {
  bySchema.set(schema, sizes);
}

/** The hints attached to this schema (none when nothing was attached). */
export function assumedSizesOf(schema: GraphQLSchema): AssumedSizes {
  return bySchema.get(schema) ?? NONE;
}
