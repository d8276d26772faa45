/**
 * The work graphql's OverlappingFieldsCanBeMerged rule will do on a document, measured in one
 * linear pass before graphql validates it (review s19b F4). The rule compares, pair by pair, every
 * two fields that share a response key where selections merge (one selection set with its inline
 * fragments and spreads, and then the sub-selections of all the fields so merged), so a document
 * of duplicate selections within every other limit (twenty copies of a field, each with twenty
 * copies of another: depth 3, no aliases, a low cost, since duplicates execute once) costs it
 * hundreds of thousands of comparisons, 100–300 ms of the event loop.
 *
 * The measure: over every place selections merge, the square of the number of fields sharing each
 * response key there. One field per key counts 1, so an ordinary document measures about its
 * number of fields. Fragments are expanded (each named fragment once per place, as graphql
 * collects them), and every operation and fragment definition is a starting place, since graphql
 * validates them all whichever operation is run.
 */
import { Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/** Selections looked at before the measure gives up (reported as more than any bound). */
export const MERGED_FIELDS_MAX_VISITS = 100_000;

/** The measure, or a number above `stopAbove` as soon as it passes it (Infinity when the walk is too large to finish). */
export function mergedFieldComparisons(document: DocumentNode, stopAbove: number): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(d.name.value)) fragments.set(d.name.value, d);
  const places: SelectionSetNode[][] = [];
  for (const d of document.definitions) if (d.kind === Kind.OPERATION_DEFINITION || d.kind === Kind.FRAGMENT_DEFINITION) places.push([d.selectionSet]);
  let measure = 0;
  let visits = 0;
  while (places.length > 0) {
    const byKey = new Map<string, FieldNode[]>();
    const expanded = new Set<string>();
    const sets = places.pop()!;
    while (sets.length > 0) {
      for (const s of sets.pop()!.selections) {
        if (++visits > MERGED_FIELDS_MAX_VISITS) return Number.POSITIVE_INFINITY;
        if (s.kind === Kind.FIELD) {
          const key = (s.alias ?? s.name).value;
          const same = byKey.get(key);
          if (same) same.push(s);
          else byKey.set(key, [s]);
        } else if (s.kind === Kind.INLINE_FRAGMENT) sets.push(s.selectionSet);
        else if (!expanded.has(s.name.value)) {
          expanded.add(s.name.value);
          const fragment = fragments.get(s.name.value);
          if (fragment) sets.push(fragment.selectionSet);
        }
      }
    }
    for (const fields of byKey.values()) {
      measure += fields.length * fields.length;
      if (measure > stopAbove) return measure;
      const below = fields.flatMap((f) => (f.selectionSet ? [f.selectionSet] : []));
      if (below.length > 0) places.push(below);
    }
  }
  return measure;
}
