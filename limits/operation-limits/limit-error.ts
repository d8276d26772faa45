/**
 * The one shape of an operation-limit refusal: OPERATION_LIMIT_EXCEEDED (HTTP 400) naming which
 * limit was hit. The bound itself (and the measured value) are only told when `revealBounds` is
 * on, so a prober cannot binary-search the limits from error messages.
 */
import type { Config } from '../../core/config.js';
import { CodedError, type Denial } from '../../core/errors.js';

export type OperationLimits = Readonly<Config['operationLimits']>;

export type OperationLimitKind = 'DEPTH' | 'ALIASES' | 'ROOT_FIELDS' | 'DIRECTIVES' | 'COST' | 'TOKENS' | 'DOCUMENT_BYTES' | 'SELECTIONS' | 'MERGED_FIELDS';

const DESCRIPTION: Record<OperationLimitKind, string> = {
  DEPTH: 'maximum selection depth',
  ALIASES: 'maximum number of aliases',
  ROOT_FIELDS: 'maximum number of root fields',
  DIRECTIVES: 'maximum number of directives per field',
  COST: 'maximum cost',
  TOKENS: 'maximum number of tokens',
  DOCUMENT_BYTES: 'maximum document size',
  SELECTIONS: 'maximum number of selections once fragments are expanded',
  MERGED_FIELDS: 'maximum work of merging duplicate selections',
};

/**
 * The denial for one exceeded limit. `actual` is what was measured, when known (a scan that stops
 * early only knows "more than the bound").
 */
export function limitDenial(kind: OperationLimitKind, max: number, revealBounds: boolean, actual?: number): Denial {
  if (!revealBounds) return { code: 'OPERATION_LIMIT_EXCEEDED', message: `The operation exceeds the ${DESCRIPTION[kind]}.`, details: { limit: kind } };
  const measured = actual !== undefined && Number.isFinite(actual) ? actual : undefined;
  return {
    code: 'OPERATION_LIMIT_EXCEEDED',
    message: `The operation exceeds the ${DESCRIPTION[kind]} (${measured !== undefined ? `${measured}, ` : ''}maximum ${max}).`,
    details: { limit: kind, max, ...(measured !== undefined ? { actual: measured } : {}) },
  };
}

/** The same refusal as a GraphQLError, for validation rules to report. */
export function limitError(kind: OperationLimitKind, max: number, revealBounds: boolean, actual?: number): CodedError {
  return CodedError.from(limitDenial(kind, max, revealBounds, actual));
}
