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
 * literal null (nor a variable that is null or not given), or a `clientId` key with a value
 * anywhere in the variables, coerced or as sent (declared or not).
 */
import { BREAK, Kind, visit, type DocumentNode, type ValueNode } from 'graphql';

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

/** Whether `values` gives the variable `name` a value (null and absent give none). */
const given = (values: Record<string, unknown> | null | undefined, name: string): boolean => values != null && Object.hasOwn(values, name) && values[name] != null;

/**
 * Whether the operation gives a client identifier a value (see above). `variables`: the
 * operation's coerced variables (searched whole); `sent`: the variables as sent, which also hold
 * those of the document's other operations (a `clientId: $c` of an operation not run still names
 * the client when the URL gives `c`).
 */
export function namesClient(document: DocumentNode, variables: Record<string, unknown> | null | undefined, sent?: Record<string, unknown> | null): boolean {
  let found = false;
  const check = (node: { name: { value: string }; value: ValueNode }) => {
    if (node.name.value !== CLIENT_ID_NAME || node.value.kind === Kind.NULL) return undefined;
    // A variable that is null or not given gives the client identifier no value (nothing in the URL).
    if (node.value.kind === Kind.VARIABLE && !given(variables, node.value.name.value) && !given(sent, node.value.name.value)) return undefined;
    found = true;
    return BREAK;
  };
  visit(document, { Argument: check, ObjectField: check });
  // The variables as sent too: one the operation does not declare still sits in the URL.
  return found || variablesName(variables ?? null, 0) || variablesName(sent ?? null, 0);
}
