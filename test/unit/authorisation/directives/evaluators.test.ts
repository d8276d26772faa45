import { clientAccess, onshoreOnly, publicAccess, requiresAnyRole, requiresMfa, requiresRole, requiresService, restricted } from '../../../../authorisation/directives/index.js';
import { productCaller, staffCaller } from '../../../helpers/caller.js';

const code = (d: { code: string } | null) => d?.code ?? null;

describe('@requiresService', () => {
  it('passes a whitelisted service in scope', () => {
    expect(requiresService.evaluate({ service: 'clients.read' }, productCaller(), { now: 0 })).toBeNull();
  });
  it('refuses a service the product is not whitelisted for', () => {
    expect(code(requiresService.evaluate({ service: 'lodgments.read' }, productCaller({ services: ['clients.read'] }), { now: 0 }))).toBe('SERVICE_NOT_WHITELISTED');
  });
  it('refuses a whitelisted service missing from the token scope', () => {
    expect(code(requiresService.evaluate({ service: 'accounts.read' }, productCaller({ scopes: new Set(['clients.read']) }), { now: 0 }))).toBe('SCOPE_NOT_GRANTED');
  });
  it('refuses staff, who have no product', () => {
    expect(code(requiresService.evaluate({ service: 'clients.read' }, staffCaller(['ato:admin']), { now: 0 }))).toBe('SERVICE_NOT_WHITELISTED');
  });
});

describe('@clientAccess', () => {
  it('passes a client the org is authorised for', () => {
    expect(clientAccess.evaluate({ argument: 'clientId' }, productCaller({ authorised: ['C-000007'] }), { now: 0, argumentValue: 'C-000007' })).toBeNull();
  });
  it('refuses a client the org is not authorised for', () => {
    expect(code(clientAccess.evaluate({ argument: 'clientId' }, productCaller(), { now: 0, argumentValue: 'C-000051' }))).toBe('CLIENT_NOT_AUTHORISED');
  });
  it('refuses when the argument value is missing or not a string', () => {
    expect(code(clientAccess.evaluate({ argument: 'clientId' }, productCaller(), { now: 0 }))).toBe('CLIENT_NOT_AUTHORISED');
    expect(code(clientAccess.evaluate({ argument: 'clientId' }, productCaller(), { now: 0, argumentValue: 42 }))).toBe('CLIENT_NOT_AUTHORISED');
  });
  it('refuses a token without an org', () => {
    expect(code(clientAccess.evaluate({ argument: 'clientId' }, productCaller({ org: null }), { now: 0, argumentValue: 'C-000001' }))).toBe('CLIENT_NOT_AUTHORISED');
  });
  it('names the argument it reads', () => {
    expect(clientAccess.argumentOf?.({ argument: 'clientId' })).toBe('clientId');
  });
});

describe('@restricted', () => {
  it('passes an ENHANCED product', () => {
    expect(restricted.evaluate({}, productCaller({ tier: 'ENHANCED' }), { now: 0 })).toBeNull();
  });
  it('refuses a STANDARD product', () => {
    expect(code(restricted.evaluate({}, productCaller({ tier: 'STANDARD' }), { now: 0 }))).toBe('RESTRICTED_DATA');
  });
});

describe('@onshoreOnly', () => {
  it('passes a product hosted only in Australia', () => {
    expect(onshoreOnly.evaluate({}, productCaller({ onshore: true }), { now: 0 })).toBeNull();
  });
  it('refuses a product with any offshore hosting', () => {
    expect(code(onshoreOnly.evaluate({}, productCaller({ onshore: false }), { now: 0 }))).toBe('DATA_HOSTING_NOT_ONSHORE');
  });
});

describe('@requiresRole / @requiresAnyRole / @requiresMfa / @public', () => {
  it('requiresRole passes the role and refuses others', () => {
    expect(requiresRole.evaluate({ role: 'ato:auditor' }, staffCaller(['ato:auditor']), { now: 0 })).toBeNull();
    expect(code(requiresRole.evaluate({ role: 'ato:auditor' }, staffCaller(['ato:admin']), { now: 0 }))).toBe('ROLE_REQUIRED');
    expect(code(requiresRole.evaluate({ role: 'ato:auditor' }, productCaller(), { now: 0 }))).toBe('ROLE_REQUIRED');
  });
  it('requiresAnyRole passes any listed role', () => {
    expect(requiresAnyRole.evaluate({ roles: ['ato:admin', 'dsp:developer'] }, staffCaller(['dsp:developer']), { now: 0 })).toBeNull();
    expect(code(requiresAnyRole.evaluate({ roles: ['ato:admin'] }, staffCaller(['ato:auditor']), { now: 0 }))).toBe('ROLE_REQUIRED');
  });
  it('requiresMfa needs mfa in amr', () => {
    expect(requiresMfa.evaluate({}, staffCaller(['ato:admin'], true), { now: 0 })).toBeNull();
    expect(code(requiresMfa.evaluate({}, staffCaller(['ato:admin'], false), { now: 0 }))).toBe('MFA_REQUIRED');
  });
  it('public always passes', () => {
    expect(publicAccess.evaluate({}, productCaller({ services: [] }), { now: 0 })).toBeNull();
  });
});
