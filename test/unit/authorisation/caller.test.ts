import { createCallerResolver, resolveCaller, type RegistryView } from '../../../authorisation/caller.js';
import type { VerifiedToken } from '../../../core/verified-token.js';
import { authorisationAnswerAt } from '../../../registry/authorisations.js';
import type { ClientAuthorisation, Developer, Product } from '../../../registry/model.js';
import { DAY, NOW, developerIn, productIn } from '../registry/fixtures.js';

function view(over: { products?: Product[]; developers?: Developer[]; authorisations?: ClientAuthorisation[]; revision?: number } = {}): RegistryView {
  const products = new Map((over.products ?? [productIn('CERTIFIED')]).map((p) => [p.id, p]));
  const developers = new Map((over.developers ?? [developerIn('ACTIVE')]).map((d) => [d.id, d]));
  const auths = over.authorisations ?? [];
  return {
    revision: () => over.revision ?? 9,
    product: (id) => products.get(id),
    developer: (id) => developers.get(id),
    products: () => products.values(),
    clientAuthorisation: (org, clientId, at) => authorisationAnswerAt(auths.find((a) => a.org === org && a.clientId === clientId), at),
  };
}

const productToken = (over: Partial<VerifiedToken> = {}): VerifiedToken => ({ sub: 'u', iss: 'i', jti: null, exp: 0, softwareId: 'PRD-TEST', softwareVersion: '2.1.0', org: '12345679016', scopes: ['clients.read'], roles: [], developerId: null, mfa: false, kind: 'product', ...over });
const staffToken = (roles: string[], mfa = true): VerifiedToken => ({ sub: 's', iss: 'i', jti: null, exp: 0, softwareId: null, softwareVersion: null, org: null, scopes: [], roles, developerId: null, mfa, kind: 'staff' });

describe('resolveCaller', () => {
  it('joins a product token with the register: services, tier, hosting, no denial', () => {
    const r = resolveCaller(productToken(), view(), NOW);
    expect(r.denial).toBeNull();
    expect(r.caller.product).toMatchObject({ id: 'PRD-TEST', tier: 'STANDARD', onshore: true });
    expect([...r.caller.product!.services]).toEqual(['clients.read', 'lodgments.read']);
    expect(r.at).toBe(NOW);
  });

  it('runs the product check in the DESIGN order', () => {
    expect(resolveCaller(productToken({ softwareId: 'PRD-NONE' }), view(), NOW).denial?.code).toBe('PRODUCT_NOT_REGISTERED');
    expect(resolveCaller(productToken(), view({ developers: [developerIn('SUSPENDED')] }), NOW).denial?.code).toBe('DEVELOPER_NOT_IN_GOOD_STANDING');
    expect(resolveCaller(productToken(), view({ products: [productIn('SUSPENDED')] }), NOW).denial?.code).toBe('PRODUCT_SUSPENDED');
    expect(resolveCaller(productToken({ softwareVersion: '1.0.0' }), view(), NOW).denial?.code).toBe('PRODUCT_VERSION_UNSUPPORTED');
  });

  it('answers client access from the register at the instant asked, with the instant the answer lapses', () => {
    const expiresAt = NOW + DAY;
    const r = resolveCaller(productToken(), view({ authorisations: [{ org: '12345679016', clientId: 'C-000001', grantedAt: new Date(NOW - DAY).toISOString(), expiresAt: new Date(expiresAt).toISOString(), revoked: false, revision: 1 }] }), NOW);
    expect(r.caller.clientAuthorisation('C-000001', NOW)).toEqual({ authorised: true, holdsUntil: expiresAt });
    expect(r.caller.clientAuthorisation('C-000002', NOW)).toEqual({ authorised: false, holdsUntil: Number.POSITIVE_INFINITY });
    // The instant is the decision's, not the resolution's: the same caller asked after the expiry is refused.
    expect(r.caller.clientAuthorisation('C-000001', expiresAt).authorised).toBe(false);
    expect(resolveCaller(productToken({ org: null }), view(), NOW).caller.clientAuthorisation('C-000001', NOW).authorised).toBe(false);
  });

  it("bounds the caller by the product's timed facts (certification end)", () => {
    const r = resolveCaller(productToken(), view(), NOW);
    expect(r.caller.holdsUntil).toBe(Date.parse(productIn('CERTIFIED').certification!.validUntil));
  });

  it('puts every fact a field decision reads into the grants key, and nothing per request', () => {
    const base = resolveCaller(productToken(), view(), NOW).grantsKey;
    expect(resolveCaller(productToken(), view(), NOW + 1000).grantsKey).toBe(base);
    for (const other of [
      resolveCaller(productToken({ scopes: ['clients.read', 'lodgments.read'] }), view(), NOW),
      resolveCaller(productToken({ org: '98765432122' }), view(), NOW),
      resolveCaller(productToken({ mfa: true }), view(), NOW),
      resolveCaller(productToken(), view({ revision: 10 }), NOW),
    ]) expect(other.grantsKey).not.toBe(base);
  });

  it('resolves staff with their roles and MFA, never acting for a client', () => {
    const r = resolveCaller(staffToken(['ato:auditor']), view(), NOW);
    expect([r.denial, r.product, r.caller.kind, [...r.caller.roles], r.caller.clientAuthorisation('C-000001', NOW).authorised]).toEqual([null, null, 'staff', ['ato:auditor'], false]);
    expect(resolveCaller(staffToken(['ato:auditor'], false), view(), NOW).grantsKey).not.toBe(r.grantsKey);
    expect(resolveCaller(staffToken(['ato:admin']), view(), NOW).grantsKey).not.toBe(r.grantsKey);
  });
});

describe('createCallerResolver (memoised per token and register revision, within the clock window)', () => {
  /** A register whose revision and contents a test changes between requests. */
  function mutableView(products: Product[], authorisations: ClientAuthorisation[] = []) {
    const state = { revision: 9, products, authorisations };
    const registry: RegistryView = {
      revision: () => state.revision,
      product: (id) => state.products.find((p) => p.id === id),
      developer: (id) => [developerIn('ACTIVE')].find((d) => d.id === id),
      products: () => state.products.values(),
      clientAuthorisation: (org, clientId, at) => authorisationAnswerAt(state.authorisations.find((a) => a.org === org && a.clientId === clientId), at),
    };
    return { state, registry };
  }

  it('reuses one resolution for the same token and revision, stamped with each request\'s instant', () => {
    const { registry } = mutableView([productIn('CERTIFIED')]);
    const resolve = createCallerResolver(registry);
    const token = productToken();
    const first = resolve(token, NOW);
    const second = resolve(token, NOW + 1_000);
    expect(second.caller).toBe(first.caller);
    expect(second.grantsKey).toBe(first.grantsKey);
    expect([first.at, second.at]).toEqual([NOW, NOW + 1_000]);
  });

  it('resolves afresh when the register revision changes (a suspension applies at once)', () => {
    const { state, registry } = mutableView([productIn('CERTIFIED')]);
    const resolve = createCallerResolver(registry);
    const token = productToken();
    expect(resolve(token, NOW).denial).toBeNull();
    state.products = [productIn('SUSPENDED')];
    state.revision = 10;
    const after = resolve(token, NOW + 1);
    expect(after.denial?.code).toBe('PRODUCT_SUSPENDED');
    expect(after.grantsKey).toContain('10');
  });

  it('resolves afresh once the clock passes the instant the product state held until (certification end)', () => {
    const { registry } = mutableView([productIn('CERTIFIED')]);
    const resolve = createCallerResolver(registry);
    const token = productToken();
    const validUntil = Date.parse(productIn('CERTIFIED').certification!.validUntil);
    expect(resolve(token, validUntil - 1).denial).toBeNull();
    expect(resolve(token, validUntil).denial?.code).toBe('CERTIFICATION_EXPIRED');
  });

  it('does not serve a resolution to a request at an earlier instant than it was made (certification not yet started)', () => {
    const validFrom = Date.parse(productIn('CERTIFIED').certification!.validFrom);
    const { registry } = mutableView([productIn('CERTIFIED')]);
    const resolve = createCallerResolver(registry);
    const token = productToken();
    expect(resolve(token, validFrom).denial).toBeNull();
    expect(resolve(token, validFrom - 1).denial?.code).toBe('PRODUCT_NOT_CERTIFIED');
  });

  it("judges client access at the request's instant, not the memoised resolution's", () => {
    const expiresAt = NOW + 60_000;
    const { registry } = mutableView([productIn('CERTIFIED')], [{ org: '12345679016', clientId: 'C-000001', grantedAt: new Date(NOW - DAY).toISOString(), expiresAt: new Date(expiresAt).toISOString(), revoked: false, revision: 1 }]);
    const resolve = createCallerResolver(registry);
    const token = productToken();
    const before = resolve(token, expiresAt - 1_000);
    const after = resolve(token, expiresAt + 1_000);
    expect(after.caller).toBe(before.caller);
    expect(before.caller.clientAuthorisation('C-000001', before.at).authorised).toBe(true);
    expect(after.caller.clientAuthorisation('C-000001', after.at).authorised).toBe(false);
  });

  it('keeps one memo per token: another token (other scopes) is resolved for itself', () => {
    const { registry } = mutableView([productIn('CERTIFIED')]);
    const resolve = createCallerResolver(registry);
    const a = resolve(productToken(), NOW);
    const b = resolve(productToken({ scopes: ['clients.read', 'lodgments.read'] }), NOW);
    expect([...b.caller.scopes]).toEqual(['clients.read', 'lodgments.read']);
    expect(b.grantsKey).not.toBe(a.grantsKey);
  });
});
