/**
 * The reason and ticket a registry mutation gives, for its access record: a register change's
 * record then says why it was made and under which case, next to who made it. Read from the
 * operation's root mutation fields (a `reason`/`ticket` argument, or one inside an `input`
 * object argument), literal or variable, after coercion. Cleaned like every logged string, capped
 * (reason 2000, ticket 100), and any run of 8 or more digits masked: a reason is free text, and a
 * TFN typed into it must not reach the log.
 */
import { Kind, valueFromASTUntyped, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode, type ValueNode } from 'graphql';
import type { AccessChange } from '../../audit/record.js';
import { sanitizeMaskedText } from '../../audit/sanitize.js';

export const CHANGE_NOTE_LIMITS = { reason: 2000, ticket: 100, fields: 20 } as const;

function valueOf(node: ValueNode | undefined, variables: Readonly<Record<string, unknown>>): unknown {
  return node ? valueFromASTUntyped(node, variables as Record<string, unknown>) : undefined;
}

/**
 * The root fields of `operation` in document order, through inline fragments and fragment spreads
 * (each named fragment once): a mutation wrapped in `... on Mutation { }` or a fragment on Mutation
 * runs like one written directly, so its reason and ticket are recorded too (review s19b F3).
 * Iterative: fragments nested as deep as the token limit allows do not recurse.
 */
function rootFieldsOf(operation: OperationDefinitionNode, document: DocumentNode | undefined): FieldNode[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document?.definitions ?? []) if (def.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(def.name.value)) fragments.set(def.name.value, def);
  const seen = new Set<string>();
  const fields: FieldNode[] = [];
  const stack: Array<{ set: SelectionSetNode; next: number }> = [{ set: operation.selectionSet, next: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const selection = top.set.selections[top.next++];
    if (!selection) {
      stack.pop();
      continue;
    }
    if (selection.kind === Kind.FIELD) fields.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) stack.push({ set: selection.selectionSet, next: 0 });
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) stack.push({ set: fragment.selectionSet, next: 0 });
    }
  }
  return fields;
}

/**
 * The reason/ticket pairs of the operation's root mutation fields (empty for queries). `document`
 * holds the fragments the operation spreads (without it, spreads are not followed).
 */
export function changeNotesOf(operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>, document?: DocumentNode): AccessChange[] {
  if (operation.operation !== 'mutation') return [];
  const out: AccessChange[] = [];
  for (const selection of rootFieldsOf(operation, document)) {
    if (out.length >= CHANGE_NOTE_LIMITS.fields) break;
    const args = new Map((selection.arguments ?? []).map((a) => [a.name.value, a.value]));
    let reason = valueOf(args.get('reason'), variables);
    let ticket = valueOf(args.get('ticket'), variables);
    const input = valueOf(args.get('input'), variables);
    if (input && typeof input === 'object' && !Array.isArray(input)) {
      reason ??= (input as Record<string, unknown>).reason;
      ticket ??= (input as Record<string, unknown>).ticket;
    }
    if (reason === undefined && ticket === undefined) continue;
    out.push({ coordinate: `Mutation.${selection.name.value}`, reason: sanitizeMaskedText(reason, CHANGE_NOTE_LIMITS.reason), ticket: sanitizeMaskedText(ticket, CHANGE_NOTE_LIMITS.ticket) });
  }
  return out;
}
