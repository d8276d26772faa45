/**
 * Issue 20: outside production, staff signed in with MFA may introspect (the console's API
 * explorer), decided per request: a product token, a staff token without MFA and an anonymous
 * caller are refused, also when the very same document was just served to staff (Apollo skips
 * validation for a cached document, so a validation rule would have let them through).
 */
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const SCHEMA = '{ __schema { queryType { name } types { name } } }';
const TYPE = 'query T { __type(name: "Product") { name fields { name } } }';

let sys: TestSystem;
beforeAll(async () => {
  sys = await startTestSystem();
});
afterAll(async () => {
  await sys?.close();
});

describe('introspection for staff outside production', () => {
  it('serves staff with MFA in every role', async () => {
    for (const roles of [['ato:admin'], ['ato:auditor'], ['dsp:developer']]) {
      const token = await sys.token({ roles, mfa: true, developer: roles[0] === 'dsp:developer' ? 'DEV-GOOD' : undefined });
      const r = await sys.gql(SCHEMA, { token });
      expect([r.status, codesOf(r)]).toEqual([200, []]);
      expect(r.body.data!.__schema.types.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['Product', 'AccessRecord', 'Client']));
    }
  });

  it('refuses a product token, before and after the same document was served to staff', async () => {
    const productToken = await sys.token({ product: 'PRD-CERTIFIED' });
    const admin = await sys.token({ roles: ['ato:admin'], mfa: true });
    for (const query of [TYPE, SCHEMA]) {
      const before = await sys.gql(query, { token: productToken });
      expect([before.status, codesOf(before)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
      expect(before.body.data ?? null).toBeNull();
      expect((await sys.gql(query, { token: admin })).status).toBe(200);
      const after = await sys.gql(query, { token: productToken });
      expect([after.status, codesOf(after)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
      expect(after.body.data ?? null).toBeNull();
    }
  });

  it('refuses staff without MFA and anonymous callers', async () => {
    const noMfa = await sys.gql(SCHEMA, { token: await sys.token({ roles: ['ato:admin'], mfa: false }) });
    expect([noMfa.status, codesOf(noMfa)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
    const anonymous = await sys.gql(SCHEMA, { token: null });
    expect([anonymous.status, codesOf(anonymous)]).toEqual([401, ['UNAUTHENTICATED']]);
  });

  it('refuses introspection hidden in a fragment for a product', async () => {
    const r = await sys.gql('query Q { serviceStatus { name } ...F } fragment F on Query { __schema { queryType { name } } }', { token: await sys.token({ product: 'PRD-CERTIFIED' }) });
    expect([r.status, codesOf(r)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
  });
});
