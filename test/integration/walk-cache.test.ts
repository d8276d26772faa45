/**
 * A refused field is removed before planning whatever parse of the document the field walk was
 * cached from (review s17a F1). The walk holds the field nodes of the document it was made from,
 * and the filter removes refused fields by node: a walk cached from a refused request's own parse
 * (every request refused before Apollo is described for its access record) removed nothing from
 * Apollo's parse, so a refused mutation field ran while the client and the log were told it was
 * refused.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const PRACTITIONER = '12345679016'; // authorised for C-000001…C-000050
const COMPANY = '98765432122'; // authorised for itself only: C-000100
const MUTATION = (period: string) => `mutation Lodge($a: ActivityStatementAmountsInput!) {
  mine: lodgeActivityStatement(clientId: "C-000001", period: "${period}", amounts: $a) { id }
  theirs: lodgeActivityStatement(clientId: "C-000100", period: "${period}", amounts: $a) { id clientId period }
}`;
const AMOUNTS = { totalSales: 110_000, gstOnSales: 10_000, gstOnPurchases: 4_000.5, paygWithheld: 2_500 };
const LODGMENTS = 'query { client(clientId: "C-000100") { id lodgments(first: 100) { period formType } } }';

describe('a refused field is never executed, whichever parse its walk was cached from', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  /** The company's activity statements for `period`, as the company itself reads them. */
  async function statements(period: string): Promise<number> {
    const company = await sys.token({ product: 'PRD-CERTIFIED', org: COMPANY });
    const r = await sys.gql(LODGMENTS, { token: company });
    const lodgments = (r.body.data as { client: { lodgments: Array<{ period: string; formType: string }> } }).client.lodgments;
    return lodgments.filter((l) => l.period === period && l.formType === 'ACTIVITY_STATEMENT').length;
  }

  it.each([
    ['after the same text was refused without a token (its parse described for the record)', true],
    ['with no request before it', false],
  ])('%s', async (_name, primed) => {
    const period = primed ? '2026-Q1' : '2026-Q2';
    const before = await statements(period);
    if (primed) {
      const anonymous = await sys.gql(MUTATION(period), { token: null, variables: { a: AMOUNTS } });
      expect(anonymous.status).toBe(401);
    }
    const practitioner = await sys.token({ product: 'PRD-CERTIFIED', org: PRACTITIONER });
    const r = await sys.gql(MUTATION(period), { token: practitioner, variables: { a: AMOUNTS } });
    expect(codesOf(r)).toEqual(['CLIENT_NOT_AUTHORISED']);
    expect((r.body.data as { mine: { id: string } | null; theirs: unknown }).theirs).toBeNull();
    expect((r.body.data as { mine: { id: string } | null }).mine?.id).toEqual(expect.any(String));
    expect(await statements(period)).toBe(before);
  });

  /** `inner` inside `n` nested inline fragments: the depth limit counts fields only, the walk counts fragments too. */
  const wrapped = (inner: string, n: number) => '... { '.repeat(n) + inner + ' }'.repeat(n);

  it('refuses a refused field nested in 70 inline fragments (past the walk guard), instead of leaving it unjudged (review s17c F1)', async () => {
    const period = '2026-Q3';
    const before = await statements(period);
    const practitioner = await sys.token({ product: 'PRD-CERTIFIED', org: PRACTITIONER });
    const query = await sys.gql(`query { ${wrapped('client(clientId: "C-000100") { id name }', 70)} }`, { token: practitioner });
    expect([query.status, codesOf(query), query.body.data ?? null]).toEqual([400, ['OPERATION_LIMIT_EXCEEDED'], null]);
    expect(query.body.errors![0]!.extensions!['limit']).toBe('DEPTH');
    const mutation = await sys.gql(`mutation L($a: ActivityStatementAmountsInput!) { ${wrapped(`theirs: lodgeActivityStatement(clientId: "C-000100", period: "${period}", amounts: $a) { id }`, 70)} }`, { token: practitioner, variables: { a: AMOUNTS } });
    expect([mutation.status, codesOf(mutation)]).toEqual([400, ['OPERATION_LIMIT_EXCEEDED']]);
    expect(await statements(period)).toBe(before);
    // Within the guard the nesting is judged like any selection: the client is refused.
    const judged = await sys.gql(`query { ${wrapped('client(clientId: "C-000100") { id name }', 60)} }`, { token: practitioner });
    expect(codesOf(judged)).toEqual(['CLIENT_NOT_AUTHORISED']);
  });
});
