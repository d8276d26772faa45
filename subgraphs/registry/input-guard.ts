/**
 * Every text and date argument of every registry-subgraph mutation (incidents included) is
 * checked against its rule (input-rules.ts, registry/text.ts, registry/instants.ts) before the
 * resolver runs: before anything is read, so before anything can be written. A refusal is
 * BAD_USER_INPUT naming the argument path (e.g. `input.contact.name`, `assessments.3.evidence`).
 *
 * The domain commands apply the same rules again to what they store (and normalise it); this
 * guard is what makes the rules cover every argument, ids and coded values included, whatever a
 * resolver does first. The checks are built once from the schema; a String or ID input without a
 * rule stops the subgraph from starting.
 */
import { buildSubgraphSchema } from '@apollo/subgraph';
import {
  isEnumType, isInputObjectType, isListType, isNonNullType, isScalarType,
  type DocumentNode, type GraphQLFieldResolver, type GraphQLInputType, type GraphQLSchema,
} from 'graphql';
import { CodedError, denial, type Denial } from '../../core/errors.js';
import { INSTANT_EXAMPLE, parseInstant } from '../../registry/instants.js';
import { cleanText } from '../../registry/text.js';
import { ARGUMENT_RULES, INPUT_FIELD_RULES, type InputRule } from './input-rules.js';

/** Checks one value found at `path`; null when it passes. */
type ValueCheck = (value: unknown, path: string) => Denial | null;
/** Checks a mutation's arguments; null when they all pass. */
export type ArgumentsCheck = (args: Record<string, unknown>) => Denial | null;

/** One String, ID (or custom scalar) input of a mutation: where it is in the schema, what its description says, and its rule. */
export interface TextInput {
  /** `Mutation.field(arg:)` or `InputType.field`. */
  coordinate: string;
  description: string | null;
  rule: InputRule | undefined;
}

// Coerced and typed by GraphQL itself; every other scalar (String, ID, any custom one) needs a rule.
const NON_TEXT_SCALARS = new Set(['Int', 'Float', 'Boolean']);

function applyRule(rule: InputRule, value: unknown, path: string): Denial | null {
  if (rule.kind === 'instant') {
    return parseInstant(value) === null
      ? denial('BAD_USER_INPUT', `${path} must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { field: path, problem: 'NOT_RFC3339_DATE_TIME' })
      : null;
  }
  const cleaned = cleanText(value, rule.rule, path);
  return typeof cleaned === 'string' ? null : cleaned;
}

/**
 * Walks an input type. `visit` is told about every String/ID leaf with its coordinate and
 * description; the returned check (null when the type holds no text) applies the leaf's rule.
 */
function walk(type: GraphQLInputType, coordinate: string, description: string | null, visit: (input: TextInput) => void, seen: Map<string, ValueCheck | null>): ValueCheck | null {
  if (isNonNullType(type)) return walk(type.ofType, coordinate, description, visit, seen);
  if (isListType(type)) {
    const item = walk(type.ofType, coordinate, description, visit, seen);
    if (!item) return null;
    return (value, path) => {
      if (!Array.isArray(value)) return value == null ? null : item(value, path);
      for (let i = 0; i < value.length; i++) {
        const refused = item(value[i], `${path}.${i}`);
        if (refused) return refused;
      }
      return null;
    };
  }
  if (isEnumType(type)) return null;
  if (isScalarType(type)) {
    if (NON_TEXT_SCALARS.has(type.name)) return null;
    const rule = coordinate.startsWith('Mutation.') ? ARGUMENT_RULES[coordinate.slice(coordinate.indexOf('(') + 1, -2)] : INPUT_FIELD_RULES[coordinate];
    visit({ coordinate, description, rule });
    if (!rule) return null;
    return (value, path) => (value == null ? null : applyRule(rule, value, path));
  }
  if (isInputObjectType(type)) {
    // Input types can refer to themselves; a type is walked once and its check shared.
    if (seen.has(type.name)) return (value, path) => seen.get(type.name)?.(value, path) ?? null;
    seen.set(type.name, null);
    const fields = Object.values(type.getFields())
      .map((f) => [f.name, walk(f.type, `${type.name}.${f.name}`, f.description ?? null, visit, seen)] as const)
      .filter((entry): entry is readonly [string, ValueCheck] => entry[1] !== null);
    const check: ValueCheck | null = fields.length
      ? (value, path) => {
          if (value == null || typeof value !== 'object') return null;
          for (const [name, fieldCheck] of fields) {
            const refused = fieldCheck((value as Record<string, unknown>)[name], `${path}.${name}`);
            if (refused) return refused;
          }
          return null;
        }
      : null;
    seen.set(type.name, check);
    return check;
  }
  return null;
}

function walkMutations(schema: GraphQLSchema, visit: (input: TextInput) => void): Map<string, ArgumentsCheck> {
  const checks = new Map<string, ArgumentsCheck>();
  const seen = new Map<string, ValueCheck | null>();
  for (const field of Object.values(schema.getMutationType()?.getFields() ?? {})) {
    const args = field.args
      .map((a) => [a.name, walk(a.type, `Mutation.${field.name}(${a.name}:)`, a.description ?? null, visit, seen)] as const)
      .filter((entry): entry is readonly [string, ValueCheck] => entry[1] !== null);
    if (!args.length) continue;
    checks.set(field.name, (values) => {
      for (const [name, check] of args) {
        const refused = check(values[name], name);
        if (refused) return refused;
      }
      return null;
    });
  }
  return checks;
}

/** Every String/ID input of every mutation, each once, with its rule (undefined when it has none). */
export function mutationTextInputs(schema: GraphQLSchema): TextInput[] {
  const inputs = new Map<string, TextInput>();
  walkMutations(schema, (input) => inputs.set(input.coordinate, input));
  return [...inputs.values()];
}

/** The argument checks of each mutation; throws, naming them, when a text input has no rule. */
export function mutationInputChecks(schema: GraphQLSchema): Map<string, ArgumentsCheck> {
  const unclassified = new Set<string>();
  const checks = walkMutations(schema, (input) => {
    if (!input.rule) unclassified.add(input.coordinate);
  });
  if (unclassified.size) throw new Error(`registry subgraph: no input rule (subgraphs/registry/input-rules.ts) for ${[...unclassified].join(', ')}`);
  return checks;
}

export function mutationInputChecksFor(typeDefs: DocumentNode): Map<string, ArgumentsCheck> {
  return mutationInputChecks(buildSubgraphSchema({ typeDefs }));
}

/** The mutation resolvers, each refusing bad input (BAD_USER_INPUT) before it runs. */
export function guardMutations<R extends Record<string, unknown>>(mutations: R, checks: Map<string, ArgumentsCheck>): R {
  const guarded: Record<string, unknown> = { ...mutations };
  for (const [name, check] of checks) {
    const resolve = mutations[name] as GraphQLFieldResolver<unknown, unknown> | undefined;
    if (!resolve) continue;
    guarded[name] = (root: unknown, args: Record<string, unknown>, context: unknown, info: Parameters<GraphQLFieldResolver<unknown, unknown>>[3]) => {
      const refused = check(args);
      if (refused) throw CodedError.from(refused);
      return resolve(root, args, context, info);
    };
  }
  return guarded as R;
}
