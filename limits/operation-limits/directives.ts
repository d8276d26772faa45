/**
 * Maximum directives per field (and per fragment spread, inline fragment, operation, fragment
 * and variable definition): piles of directives are a cheap way to make every later stage
 * (validation, planning, directive evaluation) work harder. Reported once per document.
 */
import type { ASTVisitor, DirectiveNode, ValidationContext, ValidationRule } from 'graphql';
import { limitError, type OperationLimits } from './limit-error.js';

export function maxDirectivesRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let reported = false;
    const check = (node: { readonly directives?: ReadonlyArray<DirectiveNode> | undefined }): void => {
      const count = node.directives?.length ?? 0;
      if (!reported && count > limits.maxDirectivesPerField) {
        reported = true;
        context.reportError(limitError('DIRECTIVES', limits.maxDirectivesPerField, limits.revealBounds, count));
      }
    };
    return {
      OperationDefinition: check,
      VariableDefinition: check,
      FragmentDefinition: check,
      Field: check,
      FragmentSpread: check,
      InlineFragment: check,
    };
  };
}
