/**
 * Checks before graphql's parser sees a document: its size in bytes, then a token count from a
 * linear scan that stops as soon as the bound is passed. A hostile document (a megabyte of
 * aliases, thousands of fragments) is refused here for the cost of reading it once, without
 * building an AST. graphql's own `maxTokens` parse option (`parseOptions`) stays on as the
 * second line: the scan follows the GraphQL lexical grammar, but the parser is authoritative.
 */
import type { ParseOptions } from 'graphql';
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

const isNameChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isNumberChar = (c: number): boolean => (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;

/**
 * Counts GraphQL lexical tokens (punctuators, names, numbers, strings; not commas, whitespace or
 * comments), stopping once the count passes `stopAbove`. Malformed input still counts (each
 * unexpected character as a token); the parser reports the syntax error.
 */
export function countTokens(source: string, stopAbove = Infinity): number {
  const n = source.length;
  let count = 0;
  let i = 0;
  while (i < n && count <= stopAbove) {
    const c = source.charCodeAt(i);
    // Ignored: tab, LF, CR, space, comma, BOM.
    if (c === 9 || c === 10 || c === 13 || c === 32 || c === 44 || c === 0xfeff) {
      i++;
      continue;
    }
    if (c === 35) {
      // # comment to end of line
      while (i < n && source.charCodeAt(i) !== 10 && source.charCodeAt(i) !== 13) i++;
      continue;
    }
    count++;
    if (c === 46 && source.charCodeAt(i + 1) === 46 && source.charCodeAt(i + 2) === 46) i += 3;
    else if (c === 34) i = skipString(source, i);
    else if (isNameChar(c) && !(c >= 48 && c <= 57)) {
      i++;
      while (i < n && isNameChar(source.charCodeAt(i))) i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      i++;
      while (i < n && isNumberChar(source.charCodeAt(i))) i++;
    } else i++;
  }
  return count;
}

/** Index just after the string (or block string) starting at `start`. */
function skipString(source: string, start: number): number {
  const n = source.length;
  if (source.startsWith('"""', start)) {
    let i = start + 3;
    while (i < n) {
      if (source.charCodeAt(i) === 92 && source.startsWith('"""', i + 1)) i += 4;
      else if (source.startsWith('"""', i)) return i + 3;
      else i++;
    }
    return n;
  }
  let i = start + 1;
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 34) return i + 1;
    else if (c === 10 || c === 13) return i; // unterminated: the parser will say so
    else i++;
  }
  return n;
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
