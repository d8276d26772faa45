import { DEVELOPER_STATUSES } from '../../../registry/model.js';
import { registerProduct, type ProductApplication } from '../../../registry/product-registration.js';
import { accepted, denied, developerIn, NOW } from './fixtures.js';

const APP: ProductApplication = { developerId: 'DEV-TEST', name: 'Ledger Pro', deploymentModel: 'DESKTOP', dataHosting: ['au', 'NZ', 'AU'], minimumVersion: '1.4.0' };
const CTX = { id: 'PRD-NEW', actor: 'dev-1 (dsp:developer)', now: NOW };

describe('registerProduct', () => {
  test('an active developer registers a product in status REGISTERED', () => {
    const { next, note } = accepted(registerProduct(APP, developerIn('ACTIVE'), CTX));
    expect(next).toMatchObject({ id: 'PRD-NEW', developerId: 'DEV-TEST', status: 'REGISTERED', dataHosting: ['AU', 'NZ'], minimumVersion: '1.4.0', services: [], certification: null, selfCertification: null });
    expect(note).toMatchObject({ action: 'registerProduct', actor: CTX.actor });
  });

  test.each(DEVELOPER_STATUSES.filter((s) => s !== 'ACTIVE'))('a %s developer cannot register products', (status) => {
    const d = denied(registerProduct(APP, developerIn(status), CTX));
    expect(d.code).toBe('ILLEGAL_TRANSITION');
    expect(d.details).toMatchObject({ currentState: status, action: 'registerProduct' });
  });

  test.each([
    ['no name', { name: '' }, 'name'],
    ['an unknown deployment model', { deploymentModel: 'MAINFRAME' as never }, 'deploymentModel'],
    ['no hosting location', { dataHosting: [] }, 'dataHosting'],
    ['a hosting location that is not a country code', { dataHosting: ['Australia'] }, 'dataHosting'],
    ['a minimum version that is not semver', { minimumVersion: 'v-next' }, 'minimumVersion'],
    ['an ANSI escape in the name', { name: 'Ledger\u001b[5m Pro' }, 'name'],
    ['a line break in the name', { name: 'Ledger\nPro' }, 'name'],
    ['an over-long name', { name: 'x'.repeat(201) }, 'name'],
    ['a bidi isolate in a hosting code (trimming would not remove it)', { dataHosting: ['AU\u2069'] }, 'dataHosting'],
    ['a trailing line break in a hosting code (trimming would have removed it)', { dataHosting: ['AU\n'] }, 'dataHosting'],
    ['a trailing tab in the minimum version', { minimumVersion: '1.4.0\t' }, 'minimumVersion'],
  ])('refuses %s', (_name, input, field) => {
    const d = denied(registerProduct({ ...APP, ...input }, developerIn('ACTIVE'), CTX));
    expect(d.code).toBe('BAD_USER_INPUT');
    expect(d.details).toMatchObject({ field });
  });
});
