import { keyBindingOf, MAX_THUMBPRINTS, setKeyBinding } from '../../../registry/key-binding.js';
import { accepted, ADMIN, denied, NOW, productIn, REQUEST } from './fixtures.js';

const A = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const B = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('key binding (DPoP thumbprints on the register)', () => {
  it('stores a required binding with its thumbprints, once each, and records the change', () => {
    const { next, note } = accepted(setKeyBinding(productIn('CERTIFIED'), { required: true, thumbprints: [A, B, A] }, REQUEST, ADMIN, NOW));
    expect(next.keyBinding).toEqual({ required: true, thumbprints: [A, B] });
    expect(next.status).toBe('CERTIFIED');
    expect(note).toMatchObject({ action: 'setKeyBinding', actor: ADMIN, reason: REQUEST.reason, ticket: REQUEST.ticket });
  });

  it('removes the binding with required false and no thumbprints', () => {
    const bound = { ...productIn('CERTIFIED'), keyBinding: { required: true, thumbprints: [A] } };
    expect(accepted(setKeyBinding(bound, { required: false, thumbprints: [] }, REQUEST, ADMIN, NOW)).next.keyBinding).toBeNull();
  });

  it.each([
    ['too short', 'abc'],
    ['padded', `${A.slice(0, 42)}=`],
    ['not base64url', `${A.slice(0, 42)}+`],
    ['a JWK instead of its thumbprint', '{"kty":"EC"}'],
    ['hex SHA-256', 'a'.repeat(64)],
  ])('refuses a malformed thumbprint (%s) with BAD_USER_INPUT naming it', (_what, bad) => {
    const d = denied(setKeyBinding(productIn('CERTIFIED'), { required: true, thumbprints: [A, bad] }, REQUEST, ADMIN, NOW));
    expect(d).toMatchObject({ code: 'BAD_USER_INPUT', details: { field: 'thumbprints.1', problem: 'NOT_JWK_THUMBPRINT' } });
  });

  it('refuses a required binding without keys, and more than the maximum', () => {
    expect(keyBindingOf({ required: true, thumbprints: [] })).toMatchObject({ code: 'BAD_USER_INPUT', details: { problem: 'EMPTY' } });
    expect(keyBindingOf({ required: true, thumbprints: Array.from({ length: MAX_THUMBPRINTS + 1 }, () => A) })).toMatchObject({ code: 'BAD_USER_INPUT', details: { problem: 'TOO_MANY' } });
  });

  it('refuses a revoked product (ILLEGAL_TRANSITION)', () => {
    expect(denied(setKeyBinding(productIn('REVOKED'), { required: true, thumbprints: [A] }, REQUEST, ADMIN, NOW)).code).toBe('ILLEGAL_TRANSITION');
  });
});
