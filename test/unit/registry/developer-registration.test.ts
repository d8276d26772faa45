import { registerDeveloper, type DeveloperApplication } from '../../../registry/developer-registration.js';
import { holdsRegistration } from '../../../registry/eligibility.js';
import { accepted, denied, developerIn, NOW, VALID_ABN } from './fixtures.js';

const APPLICATION: DeveloperApplication = {
  abn: VALID_ABN,
  legalName: 'Acme Ledger Pty Ltd',
  contact: { name: 'Sam Lee', email: 'sam@acme.example' },
  roles: ['DEVELOPER', 'CLOUD_PROVIDER'],
  declarationsAccepted: true,
  taxObligationsCurrent: true,
};
const CTX = { id: 'DEV-NEW', abnAlreadyRegistered: false, actor: 'sam (dsp:developer)', now: NOW };

/** ABN with its last digit changed: the check digit no longer works. */
function breakCheckDigit(abn: string): string {
  return abn.slice(0, -1) + String((Number(abn.at(-1)) + 1) % 10);
}

describe('registerDeveloper', () => {
  test('an eligible application becomes a PENDING developer with an annual review a year on', () => {
    const { next, note } = accepted(registerDeveloper({ ...APPLICATION, abn: `${VALID_ABN.slice(0, 2)} ${VALID_ABN.slice(2)}` }, CTX));
    expect(next).toMatchObject({ id: 'DEV-NEW', abn: VALID_ABN, status: 'PENDING', registeredAt: '2025-03-01T00:00:00.000Z', reviewDueAt: '2026-03-01T00:00:00.000Z' });
    expect(next.eligibility.reasons).toEqual([]);
    expect(note).toMatchObject({ action: 'registerDeveloper', actor: CTX.actor });
  });

  test.each([
    ['a bad ABN check digit', { abn: breakCheckDigit(VALID_ABN) }, {}, 'abnValid'],
    ['an ABN of the wrong length', { abn: '1234' }, {}, 'abnValid'],
    ['declarations not accepted', { declarationsAccepted: false }, {}, 'declarationsAccepted'],
    ['tax obligations not current', { taxObligationsCurrent: false }, {}, 'taxObligationsCurrent'],
    ['a duplicate ABN', {}, { abnAlreadyRegistered: true }, 'abnUnique'],
  ] as const)('%s gives a REJECTED developer with the reason, still recorded', (_name, app, ctx, check) => {
    const { next, note } = accepted(registerDeveloper({ ...APPLICATION, ...app }, { ...CTX, ...ctx }));
    expect(next.status).toBe('REJECTED');
    expect(next.eligibility[check]).toBe(false);
    expect(next.eligibility.reasons).toHaveLength(1);
    expect(next.statusReason).toBeTruthy();
    expect(note.action).toBe('registerDeveloper');
  });

  test('lists every failed check', () => {
    const { next } = accepted(registerDeveloper({ ...APPLICATION, declarationsAccepted: false, taxObligationsCurrent: false }, { ...CTX, abnAlreadyRegistered: true }));
    expect(next.eligibility).toMatchObject({ abnValid: true, declarationsAccepted: false, taxObligationsCurrent: false, abnUnique: false });
    expect(next.eligibility.reasons).toHaveLength(3);
  });

  test.each([
    ['no legal name', { legalName: ' ' }, 'legalName'],
    ['a bad email', { contact: { name: 'x', email: 'not-an-email' } }, 'contact.email'],
    ['no roles', { roles: [] }, 'roles'],
    ['an unknown role', { roles: ['HACKER' as never] }, 'roles'],
    ['an ANSI escape in the legal name', { legalName: 'Acme\u001b[8m Pty Ltd' }, 'legalName'],
    ['a bidi override in the legal name', { legalName: 'Acme \u202edtL ytP' }, 'legalName'],
    ['a line break in the contact name', { contact: { name: 'Sam\nLee', email: 'sam@acme.example' } }, 'contact.name'],
    ['a CR in the contact email', { contact: { name: 'Sam', email: 'sam@acme.example\r' } }, 'contact.email'],
    ['a NUL in the phone number', { contact: { name: 'Sam', email: 'sam@acme.example', phone: '+61\u0000' } }, 'contact.phone'],
    ['an over-long phone number', { contact: { name: 'Sam', email: 'sam@acme.example', phone: '1'.repeat(41) } }, 'contact.phone'],
    // Even an ineligible application (stored as REJECTED) may not carry control characters in its ABN.
    ['a control character in an ineligible ABN', { abn: '123\u0007', declarationsAccepted: false }, 'abn'],
  ])('malformed input (%s) is BAD_USER_INPUT, not a rejection', (_name, app, field) => {
    const d = denied(registerDeveloper({ ...APPLICATION, ...app }, CTX));
    expect(d.code).toBe('BAD_USER_INPUT');
    expect(d.details).toMatchObject({ field });
  });
});

describe('holdsRegistration', () => {
  test('pending, active and suspended developers hold their ABN; rejected and deregistered ones do not', () => {
    expect((['PENDING', 'ACTIVE', 'SUSPENDED', 'REJECTED', 'DEREGISTERED'] as const).map((s) => holdsRegistration(developerIn(s)))).toEqual([true, true, true, false, false]);
  });
});
