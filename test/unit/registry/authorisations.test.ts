import { authorisationStateAt, grantClientAuthorisation, revokeClientAuthorisation } from '../../../registry/authorisations.js';
import type { ClientAuthorisation } from '../../../registry/model.js';
import { accepted, ADMIN, DAY, denied, NOW, REQUEST, VALID_ABN } from './fixtures.js';

const GRANT = { org: VALID_ABN, clientId: 'C-000042', expiresAt: new Date(NOW + 30 * DAY).toISOString() };

function existing(overrides: Partial<ClientAuthorisation> = {}): ClientAuthorisation {
  return { org: VALID_ABN, clientId: 'C-000042', grantedAt: new Date(NOW - DAY).toISOString(), expiresAt: null, revoked: false, revision: 5, ...overrides };
}

describe('grantClientAuthorisation', () => {
  test('creates an active authorisation with its expiry', () => {
    const { next, note } = accepted(grantClientAuthorisation(null, GRANT, REQUEST, ADMIN, NOW));
    expect(next).toMatchObject({ org: VALID_ABN, clientId: 'C-000042', expiresAt: GRANT.expiresAt, revoked: false });
    expect(authorisationStateAt(next, NOW)).toBe('ACTIVE');
    expect(authorisationStateAt(next, NOW + 31 * DAY)).toBe('EXPIRED');
    expect(note.action).toBe('grantClientAuthorisation');
  });

  test.each([
    ['an org that is not a valid ABN', { org: '12345678901' }, 'org'],
    ['a malformed client id', { clientId: 'C-42' }, 'clientId'],
    ['an expiry in the past', { expiresAt: new Date(NOW - DAY).toISOString() }, 'expiresAt'],
    ['an expiry on 29 February of a common year', { expiresAt: '2027-02-29T00:00:00Z' }, 'expiresAt'],
    ['an org with a CR (white space removal would have swallowed it)', { org: '12345679016\r' }, 'org'],
    ['an org with a NUL', { org: '12345679016\u0000' }, 'org'],
  ])('refuses %s', (_name, input, field) => {
    const d = denied(grantClientAuthorisation(null, { ...GRANT, ...input }, REQUEST, ADMIN, NOW));
    expect(d.code).toBe('BAD_USER_INPUT');
    expect(d.details).toMatchObject({ field });
  });

  test('renews a revoked authorisation on the same record', () => {
    const { next } = accepted(grantClientAuthorisation(existing({ revoked: true }), GRANT, REQUEST, ADMIN, NOW));
    expect(next).toMatchObject({ revoked: false, revision: 5 });
  });
});

describe('revokeClientAuthorisation', () => {
  test('sets revoked', () => {
    const { next } = accepted(revokeClientAuthorisation(existing(), REQUEST, ADMIN, NOW));
    expect(next.revoked).toBe(true);
    expect(authorisationStateAt(next, NOW)).toBe('REVOKED');
  });

  test('revoking twice is an illegal transition', () => {
    const d = denied(revokeClientAuthorisation(existing({ revoked: true }), REQUEST, ADMIN, NOW));
    expect(d.code).toBe('ILLEGAL_TRANSITION');
    expect(d.details).toMatchObject({ currentState: 'REVOKED', action: 'revokeClientAuthorisation' });
  });

  test('needs a reason', () => {
    expect(denied(revokeClientAuthorisation(existing(), { reason: '' }, ADMIN, NOW)).code).toBe('BAD_USER_INPUT');
  });
});
