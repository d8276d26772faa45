/**
 * Whether a stored record can be given to an auditor as the GraphQL type AccessRecord. The
 * gateway writes only records that can; a row someone edited by hand in the store may not (a
 * `seq` of "x", a `decision` outside the enum, a list that is a string). Given as it is, one such
 * row would fail the whole page with an error and hide every other record on it. So each record
 * of a page is checked against the type in the schema itself, and one that does not fit is listed
 * apart as unreadable, with why (the whole-log verification reports the same row as ALTERED).
 */
import { isLeafType, isListType, isNonNullType, isObjectType, type GraphQLObjectType, type GraphQLOutputType } from 'graphql';

/** Field resolvers of the type's own (they turn what is stored into what is served): applied before the field's value is checked. */
export type FieldResolvers = Readonly<Record<string, Readonly<Record<string, (parent: never) => unknown>>>>;

/** Deep enough for AccessRecord's own nesting; a deeper value is not one the gateway wrote. */
const MAX_DEPTH = 8;

/** Why `value` cannot be served as `type` (a field path and the reason), or null when it can. */
export function whyUnpresentable(type: GraphQLOutputType, value: unknown, resolvers: FieldResolvers = {}, path = '', depth = 0): string | null {
  if (depth > MAX_DEPTH) return `${path || 'the record'}: nested too deeply`;
  if (isNonNullType(type)) return value === null || value === undefined ? `${path}: missing` : whyUnpresentable(type.ofType, value, resolvers, path, depth);
  if (value === null || value === undefined) return null;
  if (isListType(type)) {
    if (!Array.isArray(value)) return `${path}: not a list`;
    for (let i = 0; i < value.length; i++) {
      const why = whyUnpresentable(type.ofType, value[i], resolvers, `${path}[${i}]`, depth + 1);
      if (why) return why;
    }
    return null;
  }
  if (isLeafType(type)) {
    try {
      type.serialize(value);
      return null;
    } catch (err) {
      return `${path}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  if (isObjectType(type)) return whyObjectUnpresentable(type, value, resolvers, path, depth);
  return null; // no interface or union is served here
}

function whyObjectUnpresentable(type: GraphQLObjectType, value: unknown, resolvers: FieldResolvers, path: string, depth: number): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${path || 'the record'}: not an object`;
  const own = resolvers[type.name] ?? {};
  for (const field of Object.values(type.getFields())) {
    const at = path ? `${path}.${field.name}` : field.name;
    let fieldValue: unknown;
    try {
      const resolve = own[field.name];
      fieldValue = resolve ? resolve(value as never) : (value as Record<string, unknown>)[field.name];
    } catch {
      return `${at}: not of its type`;
    }
    const why = whyUnpresentable(field.type, fieldValue, resolvers, at, depth + 1);
    if (why) return why;
  }
  return null;
}
