/**
 * Issue 20 (with issue 19's certified operations and sender-constrained tokens): the staff console
 * shows and acts on a product's operation manifest and DPoP key binding, in headless Chromium
 * against the real system. Developer staff submit a manifest for their own product (documents
 * kept byte for byte, hashes shown); an admin certifies the product approving that version and
 * sets the trusted-documents mode; the product's token is then served the certified document and
 * refused OPERATION_NOT_CERTIFIED for another. PRD-ENHANCED's page shows its key binding; a change
 * made behind the page's back is the usual "changed by someone else: reload". No console errors
 * but the refusals the test causes.
 */
import { createHash } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { loadOperations } from '../../console/operations.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { consoleUrl, launchBrowser, openConsole, signInAs, type ConsolePage } from '../helpers/console-browser.js';

const operations = loadOperations();
const doc = (id: string) => operations.get(id)!;
const PRODUCT = 'PRD-PENDING'; // DEV-GOOD's, self-certified and not yet certified.
// Trailing spaces and a final newline: kept as typed, so the hash is of exactly these bytes.
const CERTIFIED = 'query ManifestClient($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    name\n  }\n}  \n';
const SECOND = 'query ManifestTypename { __typename }';
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

let sys: TestSystem;
let browser: Browser;
let adminToken: string;

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launchBrowser();
  adminToken = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'check-admin' });
});
afterAll(async () => {
  await browser?.close();
  await sys?.close();
});

describe('staff console: operation manifests and key binding', () => {
  let c: ConsolePage;
  afterEach(async () => {
    await c?.close();
  });

  it('developer staff submit a manifest, an admin certifies approving it and sets the mode, and the gateway holds the product to it', async () => {
    // Developer staff, on their own product's page.
    c = await openConsole(browser);
    let page = c.page;
    await signInAs(page, sys, 'developer', 'manifest-developer');
    await page.goto(`${consoleUrl(sys)}#/product/${PRODUCT}`);
    await page.locator(`section[data-product=${PRODUCT}]`).waitFor();
    expect(await page.locator('#pending-manifest').textContent()).toBe('none');
    await page.getByRole('button', { name: 'Submit operation manifest…' }).click();
    const editor = page.locator('#manifest-form');
    await editor.locator('[name=document-0]').fill(CERTIFIED);
    await editor.locator('button[data-add-document]').click();
    await editor.locator('[name=document-1]').fill(SECOND);
    await editor.locator('button[data-add-document]').click();
    await editor.getByRole('button', { name: 'Remove document 3' }).click();
    await editor.locator('form [name=reason]').fill('Our release 2.1 operations');
    await editor.locator('form button[type=submit]').click();
    const hashes = page.locator('#submitted-hashes');
    await hashes.waitFor();
    expect(await hashes.textContent()).toContain(sha256(CERTIFIED));
    expect(await hashes.textContent()).toContain(sha256(SECOND));
    await page.locator('#pending-manifest-table[data-manifest-version="1"]').waitFor();
    expect(await page.locator('#pending-manifest-table tr[data-hash]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-hash')))).toEqual([sha256(CERTIFIED), sha256(SECOND)]);
    // Developer staff approve nothing.
    expect(await page.locator('section[aria-label="Admin actions"]').count()).toBe(0);
    await c.screenshot('manifest-developer-submitted');
    await c.expectNoErrors();
    await c.close();

    // The admin certifies, approving the pending version with the certification, and sets ENFORCE.
    c = await openConsole(browser);
    page = c.page;
    await signInAs(page, sys, 'admin', 'manifest-admin');
    await page.goto(`${consoleUrl(sys)}#/product/${PRODUCT}`);
    await page.locator(`section[data-product=${PRODUCT}]`).waitFor();
    expect(await page.locator('#pending-manifest').textContent()).toContain('v1');
    await page.locator('button[data-open=certify]').click();
    const certify = page.locator('form[data-action="admin/CertifyProduct"]');
    await certify.locator('input[name=approveManifest]').check();
    await certify.locator('[name=reason]').fill('Assessment and manifest reviewed');
    await certify.locator('button[type=submit]').click();
    await page.locator('#approved-manifest[data-manifest-version="1"]').waitFor();
    expect(await page.locator('#pending-manifest').textContent()).toBe('none');
    expect(await page.locator('#approved-manifest').textContent()).toContain('manifest-admin');
    await page.locator('button[data-open=trusted-documents]').click();
    const mode = page.locator('form[data-action="admin/SetTrustedDocuments"]');
    await mode.locator('[name=mode]').selectOption('ENFORCE');
    await mode.locator('[name=reason]').fill('Hold it to its manifest');
    await mode.locator('button[type=submit]').click();
    // ENFORCE is also the default once a manifest is approved: the page shows it is now the setting.
    await page.locator('section[data-effective-trusted-documents]', { hasText: 'setting: ENFORCE' }).waitFor();
    expect(await page.locator('#effective-trusted-documents').textContent()).toBe('ENFORCE');
    await c.screenshot('manifest-admin-approved');
    await c.expectNoErrors();

    const stored = (await sys.gql(doc('register/Product').document, { token: adminToken, operationName: 'Product', variables: { id: PRODUCT } })).body.data!.product;
    expect([stored.status, stored.manifest.version, stored.manifest.submittedBy, stored.trustedDocuments]).toEqual(['CERTIFIED', 1, expect.stringContaining('manifest-developer'), 'ENFORCE']);
    expect(stored.manifest.operations.map((o: { document: string }) => o.document)).toEqual([CERTIFIED, SECOND]);

    // The product: served the certified document, refused another.
    const productToken = await sys.token({ product: PRODUCT });
    const served = await sys.gql(CERTIFIED, { token: productToken, variables: { clientId: 'C-000001' } });
    expect([served.status, codesOf(served), served.body.data?.client?.id]).toEqual([200, [], 'C-000001']);
    const uncertified = await sys.gql(doc('product/ReadClient').document, { token: productToken, operationName: 'ReadClient', variables: { clientId: 'C-000001' } });
    expect([uncertified.status, codesOf(uncertified)]).toEqual([403, ['OPERATION_NOT_CERTIFIED']]);
  });

  it('shows PRD-ENHANCED\'s key binding, and a change made behind its back as "changed by someone else: reload"', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'admin', 'binding-admin');
    await page.goto(`${consoleUrl(sys)}#/product/PRD-ENHANCED`);
    const product = page.locator('section[data-product=PRD-ENHANCED]');
    await product.waitFor();
    const stored = (await sys.gql(doc('register/Product').document, { token: adminToken, operationName: 'Product', variables: { id: 'PRD-ENHANCED' } })).body.data!.product;
    expect(stored.keyBinding.required).toBe(true);
    expect(await page.locator('#key-binding').getAttribute('data-required')).toBe('true');
    expect(await page.locator('#key-binding li[data-thumbprint]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-thumbprint')))).toEqual(stored.keyBinding.thumbprints);
    expect(await page.locator('#pending-manifest').textContent()).toBe('none');
    await c.screenshot('manifest-key-binding');

    // The admin opens "Set key binding" while another admin changes the product.
    const revision = Number(await product.getAttribute('data-revision'));
    await page.locator('button[data-open=key-binding]').click();
    const form = page.locator('form[data-action="admin/SetKeyBinding"]');
    expect((await form.locator('[name=thumbprints]').inputValue()).split('\n')).toEqual(stored.keyBinding.thumbprints);
    await form.locator('input[name=required]').uncheck();
    await form.locator('[name=reason]').fill('Moving to optional binding');
    const behind = await sys.gql(doc('admin/SetTrustedDocuments').document, { token: adminToken, operationName: 'SetTrustedDocuments', variables: { productId: 'PRD-ENHANCED', expectedRevision: revision, mode: 'LOG', reason: 'Another admin' } });
    expect(codesOf(behind)).toEqual([]);
    await form.locator('button[type=submit]').click();
    const conflict = form.locator('.notice.conflict[data-code=REVISION_CONFLICT]');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('Changed by someone else: reload');
    await conflict.getByRole('button', { name: 'Reload' }).click();
    await page.locator(`section[data-product=PRD-ENHANCED][data-revision="${behind.body.data!.setTrustedDocuments.revision}"]`).waitFor();
    expect(await page.locator('#key-binding').getAttribute('data-required')).toBe('true');
    expect(await page.locator('#effective-trusted-documents').textContent()).toBe('LOG');
    // The one refused response: the conflict (409 REVISION_CONFLICT), shown as intended.
    await c.expectNoErrors(['/graphql 409']);
  });
});
