import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { SigningKey } from '../../../../core/keys.js';
import { createAuthenticator } from '../../../../gateway/auth/authenticator.js';
import { DEFAULT_SCOPES, devTokenClaims, signDevToken } from '../../../../gateway/auth/dev-tokens.js';
import { NOW_MS, NOW_S, authConfig, makeKey } from './fixtures.js';

const config = { auth: authConfig() };
let signingKey: SigningKey;

beforeAll(async () => {
  const k = await makeKey('ES256');
  signingKey = { kid: k.kid, alg: 'ES256', privateKey: k.privateKey, publicJwks: { keys: [k.publicJwk] } };
});

function verifier() {
  return createAuthenticator({ auth: config.auth, jwks: signingKey.publicJwks, now: () => NOW_MS });
}

describe('signDevToken', () => {
  it('signs a default product token the authenticator accepts with the documented defaults', async () => {
    const token = await signDevToken(signingKey, { now: NOW_MS }, config);
    const result = await verifier().authenticate(`Bearer ${token}`);
    expect(result.ok && result.token).toMatchObject({
      kind: 'product',
      softwareId: 'PRD-CERTIFIED',
      softwareVersion: '2.1.0',
      org: '12345679016',
      scopes: [...DEFAULT_SCOPES],
      iss: 'dsp-dev-issuer',
      exp: NOW_S + 900,
      mfa: false,
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: signingKey.kid });
  });

  it('signs a staff token with roles, developer and mfa, without software_id', async () => {
    const token = await signDevToken(signingKey, { roles: ['dsp:developer'], developer: 'DEV-GOOD', mfa: true, sub: 'bob', now: NOW_MS }, config);
    const claims = decodeJwt(token);
    expect(claims.software_id).toBeUndefined();
    const result = await verifier().authenticate(`Bearer ${token}`);
    expect(result.ok && result.token).toMatchObject({ kind: 'staff', roles: ['dsp:developer'], developerId: 'DEV-GOOD', mfa: true, sub: 'bob', org: null });
  });

  it('applies the given product options', async () => {
    const claims = devTokenClaims({ product: 'PRD-LIMITED', version: '1.0.0', org: '98765432122', scope: ['clients.read'], ttlS: 60, now: NOW_MS }, config);
    expect(claims).toMatchObject({ software_id: 'PRD-LIMITED', software_version: '1.0.0', org: '98765432122', scope: 'clients.read', iat: NOW_S, exp: NOW_S + 60, aud: 'dsp-gateway', amr: ['pwd'] });
  });

  it('gives each token a different jti', () => {
    expect(devTokenClaims({}, config).jti).not.toEqual(devTokenClaims({}, config).jti);
  });

  it('refuses to build a token that is both a product and a staff token', () => {
    expect(() => devTokenClaims({ product: 'PRD-CERTIFIED', roles: ['ato:admin'] }, config)).toThrow(TypeError);
  });

  it('refuses a non-positive ttl', () => {
    expect(() => devTokenClaims({ ttlS: 0 }, config)).toThrow(TypeError);
  });
});
