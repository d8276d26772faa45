import { describe, expect, it } from '@jest/globals';
import { API_INT_MAX, withinApiInt } from '../../../audit/api-int.js';

describe('withinApiInt (verification results for the audit API)', () => {
  it('holds numbers past SafeInt (2^53-1) at the largest SafeInt, and a problem says its real seq', () => {
    const report = { chainId: 'c', checked: 3, lastSeq: 3, latencyMs: 1.5, problems: [{ seq: 4, toSeq: 2 ** 60, kind: 'TRUNCATED', detail: 'the chain head says seq 2^60' }, { seq: 2, toSeq: 2, kind: 'ALTERED', detail: 'x' }], head: { lastSeq: 2 ** 53 }, time: '2026-12-05T00:00:00.000Z' };
    const out = withinApiInt(report);
    expect(out).toEqual({ ...report, problems: [{ seq: 4, toSeq: API_INT_MAX, kind: 'TRUNCATED', detail: "the chain head says seq 2^60 (seq 1152921504606847000, past the API's SafeInt range)" }, report.problems[1]], head: { lastSeq: API_INT_MAX } });
    expect(report.problems[0]!.toSeq).toBe(2 ** 60); // the input is not changed
  });

  it('carries seqs and counts past Int (2^31-1), which real chains and logs reach, as they are', () => {
    const report = { chainId: 'c', checked: 3_000_000_000, lastSeq: 2 ** 40, problems: [{ seq: 3_000_000_000, toSeq: 3_000_000_001, kind: 'ALTERED', detail: 'x' }] };
    expect(withinApiInt(report)).toEqual(report);
  });

  it('gives a SafeInt field whatever was stored in it (a fraction, text, Infinity) as a whole number, the problem saying what was stored', () => {
    const out = withinApiInt({ lastSeq: 3.5, n: 'abc', problems: [{ seq: 2.5, toSeq: 'x', kind: 'CHECKPOINT_SIGNATURE', detail: 'd' }], heads: [{ lastSeq: Number.POSITIVE_INFINITY }], latencyMs: 1.5 });
    expect(out).toEqual({ lastSeq: 3, n: 0, problems: [{ seq: 2, toSeq: 0, kind: 'CHECKPOINT_SIGNATURE', detail: 'd (seq 2.5–"x", not a whole number)' }], heads: [{ lastSeq: API_INT_MAX }], latencyMs: 1.5 });
  });

  it('leaves a result whose numbers fit as it is', () => {
    const report = { ok: true, chains: [{ seq: API_INT_MAX, n: -API_INT_MAX, omitted: 0 }], storageProblems: [] as string[] };
    expect(withinApiInt(report)).toEqual(report);
  });
});
