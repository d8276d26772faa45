/**
 * The linear measure of graphql's field-merging work (review s19b F4) and the document check that
 * refuses past OP_MAX_MERGED_FIELDS before Apollo parses and validates.
 */
import { parse } from 'graphql';
import { loadConfig } from '../../../../core/config.js';
import { documentCheck, documentChecker, mergedFieldComparisons } from '../../../../limits/operation-limits/index.js';

const measure = (text: string, stopAbove = Number.POSITIVE_INFINITY) => mergedFieldComparisons(parse(text), stopAbove);
const limits = loadConfig({ NODE_ENV: 'test' }).operationLimits;

describe('mergedFieldComparisons', () => {
  test('an ordinary document measures its number of fields', () => {
    expect(measure('{ client(clientId: "C-1") { id name lodgments(first: 5) { id status } } }')).toBe(6);
  });

  test('fields sharing a response key count the square of their number, and their sub-selections merge', () => {
    // client ×2 → 4; lodgments ×2 (one under each client, merged) → 4; id ×2 → 4.
    expect(measure('{ client(clientId: "C-1") { lodgments(first: 1) { id } } client(clientId: "C-1") { lodgments(first: 1) { id } } }')).toBe(12);
    // Aliases are different response keys.
    expect(measure('{ a: client(clientId: "C-1") { id } b: client(clientId: "C-2") { id } }')).toBe(4);
  });

  test('inline fragments and spreads merge into the place they are in; a fragment definition is a place of its own', () => {
    expect(measure('{ client(clientId: "C-1") { id ... on Client { id } ...F ...F } } fragment F on Client { id }')).toBe(1 + 9 + 1);
    // A spread of an unknown fragment adds nothing (validation reports it).
    expect(measure('{ client(clientId: "C-1") { id ...Missing } }')).toBe(2);
  });

  test('twenty copies of a field each holding twenty copies of another measure 320,400, and the walk stops once past the bound', () => {
    const twenty = `{ ${`client(clientId: "C-1") { ${'lodgments(first: 1) { id } '.repeat(20)}} `.repeat(20)}}`;
    expect(measure(twenty)).toBe(400 + 160_000 + 160_000);
    const stopped = measure(twenty, 5_000);
    expect(stopped).toBeGreaterThan(5_000);
    expect(stopped).toBeLessThan(320_400);
  });

  test('a fan-out of fragments too large to walk measures Infinity', () => {
    // Each level spreads the next under two aliases (two places, which do not merge): 2^17 places to walk.
    const levels = Array.from({ length: 17 }, (_, i) => `fragment L${i} on Client { a: lodgments(first: 1) { client { ...L${i + 1} } } b: lodgments(first: 1) { client { ...L${i + 1} } } }`).join(' ');
    expect(measure(`{ client(clientId: "C-1") { ...L0 } } ${levels} fragment L17 on Client { id }`)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('documentCheck', () => {
  const twenty = `{ ${`client(clientId: "C-1") { ${'lodgments(first: 1) { id } '.repeat(20)}} `.repeat(20)}}`;

  test('refuses past the bound as MERGED_FIELDS, and keeps the earlier checks first', () => {
    expect(documentCheck(twenty, limits)).toMatchObject({ code: 'OPERATION_LIMIT_EXCEEDED', details: { limit: 'MERGED_FIELDS' } });
    expect(documentCheck('{ client(clientId: "C-1") { id } }', limits)).toBeNull();
    expect(documentCheck(twenty, { ...limits, maxTokens: 100 })).toMatchObject({ details: { limit: 'TOKENS' } });
    expect(documentCheck(twenty, { ...limits, maxMergedFields: 320_400 })).toBeNull();
  });

  test('leaves a document that does not parse to Apollo', () => {
    expect(documentCheck('{ client(clientId: "C-1") { id ', limits)).toBeNull();
  });

  test('the checker remembers the verdict of each text', () => {
    const check = documentChecker(limits);
    const first = check(twenty);
    expect(first).toMatchObject({ details: { limit: 'MERGED_FIELDS' } });
    expect(check(twenty)).toBe(first);
    expect(check('{ client(clientId: "C-1") { id } }')).toBeNull();
  });
});
