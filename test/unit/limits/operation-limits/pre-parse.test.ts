import { parse } from 'graphql';
import { countTokens, parseOptions, preParseCheck } from '../../../../limits/operation-limits/index.js';
import { withLimits } from './fixtures.js';

/** graphql's own token count (the parser records it on the document). */
const graphqlTokens = (source: string): number => (parse(source) as unknown as { tokenCount: number }).tokenCount;

describe('countTokens', () => {
  it.each([
    '{ viewer { id } }',
    'query Q($n: Int = 5, $s: [String!]!) @tag(name: "x") { users(first: $n) { ...F } } fragment F on User { id name }',
    '# a comment { with [braces]\n{ a, b,, c }',
    '{ search(text: "quote \\" inside, and { braces }") { totalCount } }',
    '{ search(text: """block "quoted" \\""" string""") { totalCount } }',
    '{ users(first: -12) { id } x: b(y: 1.5e3) }',
    '\uFEFF{ a }',
  ])('matches graphql for %s', (source) => {
    expect(countTokens(source)).toBe(graphqlTokens(source));
  });

  it('stops counting once past the bound', () => {
    expect(countTokens('{ a b c d e f g h }', 3)).toBe(4);
  });
});

describe('preParseCheck', () => {
  it('accepts a document at the byte bound and refuses one byte more', () => {
    const limits = withLimits({ maxDocumentBytes: 64 });
    const doc = (bytes: number) => `{ a }${' '.repeat(bytes - 5)}`;
    expect(preParseCheck(doc(64), limits)).toBeNull();
    expect(preParseCheck(doc(65), limits)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', details: { limit: 'DOCUMENT_BYTES' } });
  });

  it('counts bytes, not characters (multi-byte text)', () => {
    const limits = withLimits({ maxDocumentBytes: 64 });
    // 55 characters, 95 bytes (each € is 3 bytes).
    const doc = `{ search(text: "${'€'.repeat(20)}") { totalCount } }`;
    expect(doc.length).toBeLessThanOrEqual(64);
    expect(preParseCheck(doc, limits)).toMatchObject({ details: { limit: 'DOCUMENT_BYTES' } });
  });

  it('accepts a document at the token bound and refuses one token more', () => {
    const limits = withLimits({ maxTokens: 10 });
    expect(preParseCheck('{ a b c d e f g h }', limits)).toBeNull(); // 10 tokens
    expect(preParseCheck('{ a b c d e f g h i }', limits)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', details: { limit: 'TOKENS' } });
  });

  it('does not reveal the bound unless revealBounds is on', () => {
    const hidden = preParseCheck('{ a b c d e f g h i }', withLimits({ maxTokens: 10 }))!;
    expect(hidden.details).toEqual({ limit: 'TOKENS' });
    expect(hidden.message).not.toContain('10');
    const shown = preParseCheck('{ a b c d e f g h i }', withLimits({ maxTokens: 10, revealBounds: true }))!;
    expect(shown.details).toMatchObject({ limit: 'TOKENS', max: 10 });
  });
});

describe('parseOptions', () => {
  it('makes graphql refuse a document over the token bound', () => {
    expect(() => parse('{ a b c d e f g h }', parseOptions({ maxTokens: 10 }))).not.toThrow();
    expect(() => parse('{ a b c d e f g h i }', parseOptions({ maxTokens: 10 }))).toThrow();
  });
});
