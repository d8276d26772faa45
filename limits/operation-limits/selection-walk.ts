/**
 * What every document-only limit needs to measure an operation quickly and safely:
 * - fragments in dependency order (each fragment after the fragments it spreads), so a measure
 *   computes every fragment once and looks spreads up in a memo: a fragment fan-out bomb costs
 *   one visit per fragment, and a chain of thousands of fragments does not recurse through them;
 * - a nesting guard for the recursion inside one selection tree.
 * Spreads into a cycle or of an unknown fragment measure 0 here: graphql's own NoFragmentCycles
 * and KnownFragmentNames rules refuse those documents.
 */
import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/**
 * Deeper selection nesting than this is refused by every measure (reported as exceeding its
 * limit): no legitimate operation nests a thousand selection sets, and it keeps the measures'
 * recursion far from the stack limit.
 */
export const NESTING_GUARD = 1000;

/** Names of the fragments spread anywhere in a selection set (iterative: no recursion). */
export function spreadNames(selectionSet: SelectionSetNode): string[] {
  const names: string[] = [];
  const stack: SelectionSetNode[] = [selectionSet];
  for (let set = stack.pop(); set; set = stack.pop()) {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FRAGMENT_SPREAD) names.push(sel.name.value);
      else if (sel.selectionSet) stack.push(sel.selectionSet);
    }
  }
  return names;
}

const orderCache = new WeakMap<DocumentNode, readonly FragmentDefinitionNode[]>();

/**
 * The document's fragment definitions, each after every fragment it spreads (cycles broken
 * arbitrarily). Cached per document: the limit rules of one validation share it.
 */
export function fragmentsInDependencyOrder(document: DocumentNode): readonly FragmentDefinitionNode[] {
  const cached = orderCache.get(document);
  if (cached) return cached;
  const byName = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION && !byName.has(def.name.value)) byName.set(def.name.value, def);
  }
  const spreads = new Map<string, string[]>();
  for (const [name, def] of byName) spreads.set(name, spreadNames(def.selectionSet));

  const order: FragmentDefinitionNode[] = [];
  const state = new Map<string, 'open' | 'done'>();
  // Iterative depth-first post-order: a chain of thousands of fragments must not recurse.
  for (const root of byName.keys()) {
    if (state.has(root)) continue;
    const stack: Array<{ name: string; next: number }> = [{ name: root, next: 0 }];
    state.set(root, 'open');
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const deps = spreads.get(top.name)!;
      if (top.next < deps.length) {
        const dep = deps[top.next++]!;
        if (byName.has(dep) && !state.has(dep)) {
          state.set(dep, 'open');
          stack.push({ name: dep, next: 0 });
        }
      } else {
        stack.pop();
        state.set(top.name, 'done');
        order.push(byName.get(top.name)!);
      }
    }
  }
  orderCache.set(document, order);
  return order;
}

/** Introspection meta-fields (`__typename`, `__schema`, `__type`). */
export function isMetaField(name: string): boolean {
  return name.startsWith('__');
}
