/**
 * Issue 20: DSP developer staff (dsp:developer for DEV-GOOD) in the staff console, in headless
 * Chromium against the real system. They see their own developer's products only (the list, and
 * another developer's product page refused, in the page and through the API), register a product,
 * submit its self-certification against the 11 requirements (one met by a compensating control)
 * and notify an incident; every request the page sent is in the access log under their identity.
 * No browser console errors.
 */
import type { Browser } from 'playwright-core';
import { loadOperations } from '../../console/operations.js';
import { REQUIREMENTS } from '../../registry/model.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { consoleUrl, launchBrowser, openConsole, overflowsHorizontally, signInAs, type ConsolePage } from '../helpers/console-browser.js';

const operations = loadOperations();
const DEVELOPER = 'console-developer';
const OTHERS = 'PRD-NONCOMPLIANT-DEV';

let sys: TestSystem;
let browser: Browser;
let adminToken: string;
let auditorToken: string;

const send = (id: string, token: string, variables: Record<string, unknown> = {}) => sys.gql(operations.get(id)!.document, { token, variables, operationName: operations.get(id)!.name });

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launchBrowser();
  adminToken = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'check-admin' });
  auditorToken = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'check-auditor' });
});
afterAll(async () => {
  await browser?.close();
  await sys?.close();
});

describe('staff console: DSP developer staff', () => {
  let c: ConsolePage;
  afterEach(async () => {
    await c?.close();
  });

  it('see only their own products, and another developer\'s product is refused in the page and through the API', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'developer', DEVELOPER);
    expect(await page.locator('#who').getAttribute('data-role')).toBe('developer');
    expect(await page.locator('#register-title').textContent()).toBe('My products');
    await page.locator('#products tbody tr').first().waitFor();

    const all = (await send('register/Products', adminToken)).body.data!.products as Array<{ id: string; developerId: string }>;
    const own = all.filter((p) => p.developerId === 'DEV-GOOD').map((p) => p.id);
    expect(all.some((p) => p.developerId !== 'DEV-GOOD')).toBe(true);
    const listed = await page.locator('#products tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-product')));
    expect(listed.sort()).toEqual(own.sort());
    expect(await page.locator('#developers tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-developer')))).toEqual(['DEV-GOOD']);
    // No admin-only pages or actions are offered.
    expect(await page.locator('nav.main a').allTextContents()).not.toContain('Access log');
    expect(await page.getByRole('button', { name: 'Register a developer…' }).count()).toBe(0);
    expect(await overflowsHorizontally(page)).toBe(false);
    await c.screenshot('developer-products');

    // Another developer's product, opened by its address: refused, nothing of it shown.
    await page.goto(`${consoleUrl(sys)}#/product/${OTHERS}`);
    const refused = page.locator('.notice.error[data-code=FORBIDDEN]');
    await refused.waitFor();
    // The product and its history are both refused, for one reason, said once.
    expect(await refused.locator('div').count()).toBe(1);
    expect(await page.locator('section[data-product]').count()).toBe(0);
    expect(await page.locator('main').textContent()).not.toContain('Noncompliant');
    await c.screenshot('developer-other-product');
    // And through the API, with a developer's token.
    const developerToken = await sys.token({ roles: ['dsp:developer'], developer: 'DEV-GOOD', mfa: true, sub: 'api-developer' });
    const r = await send('register/Product', developerToken, { id: OTHERS });
    expect(codesOf(r)).toEqual(['FORBIDDEN', 'FORBIDDEN']);
    expect(r.body.data?.product ?? null).toBeNull();
    const theirs = await send('register/Products', developerToken);
    expect(new Set((theirs.body.data!.products as Array<{ developerId: string }>).map((p) => p.developerId))).toEqual(new Set(['DEV-GOOD']));
    // The one refused response: the other developer's product (403 FORBIDDEN), shown as intended.
    await c.expectNoErrors(['/graphql 403']);
  });

  it('register a product, submit its self-certification and notify an incident, each under their own identity', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'developer', DEVELOPER);
    await page.getByRole('button', { name: 'Register a product…' }).click();
    const form = page.locator('form[data-action="admin/RegisterProduct"]');
    // Developer staff register for their own developer only: no developer field.
    expect(await form.locator('[name=developerId]').count()).toBe(0);
    await form.locator('[name=name]').fill('Good Books Mobile');
    await form.locator('[name=reason]').fill('Our new mobile app');
    await form.locator('button[type=submit]').click();
    const product = page.locator('section[data-product]');
    await product.waitFor();
    const productId = (await product.getAttribute('data-product'))!;
    expect(await page.locator('section[aria-label="Admin actions"], #try-title').count()).toBe(0);

    const selfCert = page.locator('#self-certification-form');
    for (const r of REQUIREMENTS) await selfCert.locator(`[name="evidence-${r}"]`).fill(`We do ${r.toLowerCase().replace(/_/g, ' ')}`);
    await selfCert.locator('[name="outcome-ENCRYPTION_AT_REST"]').selectOption('COMPENSATING_CONTROL');
    await selfCert.locator('[name="control-ENCRYPTION_AT_REST"]').fill('Data held only in an encrypted managed database');
    await selfCert.locator('form [name=reason]').fill('Initial self-assessment');
    await selfCert.locator('form button[type=submit]').click();
    await page.locator('section[data-product] .badge', { hasText: 'SELF_CERTIFIED' }).first().waitFor();
    expect(await page.locator('#self-certification tbody tr').count()).toBe(11);
    const stored = (await send('register/Product', adminToken, { id: productId })).body.data!.product;
    expect(stored.status).toBe('SELF_CERTIFIED');
    expect(stored.selfCertification.submittedBy).toContain(DEVELOPER);
    expect(stored.selfCertification.assessments.find((a: { requirement: string }) => a.requirement === 'ENCRYPTION_AT_REST')).toMatchObject({ outcome: 'COMPENSATING_CONTROL', compensatingControl: 'Data held only in an encrypted managed database' });
    // Once submitted, the form is gone (an admin certifies or rejects next).
    expect(await page.locator('#self-certification-form').count()).toBe(0);
    await c.screenshot('developer-self-certified');

    // Incident notification, for the new product.
    await page.getByRole('link', { name: 'Incidents' }).click();
    const notify = page.locator('form[data-action="developer/NotifyIncident"]');
    await notify.locator('[name=whatHappened]').fill('A support laptop with cached exports was stolen');
    await notify.locator(`input[name=productIds][value="${productId}"]`).check();
    await notify.locator('[name=contact]').fill('Security lead, 02 5550 1234');
    await notify.locator('button[type=submit]').click();
    await page.locator('.notice.success', { hasText: 'Notified' }).waitFor();
    const row = page.locator('#incidents tbody tr', { hasText: productId });
    await row.waitFor();
    expect(await row.locator('.countdown').textContent()).toMatch(/^in 2[0-4] h/);

    // Every request the page sent is in the access log under the developer's identity.
    const records = (await send('auditor/AccessLog', auditorToken, { filter: { sub: DEVELOPER }, first: 100 })).body.data!.accessLogs.nodes as Array<Record<string, any>>;
    const byRequest = new Map(records.map((rec) => [rec.requestId, rec]));
    await c.settle();
    expect(c.exchanges.map((e) => e.operationName)).toEqual(expect.arrayContaining(['RegisterProduct', 'SubmitSelfCertification', 'NotifyIncident']));
    for (const e of c.exchanges) expect(byRequest.get(e.requestId)).toMatchObject({ sub: DEVELOPER, roles: ['dsp:developer'], developerId: 'DEV-GOOD', operationName: e.operationName, decision: 'ALLOWED' });
    await c.expectNoErrors();
  });
});
