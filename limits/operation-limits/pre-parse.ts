/**
 * Checks before graphql's parser sees a document: its size in bytes, then a token count by
 * graphql-js's own lexer that stops as soon as the bound is passed. A hostile document (a
 * megabyte of aliases, thousands of fragments) is refused here for the cost of lexing it once,
 * without building an AST. graphql's `maxTokens` parse option (`parseOptions`) stays on as the
 * second line inside Apollo's parse.
 */
import { Lexer, Source, TokenKind, type ParseOptions } from 'graphql';
import type { Denial } from '../../core/errors.js';
import { limitDenial, type OperationLimits } from './limit-error.js';

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

/** graphql `parse` options enforcing the token bound inside the parser (Apollo Server `parseOptions`). */
export function parseOptions(limits: Pick<OperationLimits, 'maxTokens'>): ParseOptions {
  return { maxTokens: limits.maxTokens };
}
