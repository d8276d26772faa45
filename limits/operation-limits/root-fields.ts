/**
 * Maximum root fields per operation: the distinct response keys of the operation's root
 * selection set, with fragments and inline fragments on the root followed (each fragment once:
 * spreading it again adds no key). Fields with the same response key merge into one execution,
 * so they count once.
 */
import { Kind, type ASTVisitor, type OperationDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import { limitError, type OperationLimits } from './limit-error.js';

/** Distinct response keys at the root of the operation. `fragment` looks a fragment up by name. */
export function rootFieldCount(operation: OperationDefinitionNode, fragment: (name: string) => { selectionSet: SelectionSetNode } | null | undefined): number {
  const keys = new Set<string>();
  const seenFragments = new Set<string>();
  const stack: SelectionSetNode[] = [operation.selectionSet];
  for (let set = stack.pop(); set; set = stack.pop()) {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) keys.add((sel.alias ?? sel.name).value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) stack.push(sel.selectionSet);
      else if (!seenFragments.has(sel.name.value)) {
        seenFragments.add(sel.name.value);
        const def = fragment(sel.name.value);
        if (def) stack.push(def.selectionSet);
      }
    }
  }
  return keys.size;
}

export function maxRootFieldsRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(node) {
      const count = rootFieldCount(node, (name) => context.getFragment(name));
      if (count > limits.maxRootFields) context.reportError(limitError('ROOT_FIELDS', limits.maxRootFields, limits.revealBounds, count));
      return false;
    },
    FragmentDefinition: () => false,
  });
}
