/**
 * The access record's memo of cleaned texts (audit/sanitize.ts, memoisedText) is bounded at 512
 * KiB. An operation name graphql cut out of a query is a slice that keeps the whole query alive,
 * so the memo must keep copies, not the strings it was given (review s30: 255 names held 8 MB of
 * documents, and a TFN written in a query with them).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'graphql';
import { MEMO_MAX_ENTRIES, recordedOperationName } from '../../../audit/sanitize.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('memoisedText: what the memo keeps alive', () => {
  it('keeps no more than its bound, not the documents its names were cut from', () => {
    for (let i = 0; i < MEMO_MAX_ENTRIES; i++) recordedOperationName(`warm${i}`);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < MEMO_MAX_ENTRIES - 1; i++) {
      const query = `query OperationNumber${String(i).padStart(5, '0')}Xy { __typename } # ${'a'.repeat(32_000)}${i}`;
      const name = (parse(query).definitions[0] as { name: { value: string } }).name.value;
      expect(recordedOperationName(name)).toBe(name);
    }
    gc();
    gc();
    // 255 documents of 32 KB each would be about 8 MB; the names themselves a few KB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(1024 * 1024);
  });
});
