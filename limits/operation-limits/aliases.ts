/**
 * Maximum aliases per operation. Aliases are what let one request ask for the same expensive field
 * thousands of times, so they are counted as executed: through fragments, once per spread (a
 * fragment with 10 aliases spread 5 times counts 50). Each fragment is measured once, so a
 * fan-out bomb is counted in linear time (its count simply grows past the bound).
 */
import { Kind, type ASTVisitor, type DocumentNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import { limitError, type OperationLimits } from './limit-error.js';
import { fragmentsInDependencyOrder, NESTING_GUARD } from './selection-walk.js';

function selectionSetAliases(set: SelectionSetNode, fragments: ReadonlyMap<string, number>, nesting: number): number {
  if (nesting > NESTING_GUARD) return Infinity;
  let count = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (sel.alias) count++;
      if (sel.selectionSet) count += selectionSetAliases(sel.selectionSet, fragments, nesting + 1);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      count += selectionSetAliases(sel.selectionSet, fragments, nesting + 1);
    } else {
      count += fragments.get(sel.name.value) ?? 0;
    }
  }
  return count;
}

function fragmentAliases(document: DocumentNode): Map<string, number> {
  const counts = new Map<string, number>();
  for (const def of fragmentsInDependencyOrder(document)) counts.set(def.name.value, selectionSetAliases(def.selectionSet, counts, 0));
  return counts;
}

/** The alias count of each operation in the document, by position. */
export function operationAliases(document: DocumentNode): number[] {
  const fragments = fragmentAliases(document);
  return document.definitions.flatMap((def) => (def.kind === Kind.OPERATION_DEFINITION ? [selectionSetAliases(def.selectionSet, fragments, 0)] : []));
}

export function maxAliasesRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    let fragments: Map<string, number> | null = null;
    return {
      OperationDefinition(node) {
        fragments ??= fragmentAliases(context.getDocument());
        const count = selectionSetAliases(node.selectionSet, fragments, 0);
        if (count > limits.maxAliases) context.reportError(limitError('ALIASES', limits.maxAliases, limits.revealBounds, count));
        return false;
      },
      FragmentDefinition: () => false,
    };
  };
}
