/**
 * A subgraph's answer cut to what its fetch asked for. @apollo/gateway deep-merges every entity a
 * subgraph returns into the entity the fetches before it built, whatever keys it holds: a
 * subgraph asked for `Client.lodgments` that also answers `name`, `id` or `tfnMasked` would
 * overwrite the values the owning subgraph served, and the caller would get them (session 32's
 * review, F1). So every answer's `data` keeps only the response keys (aliases included) its
 * fetch document selects, at every depth; a fragment's fields count whatever its type
 * condition, so a key is kept only when this fetch asked this subgraph for a field under it.
 *
 * The shape of a fetch document is computed once and kept in a cache bounded in bytes (the
 * planner's fetches repeat); an answer that holds nothing else, the usual case, is returned as
 * it is, without a copy.
 */
import { Kind, parse, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { LRUCache } from 'lru-cache';

/** Response key → the shape under it (null: a leaf, kept as it is). */
export type AnswerShape = Map<string, AnswerShape | null>;

function addSelections(shape: AnswerShape, set: SelectionSetNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>, spreading: Set<string>): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      if (!selection.selectionSet) {
        if (!shape.has(key)) shape.set(key, null);
        continue;
      }
      let child = shape.get(key);
      if (!child) shape.set(key, (child = new Map()));
      addSelections(child, selection.selectionSet, fragments, spreading);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      addSelections(shape, selection.selectionSet, fragments, spreading);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || spreading.has(name)) continue; // unknown or cyclic: selects nothing
      spreading.add(name);
      addSelections(shape, fragment.selectionSet, fragments, spreading);
      spreading.delete(name);
    }
  }
}

/** The shape of `data` a fetch document asks for (its first operation). */
export function answerShapeOf(query: string): AnswerShape {
  const document = parse(query, { noLocation: true });
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const shape: AnswerShape = new Map();
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operation && operation.kind === Kind.OPERATION_DEFINITION) addSelections(shape, operation.selectionSet, fragments, new Set());
  return shape;
}

/** Whether `value` holds no key outside `shape` at any depth. */
export function fitsShape(value: unknown, shape: AnswerShape): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (!fitsShape(item, shape)) return false;
    return true;
  }
  if (value === null || typeof value !== 'object') return true;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const child = shape.get(key);
    if (child === undefined) return false;
    if (child !== null && !fitsShape((value as Record<string, unknown>)[key], child)) return false;
  }
  return true;
}

/** `value` with every key outside `shape` left out, at every depth (a copy; leaves as they are). */
export function cutToShape(value: unknown, shape: AnswerShape): unknown {
  if (Array.isArray(value)) return value.map((item) => cutToShape(item, shape));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of shape) {
    if (!Object.hasOwn(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    out[key] = child === null ? v : cutToShape(v, child);
  }
  return out;
}

/** Fetch documents' shapes, bounded in bytes (the planner's fetch texts, which repeat). */
export function createAnswerShapes(maxBytes = 2 * 1024 * 1024): (query: string) => AnswerShape {
  const shapes = new LRUCache<string, AnswerShape>({ maxSize: maxBytes, maxEntrySize: Math.floor(maxBytes / 4), sizeCalculation: (_shape, query) => 10 * query.length + 256 });
  return (query) => {
    let shape = shapes.get(query);
    if (!shape) {
      shape = answerShapeOf(query);
      shapes.set(query, shape);
    }
    return shape;
  };
}
