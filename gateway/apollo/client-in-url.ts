/**
 * A GET request carries its operation and its variables in the URL, which browsers keep and
 * proxies and load balancers log. A client id may be a tax file number, so an operation that
 * gives a client identifier a value, in its document or in its variables, is refused when it came
 * by GET (the enforcement plugin, BAD_USER_INPUT): it is to be sent by POST, in the body. The
 * audit export refuses `clientId` in a URL for the same reason (gateway/access-log/export.ts).
 *
 * Every client identifier in the schema is an argument or input field named `clientId` (a unit
 * test holds the composed schema to that), so the check needs no schema: a `clientId` argument
 * or input object field anywhere in the document (fragments included) whose value is not a
 * literal null, or a `clientId` key with a value anywhere in the coerced variables.
 */
import { BREAK, Kind, visit, type DocumentNode } from 'graphql';

export const CLIENT_ID_NAME = 'clientId';

/** How deep the variables are searched; deeper input values are refused too (they cannot be told apart). */
const MAX_DEPTH = 32;

function variablesName(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth >= MAX_DEPTH) return true;
  if (Array.isArray(value)) return value.some((v) => variablesName(v, depth + 1));
  for (const [key, v] of Object.entries(value)) {
    if (key === CLIENT_ID_NAME && v != null) return true;
    if (variablesName(v, depth + 1)) return true;
  }
  return false;
}

/** Whether the operation gives a client identifier a value (see above). */
export function namesClient(document: DocumentNode, variables: Record<string, unknown> | null | undefined): boolean {
  let found = false;
  const check = (node: { name: { value: string }; value: { kind: Kind } }) => {
    if (node.name.value === CLIENT_ID_NAME && node.value.kind !== Kind.NULL) {
      found = true;
      return BREAK;
    }
    return undefined;
  };
  visit(document, { Argument: check, ObjectField: check });
  return found || variablesName(variables ?? null, 0);
}
