/**
 * Checks before graphql's parser sees a document: its size in bytes, then a token count by
 * graphql-js's own lexer that stops as soon as the bound is passed. A hostile document (a
 * megabyte of aliases, thousands of fragments) is refused here for the cost of lexing it once,
 * without building an AST. graphql's `maxTokens` parse option (`parseOptions`) stays on as the
 * second line inside Apollo's parse.
 */
import { Lexer, parse, Source, TokenKind, type DocumentNode, type ParseOptions } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Denial } from '../../core/errors.js';
import { limitDenial, type OperationLimits } from './limit-error.js';
import { mergedFieldComparisons } from './merged-fields.js';

type PreParseLimits = Pick<OperationLimits, 'maxDocumentBytes' | 'maxTokens' | 'revealBounds'>;

/** UTF-8 length of `text`, without encoding it when the UTF-16 length already decides. */
function exceedsBytes(text: string, max: number): boolean {
  // Every UTF-16 code unit is 1 to 3 UTF-8 bytes (a surrogate pair, 2 units, is 4 bytes).
  if (text.length > max) return true;
  if (text.length * 3 <= max) return false;
  return Buffer.byteLength(text, 'utf8') > max;
}

/**
 * Counts GraphQL lexical tokens with graphql-js's own lexer (the parser's), stopping once the
 * count passes `stopAbove`: no AST is built, and a hostile document costs at most `stopAbove`
 * tokens of lexing. A lexical error ends the count; the parser reports the syntax error.
 */
export function countTokens(source: string, stopAbove = Infinity): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (count <= stopAbove && lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // Not lexically valid: what was counted stands, and parsing will refuse the document.
  }
  return count;
}

/** Refuses a document that is too large or has too many tokens, before it is parsed. */
export function preParseCheck(query: string, limits: PreParseLimits): Denial | null {
  if (exceedsBytes(query, limits.maxDocumentBytes)) return limitDenial('DOCUMENT_BYTES', limits.maxDocumentBytes, limits.revealBounds);
  const tokens = countTokens(query, limits.maxTokens);
  if (tokens > limits.maxTokens) return limitDenial('TOKENS', limits.maxTokens, limits.revealBounds);
  return null;
}

type DocumentLimits = PreParseLimits & Pick<OperationLimits, 'maxMergedFields'>;

/**
 * Everything about a document's text that is checked before Apollo parses and validates it: the
 * pre-parse checks, then, on a document that parses, the work graphql's validation would spend on
 * merging duplicate selections (`MERGED_FIELDS`, limits/operation-limits/merged-fields.ts). A
 * document that does not parse is left to Apollo, which reports the syntax error.
 */
export function documentCheck(query: string, limits: DocumentLimits): Denial | null {
  const before = preParseCheck(query, limits);
  if (before) return before;
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: limits.maxTokens, noLocation: true });
  } catch {
    return null;
  }
  const merged = mergedFieldComparisons(document, limits.maxMergedFields);
  return merged > limits.maxMergedFields ? limitDenial('MERGED_FIELDS', limits.maxMergedFields, limits.revealBounds, merged) : null;
}

/** Bytes the verdicts of `documentChecker` may hold: the texts (UTF-16) and each entry's bookkeeping. */
export const DOCUMENT_VERDICTS_MAX_BYTES = 2 * 1024 * 1024;
const VERDICT_ENTRY_BYTES = 96;

/**
 * `documentCheck` with its verdicts remembered by the document's text (they depend on nothing
 * else: the limits are the process's), so a document a client sends again is neither lexed nor
 * parsed here again. Bounded in bytes; a text over a tenth of the bound is checked every time.
 */
export function documentChecker(limits: DocumentLimits): (query: string) => Denial | null {
  const verdicts = new LRUCache<string, { denial: Denial | null }>({ maxSize: DOCUMENT_VERDICTS_MAX_BYTES, maxEntrySize: Math.floor(DOCUMENT_VERDICTS_MAX_BYTES / 10), sizeCalculation: (_v, text) => 2 * text.length + VERDICT_ENTRY_BYTES });
  return (query) => {
    const known = verdicts.get(query);
    if (known) return known.denial;
    const denial = documentCheck(query, limits);
    verdicts.set(query, { denial }); // not kept when over maxEntrySize
    return denial;
  };
}

/** graphql `parse` options enforcing the token bound inside the parser (Apollo Server `parseOptions`). */
export function parseOptions(limits: Pick<OperationLimits, 'maxTokens'>): ParseOptions {
  return { maxTokens: limits.maxTokens };
}
