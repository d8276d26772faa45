/**
 * Operation limits (issue 6): document-only validation rules and the pre-parse check. None of
 * them depends on the caller, so they may run once per document (validation is skipped for
 * cached documents); the caller-dependent and variable-dependent check (`checkOperationCost`
 * with the request's variables) belongs in `didResolveOperation`.
 */
import type { ValidationRule } from 'graphql';
import { maxAliasesRule } from './aliases.js';
import { maxCostRule } from './cost.js';
import { maxDepthRule } from './depth.js';
import { maxDirectivesRule } from './directives.js';
import type { OperationLimits } from './limit-error.js';
import { maxRootFieldsRule } from './root-fields.js';

export { assumedSizesOf, attachAssumedSizes, readAssumedSizes, type AssumedSizes } from './cost-hints.js';
export { checkOperationCost, operationCost, SIZE_ARGUMENTS, sizesFromVariables, type CostOptions } from './cost.js';
export { limitDenial, limitError, type OperationLimitKind, type OperationLimits } from './limit-error.js';
export { countTokens, documentCheck, documentChecker, DOCUMENT_VERDICTS_MAX_BYTES, parseOptions, preParseCheck } from './pre-parse.js';
export { mergedFieldComparisons } from './merged-fields.js';
export { maxAliasesRule, maxCostRule, maxDepthRule, maxDirectivesRule, maxRootFieldsRule };

/**
 * Every document-only limit as graphql validation rules (Apollo Server `validationRules`). The
 * cheap structural checks come first; each rule measures a fragment once however often it is
 * spread.
 */
export function operationLimitRules(limits: OperationLimits): ValidationRule[] {
  return [maxDirectivesRule(limits), maxRootFieldsRule(limits), maxAliasesRule(limits), maxDepthRule(limits), maxCostRule(limits)];
}
