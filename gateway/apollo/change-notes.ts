/**
 * The reason and ticket a registry mutation gives, for its access record: a register change's
 * record then says why it was made and under which case, next to who made it. Read from the
 * operation's root mutation fields (a `reason`/`ticket` argument, or one inside an `input`
 * object argument), literal or variable, after coercion. Cleaned like every logged string, capped
 * (reason 2000, ticket 100), and any run of 8 or more digits masked: a reason is free text, and a
 * TFN typed into it must not reach the log.
 */
import { Kind, valueFromASTUntyped, type OperationDefinitionNode, type ValueNode } from 'graphql';
import type { AccessChange } from '../../audit/record.js';
import { sanitizeString } from '../../audit/sanitize.js';

export const CHANGE_NOTE_LIMITS = { reason: 2000, ticket: 100, fields: 20 } as const;

/**
 * A run of digits (any script's, after NFKC folds fullwidth and other compatibility forms, and
 * with invisible format characters such as a soft hyphen or a word joiner removed) joined by up to
 * three characters at a time that are neither letters nor digits, holding 8 digits or more in
 * all: `123 456 782`, `123-456-782`, `123.456.782`, `123, 456, 782`, `(123) 456 782`,
 * `123 | 456 | 782`. A date written `2026-12-05`, or `1234567, 3` is masked too: a reason is free
 * text, and a TFN must not reach the log however it is spelled (review s17c F3).
 */
const NUMBER_RUN = /\p{Nd}(?:[^\p{L}\p{Nd}]{0,3}\p{Nd})+/gu;
const DIGIT = /\p{Nd}/gu;
const FORMAT_CHARACTERS = /\p{Cf}/gu;
const maskNumbers = (text: string): string =>
  text
    .normalize('NFKC')
    .replace(FORMAT_CHARACTERS, '')
    .replace(NUMBER_RUN, (run) => ((run.match(DIGIT)?.length ?? 0) >= 8 ? '[number]' : run));

function clean(value: unknown, max: number): string | null {
  const text = sanitizeString(value, max);
  return text === null ? null : maskNumbers(text);
}

function valueOf(node: ValueNode | undefined, variables: Readonly<Record<string, unknown>>): unknown {
  return node ? valueFromASTUntyped(node, variables as Record<string, unknown>) : undefined;
}

/** The reason/ticket pairs of the operation's root mutation fields (empty for queries). */
export function changeNotesOf(operation: OperationDefinitionNode, variables: Readonly<Record<string, unknown>>): AccessChange[] {
  if (operation.operation !== 'mutation') return [];
  const out: AccessChange[] = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || out.length >= CHANGE_NOTE_LIMITS.fields) continue;
    const args = new Map((selection.arguments ?? []).map((a) => [a.name.value, a.value]));
    let reason = valueOf(args.get('reason'), variables);
    let ticket = valueOf(args.get('ticket'), variables);
    const input = valueOf(args.get('input'), variables);
    if (input && typeof input === 'object' && !Array.isArray(input)) {
      reason ??= (input as Record<string, unknown>).reason;
      ticket ??= (input as Record<string, unknown>).ticket;
    }
    if (reason === undefined && ticket === undefined) continue;
    out.push({ coordinate: `Mutation.${selection.name.value}`, reason: clean(reason, CHANGE_NOTE_LIMITS.reason), ticket: clean(ticket, CHANGE_NOTE_LIMITS.ticket) });
  }
  return out;
}
