/**
 * Issue 20: every page of the staff console, as each role that may open it, in headless Chromium
 * at 1280×800 against the real system: each page comes up with its heading and its data, with no
 * browser console error, no refused request and no sideways scrolling; a screenshot of each. An
 * admin then triages an incident a developer notified (acknowledge, then resolve with a note),
 * with the notifyBy countdown shown until it is resolved.
 */
import type { Browser } from 'playwright-core';
import { loadOperations } from '../../console/operations.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { consoleUrl, launchBrowser, openConsole, overflowsHorizontally, signInAs, type ConsolePage } from '../helpers/console-browser.js';

const operations = loadOperations();
let sys: TestSystem;
let browser: Browser;
let incidentId: string;

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launchBrowser();
  const developer = await sys.token({ roles: ['dsp:developer'], developer: 'DEV-GOOD', mfa: true, sub: 'tour-developer' });
  const op = operations.get('developer/NotifyIncident')!;
  const r = await sys.gql(op.document, { token: developer, operationName: op.name, variables: { input: { whatHappened: 'Phishing email opened by a support officer', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), productIds: ['PRD-CERTIFIED'], affectedRecords: 12, contact: 'security@good.example' } } });
  expect(codesOf(r)).toEqual([]);
  incidentId = r.body.data!.notifyIncident.id;
});
afterAll(async () => {
  await browser?.close();
  await sys?.close();
});

/** Each role's pages: hash, and a selector that shows the page's data arrived. */
const PAGES: Record<'admin' | 'auditor' | 'developer', Array<[string, string]>> = {
  admin: [
    ['#/register', '#products tbody tr[data-product=PRD-CERTIFIED]'],
    ['#/attention', '#attention-title'],
    ['#/history', 'table tbody tr'],
    ['#/authorisations', 'table tbody tr'],
    ['#/incidents', '#incidents tbody tr[data-incident]'],
    ['#/product/PRD-CERTIFIED', 'ol.timeline li'],
    ['#/developer/DEV-GOOD', '#dev-products-title ~ table tbody tr'],
  ],
  auditor: [
    ['#/access-log', 'form[aria-label="Filter the access log"]'],
    ['#/integrity', 'form button[type=submit]'],
    ['#/incidents', '#incidents tbody tr[data-incident]'],
    ['#/register', '#products tbody tr[data-product=PRD-CERTIFIED]'],
    ['#/attention', '#attention-title'],
    ['#/history', 'table tbody tr'],
    ['#/product/PRD-SUSPENDED', 'ol.timeline li'],
  ],
  developer: [
    ['#/register', '#products tbody tr[data-product=PRD-CERTIFIED]'],
    ['#/my-incidents', '#incidents tbody tr[data-incident]'],
    ['#/product/PRD-CERTIFIED', 'ol.timeline li'],
    ['#/developer/DEV-GOOD', '#dev-products-title ~ table tbody tr'],
  ],
};

describe('staff console: every page', () => {
  let c: ConsolePage;
  afterEach(async () => {
    await c?.close();
  });

  for (const role of ['admin', 'auditor', 'developer'] as const) {
    it(`opens every ${role} page with its data, no console error and no sideways scrolling at 1280×800`, async () => {
      c = await openConsole(browser);
      const { page } = c;
      await signInAs(page, sys, role, `tour-${role}`);
      for (const [hash, ready] of PAGES[role]) {
        await page.goto(`${consoleUrl(sys)}${hash}`);
        // goto with only a new hash keeps the document (and the session): the route changes in place.
        await page.locator(`#who[data-sub=tour-${role}]`).waitFor();
        await page.locator(ready).first().waitFor();
        await page.locator('.loading').first().waitFor({ state: 'detached' });
        expect([hash, await page.locator('main h2').first().isVisible()]).toEqual([hash, true]);
        expect([hash, await page.locator('.notice.error').count()]).toEqual([hash, 0]);
        expect([hash, await overflowsHorizontally(page)]).toEqual([hash, false]);
        // Every control has an accessible name: a label, or aria-label where a table row names it.
        const unnamed = await page.locator('main input, main select, main textarea, main button').evaluateAll((els) =>
          els.filter((el) => !((el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || (el.tagName === 'BUTTON' && el.textContent!.trim()))).map((el) => el.outerHTML.slice(0, 80)));
        expect([hash, unnamed]).toEqual([hash, []]);
        // Ids in tables are read whole: each id link is one line, never broken mid-id.
        const broken = await page.locator('td.mono a').evaluateAll((as) => as.filter((a) => a.getClientRects().length > 1).map((a) => a.textContent));
        expect([hash, broken]).toEqual([hash, []]);
        await c.screenshot(`tour-${role}-${hash.replace(/[#/]+/g, '-').replace(/^-|-$/g, '')}`);
      }
      // Every request the pages sent was served.
      await c.settle();
      expect(c.exchanges.filter((e) => e.status !== 200 || e.codes.length)).toEqual([]);
      await c.expectNoErrors();
    });
  }

  it('is keyboard navigable: the skip link and the navigation take the focus to the page\'s content, and the route stays', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'admin', 'tour-admin');
    await page.goto(`${consoleUrl(sys)}#/product/PRD-CERTIFIED`);
    await page.locator('section[data-product=PRD-CERTIFIED]').waitFor();
    // The skip link is the first stop and, activated, moves to the content without leaving the page.
    await page.locator('h1').click();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toBe('skip');
    expect(await page.locator('a.skip').isVisible()).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => [location.hash, document.activeElement?.id])).toEqual(['#/product/PRD-CERTIFIED', 'main']);
    expect(await page.locator('section[data-product=PRD-CERTIFIED]').count()).toBe(1);
    // A navigation link activated with Enter opens its page with the focus on its content.
    await page.keyboard.press('Shift+Tab');
    for (let i = 0; i < 20 && !(await page.evaluate(() => document.activeElement?.getAttribute('href') === '#/history')); i++) await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator('#rh-title').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
    await c.screenshot('tour-admin-keyboard');
    await c.expectNoErrors();
  });

  it('lets an admin triage a notified incident: acknowledge, then resolve with a note, the notify-by countdown shown until then', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'admin', 'tour-admin');
    await page.getByRole('link', { name: 'Incidents and alerts' }).click();
    const row = page.locator(`#incidents tr[data-incident="${incidentId}"]`);
    await row.waitFor();
    expect(await row.locator('.countdown').textContent()).toMatch(/^in 2[0-4] h \d+ min$/);
    await row.getByRole('link').click();
    const incident = page.locator(`section[data-incident="${incidentId}"]`);
    await incident.waitFor();
    expect(await incident.getAttribute('data-status')).toBe('OPEN');

    const triage = page.locator('form[data-action="admin/TriageIncident"]');
    await triage.locator('[name=status]').selectOption('TRIAGED');
    await triage.locator('[name=note]').fill('Acknowledged; credentials of the officer reset');
    await triage.locator('button[type=submit]').click();
    await page.locator(`section[data-incident="${incidentId}"][data-status=TRIAGED]`).waitFor();
    await triage.locator('[name=status]').selectOption('RESOLVED');
    await triage.locator('[name=note]').fill('No taxpayer data left the practice');
    await triage.locator('button[type=submit]').click();
    await page.locator(`section[data-incident="${incidentId}"][data-status=RESOLVED]`).waitFor();
    expect(await incident.locator('ol.timeline li .what').allTextContents()).toEqual(['OPEN', 'TRIAGED', 'RESOLVED']);
    expect(await incident.locator('.countdown').count()).toBe(0);
    // Resolved: no further triage offered.
    expect(await triage.count()).toBe(0);
    await c.screenshot('tour-admin-incident-resolved');
    await c.expectNoErrors();
  });
});
