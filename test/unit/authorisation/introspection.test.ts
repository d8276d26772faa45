import { parse } from 'graphql';
import { introspectionDenial, introspectionPolicyOf, selectsIntrospection } from '../../../authorisation/introspection.js';

const staff = (roles: string[], mfa: boolean) => ({ kind: 'staff' as const, roles, mfa });
const product = { kind: 'product' as const, roles: [], mfa: true };

describe('introspection policy', () => {
  it('is everyone with INTROSPECTION=true, staff outside production, nobody in production', () => {
    expect(introspectionPolicyOf({ env: 'production', operationLimits: { introspection: true } })).toBe('everyone');
    expect(introspectionPolicyOf({ env: 'development', operationLimits: { introspection: false } })).toBe('staff');
    expect(introspectionPolicyOf({ env: 'test', operationLimits: { introspection: false } })).toBe('staff');
    expect(introspectionPolicyOf({ env: 'production', operationLimits: { introspection: false } })).toBe('nobody');
  });
});

describe('selectsIntrospection', () => {
  it('finds __schema and __type anywhere, also in fragments and other operations', () => {
    expect(selectsIntrospection(parse('{ __schema { types { name } } }'))).toBe(true);
    expect(selectsIntrospection(parse('{ __type(name: "Client") { name } }'))).toBe(true);
    expect(selectsIntrospection(parse('query A { ...F } fragment F on Query { __schema { queryType { name } } }'))).toBe(true);
    expect(selectsIntrospection(parse('query A { serviceStatus { name } } query B { ... on Query { __type(name: "X") { name } } }'))).toBe(true);
  });
  it('does not count __typename', () => {
    expect(selectsIntrospection(parse('{ __typename serviceStatus { __typename name } }'))).toBe(false);
  });
});

describe('introspectionDenial', () => {
  it('lets staff with a known role and MFA introspect under the staff policy', () => {
    for (const role of ['ato:admin', 'ato:auditor', 'dsp:developer']) expect(introspectionDenial('staff', staff([role], true))).toBeNull();
  });
  it('refuses products, staff without MFA and staff without a known role under the staff policy', () => {
    expect(introspectionDenial('staff', product)?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspectionDenial('staff', staff(['ato:admin'], false))?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspectionDenial('staff', staff([], true))?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
  it('refuses everyone under nobody and nobody under everyone', () => {
    expect(introspectionDenial('nobody', staff(['ato:admin'], true))?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(introspectionDenial('everyone', product)).toBeNull();
  });
});
