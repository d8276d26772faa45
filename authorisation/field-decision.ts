/**
 * Field authorisation: evaluates every selected field's requirements for one caller, then
 * (a) removes the refused fields from the document before planning, so the subgraphs are never
 * asked for them, and (b) puts `null` and a coded error back at each refused path afterwards.
 * Pure functions; the plugin caches their results per (document, caller grants, client ids).
 */
import { createHash } from 'node:crypto';
import { Kind, print, visit, type DocumentNode, type FieldNode, type GraphQLFormattedError, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Denial } from '../core/errors.js';
import type { Caller } from './directives/caller.js';
import { argumentString, type FieldEntry, type OperationAnalysis } from './operation-analysis.js';

export interface RefusedField {
  entry: FieldEntry;
  denial: Denial;
}

export interface FieldDecision {
  refused: readonly RefusedField[];
  /** Client ids named in argument-bound directives (for the access log, digested there). */
  clientIds: readonly string[];
  /** Every root field refused: nothing is left to execute. */
  nothingLeft: boolean;
  /**
   * The instant (ms) until which this decision holds by the clock alone: the earliest expiry among
   * the timed facts it read (an authorisation's expiresAt, the product's certification or
   * suspension bounds); Infinity when only a register change can alter it.
   */
  holdsUntil: number;
}

/** `now`: the decision's instant (the request's), at which timed facts such as an authorisation's expiry are judged. */
export function decideFields(analysis: OperationAnalysis, caller: Caller, variables: Record<string, unknown> | undefined, now: number): FieldDecision {
  const refused: RefusedField[] = [];
  const refusedIndex = new Set<number>();
  const clientIds = new Set<string>();
  let rootFields = 0;
  let rootRefused = 0;
  let holdsUntil = caller.holdsUntil;
  const noteHoldsUntil = (instant: number): void => {
    if (instant < holdsUntil) holdsUntil = instant;
  };
  analysis.entries.forEach((entry, index) => {
    if (entry.parent === -1) rootFields++;
    for (const [, value] of entry.argumentValues) {
      const id = argumentString(value, variables);
      if (id) clientIds.add(id);
    }
    // Below a refused field nothing is evaluated or reported: the parent's null covers it.
    if (entry.parent !== -1 && refusedIndex.has(entry.parent)) {
      refusedIndex.add(index);
      return;
    }
    for (const requirement of entry.requirements) {
      const argumentValue = requirement.argument ? argumentString(entry.argumentValues.get(requirement.argument), variables) : undefined;
      const denial = requirement.directive.evaluate(requirement.args, caller, { argumentValue, now, holdsUntil: noteHoldsUntil });
      if (denial) {
        refused.push({ entry, denial });
        refusedIndex.add(index);
        if (entry.parent === -1) rootRefused++;
        break;
      }
    }
  });
  return { refused, clientIds: [...clientIds], nothingLeft: rootFields > 0 && rootRefused === rootFields, holdsUntil };
}

/** Response key standing in for a selection set whose every field was refused (stripped again afterwards). */
export const PLACEHOLDER_KEY = '__dspRemoved';

export interface FilteredOperation {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  /** sha256 of the filtered document: the plan cache key, so no caller is served another's plan. */
  queryHash: string;
  /** Some selection set lost every field and holds a placeholder that must be stripped. */
  hasPlaceholders: boolean;
}

export function filterDocument(document: DocumentNode, operationName: string | null, refused: readonly RefusedField[]): FilteredOperation {
  const remove = new Set<FieldNode>(refused.map((r) => r.entry.node));
  const placeholder: FieldNode = { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: PLACEHOLDER_KEY }, name: { kind: Kind.NAME, value: '__typename' } };
  let hasPlaceholders = false;
  let removed = 0;
  const filtered = visit(document, {
    Field: {
      enter: (node) => {
        if (!remove.has(node)) return undefined;
        removed++;
        return null;
      },
    },
    SelectionSet: {
      leave: (node: SelectionSetNode) => {
        if (node.selections.length > 0) return undefined;
        hasPlaceholders = true;
        return { ...node, selections: [placeholder] };
      },
    },
  });
  // Every refused field must be gone before the document is planned. A refused node that is not
  // in this document (a walk of another parse) would otherwise leave the field to be executed.
  if (removed < remove.size) throw new Error(`filterDocument: ${remove.size - removed} of ${remove.size} refused fields are not in the document`);
  const operation = filtered.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (operationName ? d.name?.value === operationName : true),
  )!;
  return { document: filtered, operation, queryHash: createHash('sha256').update(print(filtered)).digest('hex'), hasPlaceholders };
}

const MAX_ERRORS_PER_FIELD = 50;

export interface ResponsePatch {
  errors: GraphQLFormattedError[];
  /** A refused non-null root field: the whole `data` becomes null. */
  dataNull: boolean;
}

/**
 * Puts null and a coded error at every concrete path of each refused field, and strips
 * placeholders. Mutates `data` (the executor's fresh result).
 */
export function patchResponse(data: Record<string, unknown> | null | undefined, refused: readonly RefusedField[], hasPlaceholders: boolean): ResponsePatch {
  const errors: GraphQLFormattedError[] = [];
  let dataNull = false;
  if (data && hasPlaceholders) stripPlaceholders(data);
  for (const { entry, denial } of refused) {
    const extensions = { code: denial.code, coordinate: entry.coordinate, ...(denial.details ?? {}) };
    const nullPaths: Array<Array<string | number>> = [];
    if (entry.nullAt === 0) dataNull = true;
    else if (data) setNullAt(data, entry.path.slice(0, entry.nullAt), [], nullPaths);
    // The error names the refused field's own path; the null may sit higher (non-null bubbling).
    const below = entry.path.slice(entry.nullAt);
    const paths = nullPaths.length ? nullPaths.map((p) => [...p, ...below]) : [[...entry.path]];
    for (const path of paths.slice(0, MAX_ERRORS_PER_FIELD)) errors.push({ message: denial.message, path, extensions });
  }
  return { errors, dataNull };
}

function setNullAt(node: unknown, keys: readonly string[], prefix: Array<string | number>, out: Array<Array<string | number>>): void {
  if (node === null || node === undefined) return;
  if (Array.isArray(node)) {
    node.forEach((item, i) => setNullAt(item, keys, [...prefix, i], out));
    return;
  }
  if (typeof node !== 'object') return;
  const [key, ...rest] = keys;
  if (key === undefined) return;
  const obj = node as Record<string, unknown>;
  if (rest.length === 0) {
    obj[key] = null;
    out.push([...prefix, key]);
    return;
  }
  setNullAt(obj[key], rest, [...prefix, key], out);
}

function stripPlaceholders(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) stripPlaceholders(item);
  } else if (node && typeof node === 'object') {
    const obj = node as Record<string, unknown>;
    if (PLACEHOLDER_KEY in obj) delete obj[PLACEHOLDER_KEY];
    for (const value of Object.values(obj)) if (value && typeof value === 'object') stripPlaceholders(value);
  }
}
