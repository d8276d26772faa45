/**
 * Shared by the operation-limit tests: a small schema with list fields and a connection, the
 * default limits, and builders for the hostile documents issue 6 names.
 */
import { buildSchema, parse, validate, type DocumentNode, type ValidationRule } from 'graphql';
import { operationLimitRules, type OperationLimits } from '../../../../limits/operation-limits/index.js';
import { loadConfig } from '../../../../core/config.js';

export const schema = buildSchema(/* GraphQL */ `
  directive @tag(name: String) repeatable on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT | QUERY

  type Query {
    viewer: User
    user(id: ID!): User
    users(first: Int, limit: Int): [User!]!
    search(text: String, first: Int = 20): UserConnection
    tags: [String!]!
    status: String
    a: String
    b: String
    c: String
  }

  type Mutation {
    rename(name: String!): User
  }

  type User {
    id: ID!
    name: String
    best: User
    friends(first: Int): [User!]!
    posts: [Post!]!
  }

  type Post {
    id: ID!
    title: String
    comments(limit: Int): [Comment!]!
  }

  type Comment {
    id: ID!
    text: String
  }

  type UserConnection {
    edges: [UserEdge!]!
    nodes: [User!]!
    totalCount: Int
  }

  type UserEdge {
    cursor: String
    node: User
  }
`);

/** The configuration defaults, read from core/config.ts so the tests follow them. */
export const defaults: OperationLimits = loadConfig({}).operationLimits;

export const withLimits = (over: Partial<OperationLimits>): OperationLimits => ({ ...defaults, ...over });

/** No bound at all: lets a hostile document through the pre-parse check to reach the rules. */
export const unbounded: OperationLimits = withLimits({
  maxDepth: 1e9,
  maxAliases: 1e9,
  maxRootFields: 1e9,
  maxTokens: 1e9,
  maxDocumentBytes: 1e9,
  maxDirectivesPerField: 1e9,
  maxCost: Number.MAX_SAFE_INTEGER,
});

/** `{ a0: status a1: status … }` */
export function aliasQuery(count: number): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`a${i}: status`);
  return `{ ${parts.join(' ')} }`;
}

/** `{ viewer { best { best { … id } } } }` with `depth` field levels. */
export function depthQuery(depth: number): string {
  return `{ viewer ${'{ best '.repeat(depth - 2)}{ id }${' }'.repeat(depth - 2)} }`;
}

/** About `bytes` bytes of aliased root fields (`{ a0: status a1: status … }`). */
export function largeDocument(bytes: number): string {
  const parts: string[] = [];
  let size = 4;
  for (let i = 0; size < bytes; i++) {
    const part = `a${i}: status`;
    parts.push(part);
    size += part.length + 1;
  }
  return `{ ${parts.join(' ')} }`;
}

/** `count` fragment definitions, each spreading the next: `query { ...F0 } fragment F0 on Query { status ...F1 } …` */
export function fragmentChain(count: number): string {
  const defs: string[] = [];
  for (let i = 0; i < count; i++) defs.push(`fragment F${i} on Query { status${i + 1 < count ? ` ...F${i + 1}` : ''} }`);
  return `query { ...F0 }\n${defs.join('\n')}`;
}

/**
 * A fragment fan-out bomb: each of `levels` fragments selects two aliased `best` fields that both
 * spread the next, so executing it would touch 2^levels objects.
 */
export function fragmentBomb(levels: number): string {
  const defs: string[] = [];
  for (let i = 0; i < levels; i++) {
    const next = i + 1 < levels ? `...B${i + 1}` : 'id';
    defs.push(`fragment B${i} on User { l: best { ${next} } r: best { ${next} } }`);
  }
  return `query { viewer { ...B0 } }\n${defs.join('\n')}`;
}

/** What a rule reported, reduced to the contract: code, limit kind, HTTP status. */
export interface Reported {
  code: unknown;
  limit: unknown;
  status: unknown;
}

/** Validates `query` against the test schema with the given rules (default: every limit rule). */
export function limitErrors(query: string | DocumentNode, limits: OperationLimits, rules: ValidationRule[] = operationLimitRules(limits)): Reported[] {
  return validate(schema, typeof query === 'string' ? parse(query) : query, rules).map((e) => ({ code: e.extensions['code'], limit: e.extensions['limit'], status: (e.extensions['http'] as { status?: number } | undefined)?.status }));
}

/** The limit kinds reported for `query`. */
export const kindsOf = (query: string | DocumentNode, limits: OperationLimits, rules?: ValidationRule[]): unknown[] => limitErrors(query, limits, rules).map((r) => r.limit);
