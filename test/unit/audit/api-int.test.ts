import { describe, expect, it } from '@jest/globals';
import { GRAPHQL_INT_MAX, withinGraphqlInt } from '../../../audit/api-int.js';

describe('withinGraphqlInt (verification results for the audit API)', () => {
  it('holds numbers past GraphQL\'s Int at the largest Int, and a problem says its real seq', () => {
    const report = { chainId: 'c', checked: 3, lastSeq: 3, latencyMs: 1.5, problems: [{ seq: 4, toSeq: 3_000_000_000, kind: 'TRUNCATED', detail: 'the chain head says seq 3000000000' }, { seq: 2, toSeq: 2, kind: 'ALTERED', detail: 'x' }], head: { lastSeq: 1e12 }, time: '2026-12-05T00:00:00.000Z' };
    const out = withinGraphqlInt(report);
    expect(out).toEqual({ ...report, problems: [{ seq: 4, toSeq: GRAPHQL_INT_MAX, kind: 'TRUNCATED', detail: "the chain head says seq 3000000000 (seq 3000000000, past the API's Int range)" }, report.problems[1]], head: { lastSeq: GRAPHQL_INT_MAX } });
    expect(report.problems[0]!.toSeq).toBe(3_000_000_000); // the input is not changed
  });

  it('gives an Int field whatever was stored in it (a fraction, text, Infinity) as a whole number, the problem saying what was stored', () => {
    const out = withinGraphqlInt({ lastSeq: 3.5, n: 'abc', problems: [{ seq: 2.5, toSeq: 'x', kind: 'CHECKPOINT_SIGNATURE', detail: 'd' }], heads: [{ lastSeq: Number.POSITIVE_INFINITY }], latencyMs: 1.5 });
    expect(out).toEqual({ lastSeq: 3, n: 0, problems: [{ seq: 2, toSeq: 0, kind: 'CHECKPOINT_SIGNATURE', detail: 'd (seq 2.5–"x", not a whole number)' }], heads: [{ lastSeq: GRAPHQL_INT_MAX }], latencyMs: 1.5 });
  });

  it('leaves a result whose numbers fit as it is', () => {
    const report = { ok: true, chains: [{ seq: GRAPHQL_INT_MAX, n: -(2 ** 31), omitted: 0 }], storageProblems: [] as string[] };
    expect(withinGraphqlInt(report)).toEqual(report);
  });
});
