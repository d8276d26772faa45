/**
 * Issue 20: an ATO administrator's journey through the staff console in headless Chromium,
 * against the real system (gateway and subgraphs on loopback, a temporary data directory). The
 * admin signs in as the demo admin with the keyboard, registers and approves a developer,
 * registers its product, records its self-certification (one requirement met by a compensating
 * control), certifies it for part of what it may have, whitelists the rest, tries a request with a
 * development product token (served), suspends it with the keyboard (the same token refused
 * PRODUCT_SUSPENDED, in the page and through the API), reinstates it (served again) and reads
 * the history; a change made behind the page's back makes the page's next change a "changed by
 * someone else: reload" conflict. Every request the page sent is then found in the access log
 * under the admin's identity. No browser console errors; nothing of the session in Web Storage.
 */
import type { Browser, Page } from 'playwright-core';
import { abnFromNumber } from '../../core/ids.js';
import { loadOperations } from '../../console/operations.js';
import { REQUIREMENTS } from '../../registry/model.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { consoleUrl, launchBrowser, openConsole, overflowsHorizontally, webStorageOf, type ConsolePage } from '../helpers/console-browser.js';

const operations = loadOperations();
const ADMIN = 'console-admin';
const doc = (id: string) => operations.get(id)!;

let sys: TestSystem;
let browser: Browser;
let auditorToken: string;

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launchBrowser();
  auditorToken = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'check-auditor' });
});
afterAll(async () => {
  await browser?.close();
  await sys?.close();
});

/** Presses Tab until the focused element matches `selector` (at most `max` times); fails otherwise. */
async function tabTo(page: Page, selector: string, max = 250): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** A product request, as a DSP product sends it. */
const readClient = (token: string) => sys.gql(doc('product/ReadClient').document, { token, variables: { clientId: 'C-000001' }, operationName: 'ReadClient' });

/** Every access record for `sub`, through the audit API (as an auditor). */
async function accessRecordsOf(sub: string): Promise<Array<Record<string, any>>> {
  const out: Array<Record<string, any>> = [];
  let after: string | null = null;
  for (;;) {
    const r = await sys.gql(doc('auditor/AccessLog').document, { token: auditorToken, operationName: 'AccessLog', variables: { filter: { sub }, first: 100, ...(after ? { after } : {}) } });
    expect(codesOf(r)).toEqual([]);
    out.push(...r.body.data!.accessLogs.nodes);
    if (!r.body.data!.accessLogs.pageInfo.hasNextPage) return out;
    after = r.body.data!.accessLogs.pageInfo.endCursor;
  }
}

describe('staff console: an administrator', () => {
  let c: ConsolePage;
  afterEach(async () => {
    await c?.close();
  });

  it('registers, self-certifies, certifies, whitelists, suspends and reinstates a product; every action is in the access log under the admin', async () => {
    c = await openConsole(browser);
    const { page } = c;

    // Sign in with the keyboard only: Tab to the name, type it, Tab to "ATO administrator", Enter.
    await page.goto(consoleUrl(sys));
    await tabTo(page, 'input[name=name]');
    await page.keyboard.type(ADMIN);
    await tabTo(page, 'button[data-as=admin]');
    await page.keyboard.press('Enter');
    await page.locator(`#who[data-sub="${ADMIN}"][data-role=admin]`).waitFor();
    expect(await page.locator('nav.main a[aria-current=page]').textContent()).toBe('Register');

    // Register a developer and approve it.
    await page.getByRole('button', { name: 'Register a developer…' }).click();
    const devForm = page.locator('form[data-action="admin/RegisterDeveloper"]');
    await devForm.locator('[name=legalName]').fill('Browser Test Software Pty Ltd');
    await devForm.locator('[name=abn]').fill(abnFromNumber(7_654_321));
    await devForm.locator('[name=contactName]').fill('Brenda Tester');
    await devForm.locator('[name=contactEmail]').fill('brenda@browser-test.example');
    await devForm.locator('input[name=declarations][value="Declarations accepted"]').check();
    await devForm.locator('input[name=declarations][value="Tax obligations current"]').check();
    await devForm.locator('[name=reason]').fill('New DSP applying through the portal');
    await devForm.locator('[name=ticket]').fill('ONB-20');
    await devForm.locator('button[type=submit]').click();
    const developer = page.locator('section[data-developer]');
    await developer.waitFor();
    const developerId = (await developer.getAttribute('data-developer'))!;
    expect(await developer.locator('.badge').first().textContent()).toBe('PENDING');
    await page.locator('button[data-open=approve]').click();
    await page.locator('form[data-action="admin/ApproveDeveloper"] [name=reason]').fill('Eligibility checks passed');
    await page.locator('form[data-action="admin/ApproveDeveloper"] button[type=submit]').click();
    await page.locator('section[data-developer] .badge', { hasText: 'ACTIVE' }).waitFor();

    // Register its product from the developer's page.
    await page.locator('section[aria-labelledby=dev-products-title]').getByRole('button', { name: 'Register a product…' }).click();
    const productForm = page.locator('form[data-action="admin/RegisterProduct"]');
    await productForm.locator('[name=name]').fill('Browser Ledger');
    await productForm.locator('[name=minimumVersion]').fill('1.4.0');
    await productForm.locator('[name=reason]').fill('Registering the ledger product');
    await productForm.locator('button[type=submit]').click();
    const product = page.locator('section[data-product]');
    await product.waitFor();
    const productId = (await product.getAttribute('data-product'))!;
    expect(productId).toMatch(/^PRD-/);
    expect(await product.locator('.badge').first().textContent()).toBe('REGISTERED');
    expect(await product.locator(`a[href="#/developer/${developerId}"]`).count()).toBe(1);

    // Self-certification against the 11 requirements, audit logging met by a compensating control.
    const selfCert = page.locator('#self-certification-form');
    expect(await selfCert.locator('tbody tr[data-requirement]').count()).toBe(11);
    for (const r of REQUIREMENTS) await selfCert.locator(`[name="evidence-${r}"]`).fill(`Evidence for ${r.toLowerCase()}`);
    await selfCert.locator('[name="outcome-AUDIT_LOGGING"]').selectOption('COMPENSATING_CONTROL');
    await selfCert.locator('[name="control-AUDIT_LOGGING"]').fill('Logs shipped hourly to a write-once bucket reviewed weekly');
    await selfCert.locator('form [name=reason]').fill('Self-assessment received');
    await selfCert.locator('form button[type=submit]').click();
    await page.locator('section[data-product] .badge', { hasText: 'SELF_CERTIFIED' }).first().waitFor();
    const recorded = page.locator('#self-certification tr[data-requirement=AUDIT_LOGGING]');
    await recorded.waitFor();
    expect(await recorded.locator('td').nth(1).textContent()).toBe('COMPENSATING_CONTROL');
    expect(await recorded.locator('td').nth(3).textContent()).toBe('Logs shipped hourly to a write-once bucket reviewed weekly');
    expect(await page.locator('#self-certification tbody tr').count()).toBe(11);

    // Certify for clients.read only, then whitelist the rest.
    await page.locator('button[data-open=certify]').click();
    const certify = page.locator('form[data-action="admin/CertifyProduct"]');
    for (const s of ['lodgments.read', 'lodgments.write', 'accounts.read']) await certify.locator(`input[name=services][value="${s}"]`).uncheck();
    await certify.locator('[name=reason]').fill('Assessment complete');
    await certify.locator('button[type=submit]').click();
    await page.locator('section[data-product] .badge', { hasText: /^CERTIFIED$/ }).first().waitFor();
    expect(await page.locator('[data-services]').textContent()).toBe('clients.read');
    await page.locator('button[data-open=whitelist]').click();
    const whitelist = page.locator('form[data-action="admin/WhitelistServices"]');
    await whitelist.locator('[name=reason]').fill('Remaining services approved');
    await whitelist.locator('button[type=submit]').click();
    await page.locator('[data-services]', { hasText: 'accounts.read' }).waitFor();
    expect(await page.locator('[data-services]').textContent()).toBe('clients.read, lodgments.read, lodgments.write, accounts.read');
    // Nothing is left to whitelist, so the action is no longer offered.
    expect(await page.locator('button[data-open=whitelist]').count()).toBe(0);

    // A development product token, minted through the dev helper by the page: served.
    await sys.gateway.snapshot.refresh();
    const minted = page.waitForResponse((res) => res.url().endsWith('/console/dev/product-token'));
    await page.getByRole('button', { name: `Send a request as ${productId}` }).click();
    const productToken = ((await (await minted).json()) as { token: string }).token;
    await page.locator('#try-result[data-served=true]').waitFor();
    let r = await readClient(productToken);
    expect([r.status, codesOf(r), r.body.data?.client?.id]).toEqual([200, [], 'C-000001']);

    // Suspend with the keyboard: Tab to "Suspend…", Enter; Tab to the reason, type; Tab to the button, Enter.
    await tabTo(page, 'button[data-open=suspend]');
    // The focus is visible where the keyboard is.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');
    await page.keyboard.press('Enter');
    await tabTo(page, 'form[data-action="admin/SuspendProduct"] textarea[name=reason]');
    await page.keyboard.type('Suspected credential compromise');
    await tabTo(page, 'form[data-action="admin/SuspendProduct"] button[type=submit]');
    await page.keyboard.press('Enter');
    await page.locator('[data-standing=refused]', { hasText: 'PRODUCT_SUSPENDED' }).waitFor();
    await c.screenshot('admin-suspended');
    // The gateway enforces from its in-memory register, refreshed every poll: take that refresh now.
    await sys.gateway.snapshot.refresh();
    await page.getByRole('button', { name: `Send a request as ${productId}` }).click();
    await page.locator('#try-result[data-served=false]', { hasText: 'PRODUCT_SUSPENDED' }).waitFor();
    r = await readClient(productToken);
    expect(codesOf(r)).toEqual(['PRODUCT_SUSPENDED']);

    // Reinstate: served again.
    await page.locator('button[data-open=reinstate]').click();
    await page.locator('form[data-action="admin/ReinstateProduct"] [name=reason]').fill('Credentials rotated');
    await page.locator('form[data-action="admin/ReinstateProduct"] button[type=submit]').click();
    await page.locator('[data-standing=served]').waitFor();
    await sys.gateway.snapshot.refresh();
    await page.getByRole('button', { name: `Send a request as ${productId}` }).click();
    await page.locator('#try-result[data-served=true]').waitFor();
    r = await readClient(productToken);
    expect([r.status, codesOf(r)]).toEqual([200, []]);

    // The history timeline shows every change, as the API has it.
    const apiHistory = (await sys.gql(doc('register/Product').document, { token: await sys.token({ roles: ['ato:admin'], mfa: true }), variables: { id: productId }, operationName: 'Product' })).body.data!.productHistory as Array<{ action: string; revision: number }>;
    const timeline = page.locator('ol.timeline[aria-label=History] > li');
    await page.locator(`ol.timeline > li[data-revision="${apiHistory.at(-1)!.revision}"]`).waitFor();
    const shown = await timeline.evaluateAll((lis) => lis.map((li) => `${li.getAttribute('data-action')}@${li.getAttribute('data-revision')}`));
    expect(shown).toEqual(apiHistory.map((h) => `${h.action}@${h.revision}`));
    expect(shown.length).toBeGreaterThanOrEqual(6);

    // Readable at 1280×800: no sideways scrolling, the heading and actions in view.
    expect(await overflowsHorizontally(page)).toBe(false);
    await c.screenshot('admin-product');

    // Nothing of the session in Web Storage or cookies.
    await c.settle();
    expect(c.sessionTokens).toHaveLength(1);
    const storage = await webStorageOf(page);
    expect(storage).not.toContain(c.sessionTokens[0]);
    expect(storage).not.toContain(productToken);
    expect(await c.context.cookies()).toEqual([]);

    // Every request the page sent with the session's token is in the access log with the admin's identity.
    const staffExchanges = c.exchanges.filter((e) => e.token === c.sessionTokens[0]);
    const mutations = ['RegisterDeveloper', 'ApproveDeveloper', 'RegisterProduct', 'SubmitSelfCertification', 'CertifyProduct', 'WhitelistServices', 'SuspendProduct', 'ReinstateProduct'];
    expect(staffExchanges.map((e) => e.operationName)).toEqual(expect.arrayContaining(mutations));
    const records = new Map((await accessRecordsOf(ADMIN)).map((rec) => [rec.requestId, rec]));
    for (const e of staffExchanges) {
      const rec = records.get(e.requestId);
      expect({ op: e.operationName, sub: rec?.sub, roles: rec?.roles, operationName: rec?.operationName }).toEqual({ op: e.operationName, sub: ADMIN, roles: ['ato:admin'], operationName: e.operationName });
    }
    for (const m of mutations) expect([...records.values()].filter((rec) => rec.operationName === m && rec.decision === 'ALLOWED').length).toBeGreaterThanOrEqual(1);
    // The development helpers leave records too: the sign-in under the token it issued (the same
    // jti as every request after it), each product token minted under the admin who asked.
    const signIns = [...records.values()].filter((rec) => rec.operationName === 'DevSignIn');
    expect(signIns.map((rec) => [rec.decision, rec.operationType, rec.roles])).toEqual([['ALLOWED', 'console', ['ato:admin']]]);
    expect(new Set(staffExchanges.map((e) => records.get(e.requestId)?.jti))).toEqual(new Set([signIns[0]!.jti]));
    expect([...records.values()].filter((rec) => rec.operationName === 'DevProductToken').map((rec) => rec.decision)).toEqual(['ALLOWED', 'ALLOWED', 'ALLOWED']);
    // The product requests it tried went as the product, minted under the admin's name.
    const productExchanges = c.exchanges.filter((e) => e.operationName === 'ReadClient');
    expect(productExchanges).toHaveLength(3);
    const productRecords = new Map((await accessRecordsOf(`console:${ADMIN}`)).map((rec) => [rec.requestId, rec]));
    expect(productExchanges.map((e) => [productRecords.get(e.requestId)?.productId, productRecords.get(e.requestId)?.decision])).toEqual([[productId, 'ALLOWED'], [productId, 'DENIED'], [productId, 'ALLOWED']]);
    // The one refused response: the suspended product's request (403 PRODUCT_SUSPENDED), shown as intended.
    await c.expectNoErrors(['/graphql 403']);
  });

  it('shows a change made behind its back as "changed by someone else: reload", not an error dump', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await page.goto(consoleUrl(sys));
    await page.locator('input[name=name]').fill(ADMIN);
    await page.locator('button[data-as=admin]').click();
    await page.goto(`${consoleUrl(sys)}#/product/PRD-CERTIFIED`);
    const product = page.locator('section[data-product=PRD-CERTIFIED]');
    await product.waitFor();
    const revision = Number(await product.getAttribute('data-revision'));

    await page.locator('button[data-open=minimum-version]').click();
    const form = page.locator('form[data-action="admin/SetMinimumVersion"]');
    await form.locator('[name=minimumVersion]').fill('2.5.0');
    await form.locator('[name=reason]').fill('Old versions mishandle TFNs');

    // Meanwhile another admin changes the product through the API.
    const other = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'other-admin' });
    const behind = await sys.gql(doc('admin/SetMinimumVersion').document, { token: other, operationName: 'SetMinimumVersion', variables: { productId: 'PRD-CERTIFIED', expectedRevision: revision, minimumVersion: '2.1.0', reason: 'Raised by another admin' } });
    expect(codesOf(behind)).toEqual([]);

    await form.locator('button[type=submit]').click();
    const conflict = form.locator('.notice.conflict[data-code=REVISION_CONFLICT]');
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('Changed by someone else: reload');
    expect(await page.locator('.notice.error').count()).toBe(0);
    await c.screenshot('admin-conflict');

    // Reload shows the other admin's change; the page's version was not applied.
    await conflict.getByRole('button', { name: 'Reload' }).click();
    await page.locator(`section[data-product=PRD-CERTIFIED][data-revision="${behind.body.data!.setMinimumVersion.revision}"]`).waitFor();
    expect(await page.locator('section[data-product] dd.mono').first().textContent()).toBe('2.1.0');
    // The one refused response: the conflict (409 REVISION_CONFLICT), shown as intended.
    await c.expectNoErrors(['/graphql 409']);
  });
});
