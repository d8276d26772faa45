/**
 * Maximum selection depth: root fields are depth 1, each nested field one more. Fragments are
 * followed (each measured once), inline fragments add no depth. Introspection meta-fields are
 * not counted: whether introspection is allowed at all is the `introspection` setting, and when
 * it is on (a local sandbox) the standard introspection query must pass.
 */
import { Kind, type ASTVisitor, type DocumentNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import { limitError, type OperationLimits } from './limit-error.js';
import { fragmentsInDependencyOrder, isMetaField, NESTING_GUARD } from './selection-walk.js';

function selectionSetDepth(set: SelectionSetNode, fragments: ReadonlyMap<string, number>, nesting: number): number {
  if (nesting > NESTING_GUARD) return Infinity;
  let max = 0;
  for (const sel of set.selections) {
    let depth = 0;
    if (sel.kind === Kind.FIELD) {
      if (isMetaField(sel.name.value)) continue;
      depth = 1 + (sel.selectionSet ? selectionSetDepth(sel.selectionSet, fragments, nesting + 1) : 0);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      depth = selectionSetDepth(sel.selectionSet, fragments, nesting + 1);
    } else {
      depth = fragments.get(sel.name.value) ?? 0;
    }
    if (depth > max) max = depth;
  }
  return max;
}

/** Depth of every fragment of the document, by name. */
function fragmentDepths(document: DocumentNode): Map<string, number> {
  const depths = new Map<string, number>();
  for (const def of fragmentsInDependencyOrder(document)) depths.set(def.name.value, selectionSetDepth(def.selectionSet, depths, 0));
  return depths;
}

/** The depth of each operation in the document, by position (pure; exported for tests and tools). */
export function operationDepths(document: DocumentNode): number[] {
  const fragments = fragmentDepths(document);
  return document.definitions.flatMap((def) => (def.kind === Kind.OPERATION_DEFINITION ? [selectionSetDepth(def.selectionSet, fragments, 0)] : []));
}

export function maxDepthRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let fragments: Map<string, number> | null = null;
    return {
      OperationDefinition(node) {
        fragments ??= fragmentDepths(context.getDocument());
        const depth = selectionSetDepth(node.selectionSet, fragments, 0);
        if (depth > limits.maxDepth) context.reportError(limitError('DEPTH', limits.maxDepth, limits.revealBounds, depth));
        // Nothing inside an operation needs visiting by this rule.
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}
