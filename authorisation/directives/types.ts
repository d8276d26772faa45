import type { ConstDirectiveNode } from 'graphql';
import type { Denial } from '../../core/errors.js';
import type { Caller } from './caller.js';

/** Context a field-level evaluation may need beyond the caller. */
export interface EvaluationInput {
  /** Value of the argument a directive names (e.g. `@clientAccess(argument: "clientId")`), already resolved from variables. */
  argumentValue?: unknown;
  /** The decision's instant (ms): timed facts (an authorisation's expiry) are judged at it. */
  now: number;
  /** Notes that the verdict rests on a fact that holds only until `instant` (ms); a cached decision expires then. */
  holdsUntil?(instant: number): void;
}

/**
 * One enforcement directive: its SDL, how to read its arguments from the schema, and a pure
 * evaluator. Imported by the subgraph schemas (for the SDL) and the gateway (for the rest).
 */
export interface DirectiveModule<Args> {
  name: string;
  sdl: string;
  /** Reads the directive's arguments from its AST node (schema load time, once). Throws on a malformed use. */
  readArgs(node: ConstDirectiveNode): Args;
  /** Null when the caller passes; otherwise the denial. Pure: no I/O. */
  evaluate(args: Args, caller: Caller, input: EvaluationInput): Denial | null;
  /** The argument name whose value `evaluate` needs, if any. */
  argumentOf?(args: Args): string;
}

export function stringArg(node: ConstDirectiveNode, name: string): string {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg || arg.value.kind !== 'StringValue') throw new Error(`@${node.name.value} needs a string argument "${name}"`);
  return arg.value.value;
}

export function stringListArg(node: ConstDirectiveNode, name: string): string[] {
  const arg = node.arguments?.find((a) => a.name.value === name);
  if (!arg) throw new Error(`@${node.name.value} needs a list argument "${name}"`);
  const values = arg.value.kind === 'ListValue' ? arg.value.values : [arg.value];
  return values.map((v) => {
    if (v.kind !== 'StringValue') throw new Error(`@${node.name.value}(${name}:) takes strings`);
    return v.value;
  });
}
