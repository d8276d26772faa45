/**
 * Issue 20 with issue 19 landed: the product page shows the operation manifest (approved and
 * pending versions, each operation's hash), the trusted-documents mode and the DPoP key binding;
 * developer staff submit a manifest for their own product, and the admin certifies approving it,
 * after which the product is served its certified operation and refused any other
 * (OPERATION_NOT_CERTIFIED). Headless Chromium against the real system; no sleeps; no console errors.
 */
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { DEMO_MANIFEST_DOCUMENTS } from '../../registry/demo-register.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi } from '../helpers/registry-api.js';
import { launchBrowser, openConsole, signInAs, type ConsolePage } from '../helpers/console-browser.js';

const sha = (t: string) => createHash('sha256').update(t).digest('hex');
const LOOKUP = 'query Lookup($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    name\n  }\n}';
const TYPES = '{ client(clientId: "C-000001") { id type } }';

let sys: TestSystem;
let browser: Browser;
beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await sys?.close();
});

describe('staff console: certified operations and key binding', () => {
  let c: ConsolePage;
  afterEach(async () => {
    await c?.close();
  });

  it('shows a product\'s approved manifest with its hashes, its mode, and PRD-ENHANCED\'s key binding', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'admin', 'manifest-admin');
    await page.goto(`${page.url().split('#')[0]}#/product/PRD-TRUSTED`);
    const approved = page.locator('[data-manifest="Approved manifest"]');
    await approved.waitFor();
    for (const doc of DEMO_MANIFEST_DOCUMENTS) expect(await approved.locator(`tr[data-hash="${sha(doc)}"]`).count()).toBe(1);
    expect(await page.locator('[data-trusted-documents]').textContent()).toContain('ENFORCE');
    await page.goto(`${page.url().split('#')[0]}#/product/PRD-ENHANCED`);
    await page.locator('[data-key-binding]', { hasText: 'required' }).waitFor();
    expect(await page.locator('[data-key-binding] .mono').count()).toBe(1);
    await c.screenshot('manifest-key-binding');
    await c.expectNoErrors();
  });

  it('developer staff submit a manifest, the admin certifies approving it, and the gateway holds the product to it', async () => {
    const api = registryApi(sys);
    const developerId = await api.newApprovedDeveloper(41);
    const productId = await api.newSelfCertifiedProduct(developerId);

    // The demo "sign in as" acts for DEV-GOOD; this product's own developer staff submit through the
    // API (the page's form for DEV-GOOD's staff is the next test).
    const submitted = ok(await api.developerStaff(developerId, 'mutation ($id: ID!, $rev: Int!, $docs: [String!]!) { submitOperationManifest(productId: $id, expectedRevision: $rev, documents: $docs, reason: "Release 1.0") { revision } }', { id: productId, rev: await api.revisionOf('product', productId), docs: [LOOKUP] }));
    expect(submitted.submitOperationManifest.revision).toBeGreaterThan(0);

    c = await openConsole(browser);
    await signInAs(c.page, sys, 'admin', 'manifest-admin');
    await c.page.goto(`${c.page.url().split('#')[0]}#/product/${productId}`);
    const pending = c.page.locator('[data-manifest="Pending manifest"]');
    await pending.waitFor();
    expect(await pending.locator(`tr[data-hash="${sha(LOOKUP)}"]`).count()).toBe(1);
    await c.page.locator('button[data-open=certify]').click();
    const form = c.page.locator('form[data-action="admin/CertifyProduct"]');
    expect(await form.locator('select[name=manifestVersion]').inputValue()).toBe('1');
    await form.locator('textarea[name=reason]').fill('Assessed with its operations');
    await form.locator('button[type=submit]').click();
    const approved = c.page.locator('[data-manifest="Approved manifest"]');
    await approved.waitFor();
    expect(await approved.textContent()).toContain('approved');
    expect(await c.page.locator('[data-manifest="Pending manifest"]').count()).toBe(0);
    expect(await c.page.locator('[data-trusted-documents]').textContent()).toContain('ENFORCE');
    await c.screenshot('manifest-approved');

    await api.synced();
    const token = await sys.token({ product: productId, version: '1.0.0' });
    const certified = await sys.gql(LOOKUP, { token, variables: { clientId: 'C-000001' } });
    expect([certified.status, certified.body.data?.client?.id]).toEqual([200, 'C-000001']);
    const adHoc = await sys.gql(TYPES, { token });
    expect([adHoc.status, codesOf(adHoc)]).toEqual([403, ['OPERATION_NOT_CERTIFIED']]);
    await c.expectNoErrors();
  });

  it('developer staff submit a manifest from their own product page', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'developer', 'manifest-dev-good');
    await page.goto(`${page.url().split('#')[0]}#/product/PRD-CERTIFIED`);
    const form = page.locator('form[data-action="developer/SubmitOperationManifest"]');
    await form.waitFor();
    await form.locator('textarea[name=documents]').fill(`${LOOKUP}\n---\n${TYPES}`);
    await form.locator('textarea[name=reason]').fill('What release 2.2 sends');
    await form.locator('button[type=submit]').click();
    const pending = page.locator('[data-manifest="Pending manifest"]');
    await pending.waitFor();
    expect(await pending.locator('tr[data-hash]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-hash')))).toEqual([sha(LOOKUP), sha(TYPES)]);
    expect(await pending.textContent()).toContain('manifest-dev-good (dsp:developer)');
    await c.screenshot('manifest-submitted-by-developer');
    await c.expectNoErrors();
  });
});
