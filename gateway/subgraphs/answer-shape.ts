/**
 * A subgraph's `data` held to what its fetch asked for, before @apollo/gateway reads it.
 *
 * @apollo/gateway trusts the shape of a subgraph's answer. It deep-merges every entity into the
 * entity the fetches before it built, whatever keys it holds, so a subgraph asked for
 * `Client.lodgments` that also answered `name` or `tfnMasked` overwrote what the owning subgraph
 * served (session 32's review, F1). And it throws, or works without bound, when a value is of the
 * wrong kind (session 33's review): a string where an object belongs made the whole answer a
 * 400 INTERNAL_SERVER_ERROR and lost every subgraph's data; a `data` that is a 2 MB string was
 * merged one key per character (seconds of blocked event loop, a gigabyte of heap at 16 MiB); a
 * value nested 200,000 deep overflowed the stack; 100,000 list items of the wrong type cost
 * seconds of errors Apollo builds; and the custom scalar `SafeInt`, which Apollo does not check,
 * passed any text or a 10,000-deep value on to the caller (a 500 when it was written out).
 *
 * So an answer's `data` keeps only the response keys (aliases included) its fetch document
 * selects, at every depth (a fragment's fields count whatever its type condition), and each value
 * must be of the kind its field's type says (taken from the API schema where the field is in it):
 * an object or null where the field has a selection set; a string, a boolean, a 32-bit integer,
 * a finite number, a safe integer (`SafeInt`, an `ID` also a string), one of its values (an enum)
 * at a leaf; every non-null field the fetch selects of every object (a key left out is a null); as many lists as the field's type has (at most MAX_LIST_DEPTH where it is not known);
 * `__typename` a string naming the field's type or one of its possible types. A value that is not
 * is made null, and its path is reported (the data source answers SUBGRAPH_UNAVAILABLE there); a
 * null where the type allows none makes its nearest nullable position null, as execution does. A `data` that is not an object,
 * or an entity fetch's `_entities` that is not a list of one item per representation sent,
 * fails the whole answer.
 *
 * Every walk is bounded in depth by the fetch document's (the operation limits bound that) times
 * the list depth, so no answer can overflow the stack. The shape of a fetch document is computed
 * once and kept in a cache bounded in bytes (the planner's fetches repeat); an answer that holds
 * nothing else, the usual case, is checked without a copy.
 */
import {
  Kind, getNamedType, isAbstractType, isCompositeType, isEnumType, isInterfaceType, isListType, isNamedType, isNonNullType, isObjectType, isScalarType, parse,
  type FragmentDefinitionNode, type GraphQLCompositeType, type GraphQLEnumType, type GraphQLList, type GraphQLNonNull, type GraphQLOutputType, type GraphQLSchema, type SelectionSetNode,
} from 'graphql';
import { LRUCache } from 'lru-cache';

/** What a leaf's value must be. `any`: the field is not in the API schema; a string, a finite number or a boolean. */
export type LeafKind = 'String' | 'Int' | 'Float' | 'Boolean' | 'ID' | 'SafeInt' | 'any';
/** `__typename`: the type names it may hold (null: any string). */
export class TypenameLeaf {
  constructor(readonly names: ReadonlySet<string> | null) {}
}
/** An enum leaf: the values it may hold. */
export class EnumLeaf {
  constructor(readonly values: ReadonlySet<string>) {}
}
/**
 * Response key → the field's shape: what is under it, and how many lists wrap it. `required`:
 * the keys every object here must hold, the non-null fields selected whatever the object's type
 * and without @skip or @include (a key left out is a null, which @apollo/gateway would complete
 * with an error per object: session 33's second review). None once selections of two types
 * share the shape (`mixed`).
 */
export class AnswerShape extends Map<string, AnswerField> {
  required: string[] = [];
  mixed = false;
  constructor(readonly typeName: string | null = null) {
    super();
  }
}
export type AnswerNode = AnswerShape | LeafKind | TypenameLeaf | EnumLeaf;
export interface AnswerField {
  node: AnswerNode;
  /** The lists around the field's type (`[[String]]`: 2); null when not known (not in the API schema): up to MAX_LIST_DEPTH. */
  lists: number | null;
  /** Which of its levels are non-null: bit 0 the field's value, bit k the items k lists in (`[Lodgment!]`: 0b10). 0 when not known. */
  nonNull: number;
}

/** Lists nested in a field the API schema does not type: more than any field of this API has ([[T]] at most). */
export const MAX_LIST_DEPTH = 8;

const SCALARS: ReadonlySet<string> = new Set(['String', 'Int', 'Float', 'Boolean', 'ID', 'SafeInt']);

const enumLeaves = new WeakMap<GraphQLEnumType, EnumLeaf>();

function leafKindOf(type: unknown): LeafKind | EnumLeaf {
  if (isScalarType(type) && SCALARS.has(type.name)) return type.name as LeafKind;
  if (!isEnumType(type)) return 'any';
  let leaf = enumLeaves.get(type);
  if (!leaf) enumLeaves.set(type, (leaf = new EnumLeaf(new Set(type.getValues().map((v) => v.name)))));
  return leaf;
}

function typenamesOf(schema: GraphQLSchema | null, parent: GraphQLCompositeType | null): ReadonlySet<string> | null {
  if (!schema || !parent) return null;
  return new Set(isAbstractType(parent) ? schema.getPossibleTypes(parent).map((t) => t.name) : [parent.name]);
}

/** How many lists wrap `type`, and which of its levels are non-null. */
function wrappersOf(type: GraphQLOutputType): { lists: number; nonNull: number } {
  let lists = 0;
  let nonNull = 0;
  for (let t: GraphQLOutputType = type; !isNamedType(t); t = (t as GraphQLList<GraphQLOutputType> | GraphQLNonNull<GraphQLOutputType>).ofType) {
    if (isListType(t)) lists++;
    else if (isNonNullType(t)) nonNull |= 1 << lists;
  }
  return { lists, nonNull };
}

/** Two selections of one response key (under different type conditions): what both allow. */
function merged(a: AnswerField | undefined, b: AnswerField): AnswerField {
  if (a === undefined) return b;
  const lists = a.lists === b.lists ? a.lists : null;
  const nonNull = lists === null ? 0 : a.nonNull & b.nonNull;
  if (a.node === b.node) return { node: a.node, lists, nonNull };
  if (a.node instanceof TypenameLeaf && b.node instanceof TypenameLeaf) return { node: new TypenameLeaf(a.node.names && b.node.names ? new Set([...a.node.names, ...b.node.names]) : null), lists: 0, nonNull: 0 };
  return { node: a.node instanceof AnswerShape ? a.node : 'any', lists, nonNull };
}

interface Build {
  schema: GraphQLSchema | null;
  /** Selections of the operation's root selection set. */
  root: boolean;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  spreading: Set<string>;
}

function typeNamed(b: Build, name: string | undefined, otherwise: GraphQLCompositeType | null): GraphQLCompositeType | null {
  if (!name) return otherwise;
  const type = b.schema?.getType(name);
  return isCompositeType(type) ? type : null;
}

/** `unconditional`: the selections apply to every object at this position (its type known, no type condition narrower than it, no @skip or @include). */
function addSelections(shape: AnswerShape, set: SelectionSetNode, parent: GraphQLCompositeType | null, b: Build, unconditional: boolean): void {
  for (const selection of set.selections) {
    const always = unconditional && !selection.directives?.length;
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      const name = selection.name.value;
      if (name === '__typename') {
        shape.set(key, merged(shape.get(key), { node: new TypenameLeaf(typenamesOf(b.schema, parent)), lists: 0, nonNull: 0 }));
        continue;
      }
      const field = parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
      const type = field ? getNamedType(field.type) : undefined;
      // An entity fetch's `_entities` (not in the API schema) is one list of entities.
      const { lists, nonNull } = field ? wrappersOf(field.type) : { lists: b.root && name === '_entities' ? 1 : null, nonNull: 0 };
      if (always && nonNull & 1 && !shape.mixed && !shape.required.includes(key)) shape.required.push(key);
      if (!selection.selectionSet) {
        shape.set(key, merged(shape.get(key), { node: leafKindOf(type), lists, nonNull }));
        continue;
      }
      const childType = isCompositeType(type) ? type : null;
      let child = shape.get(key);
      if (!(child?.node instanceof AnswerShape)) shape.set(key, (child = { node: new AnswerShape(childType?.name ?? null), lists, nonNull }));
      else if (child.lists !== lists) Object.assign(child, { lists: null, nonNull: 0 });
      else child.nonNull &= nonNull;
      const childShape = child.node as AnswerShape;
      if (childShape.typeName !== (childType?.name ?? null)) Object.assign(childShape, { mixed: true, required: [] });
      addSelections(childShape, selection.selectionSet, childType, { ...b, root: false }, childType !== null && (isObjectType(childType) || isInterfaceType(childType)));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition?.name.value;
      addSelections(shape, selection.selectionSet, typeNamed(b, condition, parent), b, always && (condition === undefined || condition === parent?.name));
    } else {
      const name = selection.name.value;
      const fragment = b.fragments.get(name);
      if (!fragment || b.spreading.has(name)) continue; // unknown or cyclic: selects nothing
      b.spreading.add(name);
      const condition = fragment.typeCondition.name.value;
      addSelections(shape, fragment.selectionSet, typeNamed(b, condition, parent), b, always && condition === parent?.name);
      b.spreading.delete(name);
    }
  }
}

/** The shape of `data` a fetch document asks for (its first operation), typed from `schema` where its fields are in it. */
export function answerShapeOf(query: string, schema: GraphQLSchema | null = null): AnswerShape {
  const document = parse(query, { noLocation: true });
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const shape = new AnswerShape(null);
  const operation = document.definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (operation && operation.kind === Kind.OPERATION_DEFINITION) {
    const root = schema ? (operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'query' ? schema.getQueryType() : null) : null;
    addSelections(shape, operation.selectionSet, root ?? null, { schema, root: true, fragments, spreading: new Set() }, root != null);
  }
  return shape;
}

function leafFits(value: unknown, kind: LeafKind): boolean {
  switch (kind) {
    case 'String':
      return typeof value === 'string';
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Int':
      return Number.isInteger(value) && (value as number) >= -2147483648 && (value as number) <= 2147483647;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'SafeInt':
      return Number.isSafeInteger(value);
    case 'ID':
      // A number is served as it is: only one that prints as its digits, exactly.
      return typeof value === 'string' || Number.isSafeInteger(value);
    default:
      return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
  }
}

function typenameFits(value: unknown, leaf: TypenameLeaf): boolean {
  return typeof value === 'string' && (leaf.names === null || leaf.names.has(value));
}

function leafOk(value: unknown, node: LeafKind | TypenameLeaf | EnumLeaf): boolean {
  if (node instanceof TypenameLeaf) return typenameFits(value, node);
  if (node instanceof EnumLeaf) return typeof value === 'string' && node.values.has(value);
  return leafFits(value, node);
}

/**
 * Whether `value` fits as it is, at a position of `node` inside `lists` more lists (null: not
 * known, at most MAX_LIST_DEPTH, `nested` counts them), non-null where bit 0 of `nonNull` says:
 * no key outside the shape, every value of its kind, no null where the type has none. No allocation.
 */
function fits(value: unknown, node: AnswerNode, lists: number | null, nonNull: number, nested: number): boolean {
  if (value === null || value === undefined) return (nonNull & 1) === 0;
  if (Array.isArray(value)) {
    if (lists === 0 || nested >= MAX_LIST_DEPTH) return false;
    for (const item of value) if (!fits(item, node, lists === null ? null : lists - 1, nonNull >> 1, nested + 1)) return false;
    return true;
  }
  if (lists !== null && lists > 0) return false;
  if (node instanceof AnswerShape) {
    if (typeof value !== 'object') return false;
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      const child = node.get(key);
      if (child === undefined || !fits((value as Record<string, unknown>)[key], child.node, child.lists, child.nonNull, 0)) return false;
    }
    for (const key of node.required) if (!Object.hasOwn(value, key)) return false;
    return true;
  }
  return leafOk(value, node);
}

interface Walk {
  /** Paths of the values made null, at most `max` of them. */
  problems: Array<Array<string | number>>;
  count: number;
  max: number;
}

function nulled(w: Walk, path: ReadonlyArray<string | number>): null {
  w.count++;
  if (w.problems.length < w.max) w.problems.push([...path]);
  return null;
}

/**
 * `value` as its position allows it (the arguments as for `fits`): keys outside the shape left
 * out, a value of the wrong kind made null and reported. A null where the type has none makes
 * the nearest position that may be null null, as GraphQL execution does, so @apollo/gateway finds
 * no null it must complete (it builds two errors for each: seconds for 100,000 list items). A copy.
 */
function rebuilt(value: unknown, node: AnswerNode, lists: number | null, nonNull: number, nested: number, path: Array<string | number>, w: Walk): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) {
    if (lists === 0 || nested >= MAX_LIST_DEPTH) return nulled(w, path);
    const out: unknown[] = new Array(value.length);
    const itemNonNull = nonNull >> 1;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const item = value[i] === null && itemNonNull & 1 ? nulled(w, path) : rebuilt(value[i], node, lists === null ? null : lists - 1, itemNonNull, nested + 1, path, w);
      path.pop();
      if (item === null && itemNonNull & 1) return null;
      out[i] = item;
    }
    return out;
  }
  if (lists !== null && lists > 0) return nulled(w, path);
  if (node instanceof AnswerShape) {
    if (typeof value !== 'object') return nulled(w, path);
    const object = value as Record<string, unknown>;
    // An object whose __typename is wrong cannot be typed: none of it is taken.
    const typename = node.get('__typename');
    if (typename && typename.node instanceof TypenameLeaf && Object.hasOwn(object, '__typename') && !typenameFits(object.__typename, typename.node)) return nulled(w, path);
    for (const key of node.required) {
      if (Object.hasOwn(object, key)) continue;
      path.push(key);
      nulled(w, path);
      path.pop();
      return null;
    }
    const out: Record<string, unknown> = {};
    for (const [key, child] of node) {
      if (!Object.hasOwn(object, key)) continue;
      path.push(key);
      const v = object[key] === null && child.nonNull & 1 ? nulled(w, path) : rebuilt(object[key], child.node, child.lists, child.nonNull, 0, path, w);
      path.pop();
      if (v === null && child.nonNull & 1) return null;
      out[key] = v;
    }
    return out;
  }
  return leafOk(value, node) ? value : nulled(w, path);
}

/** A subgraph answer's `data` as the gateway takes it. */
export interface AdmittedData {
  data: unknown;
  /** The whole answer is unusable: `data` is not an object, or `_entities` is no list of one item per representation. */
  failed: boolean;
  /** Paths (in the fetch's terms) of values made null, at most `maxProblems`. */
  problems: Array<Array<string | number>>;
  /** How many values were made null. */
  nulled: number;
  /** Whether anything was left out or made null. */
  changed: boolean;
}

/** `data` held to `shape`. `representations`: how many entities an entity fetch sent (null for a root fetch). */
export function admitData(data: unknown, shape: AnswerShape, representations: number | null, maxProblems: number): AdmittedData {
  if (data === null || data === undefined) return { data, failed: false, problems: [], nulled: 0, changed: false };
  const entities = representations === null ? null : (data as { _entities?: unknown })._entities;
  if (typeof data !== 'object' || Array.isArray(data) || (representations !== null && !(Array.isArray(entities) && entities.length === representations))) {
    return { data: null, failed: true, problems: [], nulled: 0, changed: true };
  }
  if (fits(data, shape, 0, 0, 0)) return { data, failed: false, problems: [], nulled: 0, changed: false };
  const w: Walk = { problems: [], count: 0, max: maxProblems };
  return { data: rebuilt(data, shape, 0, 0, 0, [], w), failed: false, problems: w.problems, nulled: w.count, changed: true };
}

/** Fetch documents' shapes, bounded in bytes (the planner's fetch texts, which repeat); a new schema makes them anew. */
export function createAnswerShapes(maxBytes = 2 * 1024 * 1024): (query: string, schema?: GraphQLSchema | null) => AnswerShape {
  const shapes = new LRUCache<string, { schema: GraphQLSchema | null; shape: AnswerShape }>({ maxSize: maxBytes, maxEntrySize: Math.floor(maxBytes / 4), sizeCalculation: (_shape, query) => 10 * query.length + 256 });
  return (query, schema = null) => {
    let known = shapes.get(query);
    if (!known || known.schema !== schema) {
      known = { schema, shape: answerShapeOf(query, schema) };
      shapes.set(query, known);
    }
    return known.shape;
  };
}
