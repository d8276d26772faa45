/**
 * Review s25 of the session's own changes (fb7e01e..): a GET whose clientId variable is null or
 * absent puts no client id in its URL and is served (T3). The CONNECT findings (T1, T2) are held
 * in test/unit/gateway/routes.test.ts, the console's (T4) in test/unit/console/index.test.ts.
 */
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';

describe('review fb7e01e..HEAD: a client id in a URL (gateway/apollo/client-in-url.ts)', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  const get = async (query: string, token: string, variables?: Record<string, unknown>): Promise<GraphQLResult> => {
    const search = new URLSearchParams({ query, ...(variables ? { variables: JSON.stringify(variables) } : {}) });
    const res = await fetch(`${sys.gateway.url}?${search}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResult['body'] };
  };

  // T3 (Low): a clientId bound to a variable that is null or not given gives it no value and puts
  // no client id in the URL (README: "gives a clientId argument or input field a value"), yet the
  // GET is refused: served before the change.
  it('serves a GET whose clientId variable is null or absent, and still refuses one that gives it a value', async () => {
    const auditor = await sys.token({ roles: ['ato:auditor'], mfa: true });
    const admin = await sys.token({ roles: ['ato:admin'], mfa: true });
    const byFilter = 'query Count($c: ID) { accessLogs(filter: { clientId: $c }, first: 1) { totalCount } }';
    for (const variables of [undefined, { c: null }]) {
      const r = await get(byFilter, auditor, variables);
      expect([JSON.stringify(variables), r.status, codesOf(r)]).toEqual([JSON.stringify(variables), 200, []]);
    }
    const byOrg = 'query ClientAuthorisations($org: String, $clientId: String) { clientAuthorisations(org: $org, clientId: $clientId) { org } }';
    const org = await get(byOrg, admin, { org: '12345679016' });
    expect([org.status, codesOf(org)]).toEqual([200, []]);
    const named = await get(byFilter, auditor, { c: 'C-000001' });
    expect([named.status, codesOf(named)]).toEqual([400, ['BAD_USER_INPUT']]);
    const byDefault = await get('query Count($c: ID = "C-000001") { accessLogs(filter: { clientId: $c }, first: 1) { totalCount } }', auditor);
    expect([byDefault.status, codesOf(byDefault)]).toEqual([400, ['BAD_USER_INPUT']]);
  });
});
