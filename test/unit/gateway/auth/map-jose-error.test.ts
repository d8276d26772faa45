import { errors } from 'jose';
import { KeySourceUnavailableError } from '../../../../gateway/auth/key-source.js';
import { mapJoseError } from '../../../../gateway/auth/map-jose-error.js';

describe('mapJoseError', () => {
  it.each([
    ['JWTExpired', new errors.JWTExpired('x', { exp: 1 }, 'exp'), 'TOKEN_EXPIRED'],
    ['JWKSTimeout', new errors.JWKSTimeout(), 'AUTH_PROVIDER_UNAVAILABLE'],
    ['a failed JWKS fetch', new KeySourceUnavailableError({ cause: new TypeError('fetch failed') }), 'AUTH_PROVIDER_UNAVAILABLE'],
    ['JWTClaimValidationFailed', new errors.JWTClaimValidationFailed('x', {}, 'aud'), 'UNAUTHENTICATED'],
    ['JWSSignatureVerificationFailed', new errors.JWSSignatureVerificationFailed(), 'UNAUTHENTICATED'],
    ['JWKSNoMatchingKey', new errors.JWKSNoMatchingKey(), 'UNAUTHENTICATED'],
    ['JOSEAlgNotAllowed', new errors.JOSEAlgNotAllowed('x'), 'UNAUTHENTICATED'],
    ['JWSInvalid', new errors.JWSInvalid('x'), 'UNAUTHENTICATED'],
    ['a plain Error', new Error('boom'), 'UNAUTHENTICATED'],
    ['a thrown string', 'boom', 'UNAUTHENTICATED'],
    ['null', null, 'UNAUTHENTICATED'],
  ])('maps %s', (_label, err, code) => {
    expect(mapJoseError(err).code).toBe(code);
  });

  it('names the failing claim but never quotes jose\'s message', () => {
    const d = mapJoseError(new errors.JWTClaimValidationFailed('secret-looking value', {}, 'iss'));
    expect(d.details).toMatchObject({ claim: 'iss' });
    expect(JSON.stringify(d)).not.toContain('secret-looking value');
  });
});
