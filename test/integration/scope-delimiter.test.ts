/**
 * Review s19d: RFC 6749 §3.3 delimits scope tokens by a single space (%x20) only, and a scope
 * token cannot hold a tab, a line break or any non-ASCII character. An authorisation server
 * reads `clients.read\u00a0accounts.read` as ONE scope it does not know (and may pass through
 * dynamic or unknown scopes unchanged); the gateway must not read it as two grants.
 */
import { verifiedTokenFrom } from '../../gateway/auth/token-claims.js';

const now = 1_800_000_000;
const claims = (scope: string) => ({ sub: 'svc', iss: 'dsp-dev-issuer', iat: now, exp: now + 600, software_id: 'PRD-LIMITED', software_version: '2.1.0', org: '12345679016', scope });

describe('review s19d: scope delimiters', () => {
  it.each([
    ['no-break space', 'clients.read\u00a0accounts.read'],
    ['ideographic space', 'clients.read\u3000accounts.read'],
    ['line separator', 'clients.read\u2028accounts.read'],
    ['tab', 'clients.read\taccounts.read'],
    ['line feed', 'clients.read\naccounts.read'],
  ])('a %s inside one scope token grants nothing extra', (_name, scope) => {
    const result = verifiedTokenFrom(claims(scope), now, { maxLifetimeS: 3600, clockToleranceS: 30 });
    expect('token' in result).toBe(true);
    if (!('token' in result)) return;
    expect(result.token.scopes).not.toContain('accounts.read');
  });

  it('still splits on spaces', () => {
    const result = verifiedTokenFrom(claims(' clients.read  accounts.read '), now, { maxLifetimeS: 3600, clockToleranceS: 30 });
    expect('token' in result && result.token.scopes).toEqual(['clients.read', 'accounts.read']);
  });
});
