/**
 * the dashboard says "Nothing of the session stays in
 * the page, hidden or not" (static/app.js, sign-out). It keeps the previous session's data in the
 * DOM (1) when the gateway refuses the token on a later poll (it expired, was revoked, lost its
 * role): the whole dashboard (products, alerts, incidents, chart, tiles) is only hidden, and (2)
 * after "Sign out": the summary tiles and the "last updated" line stay. Anyone at the unlocked
 * machine (devtools, "view source" of the live DOM, an extension with page access) reads them
 * without a token.
 *
 * The page is served by createDashboard on a loopback server; /dashboard/data is a stub (first poll
 * 200 with data, the next 401). The page's clock is the test's (installed, fast-forwarded).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createDashboard } from '../../monitoring/dashboard/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const DATA = {
  generatedAt: '2026-01-01T00:00:00.000Z',
  rates: { slotMs: 60_000, bucketStarts: ['2026-01-01T00:00:00.000Z'], totals: [424242], series: [{ productId: 'PRD-SECRET', counts: [424242], total: 424242 }] },
  denialsByCode: [{ code: 'PRODUCT_SUSPENDED', count: 7 }],
  alerts: [{ id: 'ALR-SECRET', detector: 'volume', risk: 'HIGH', key: 'product:PRD-SECRET', productId: 'PRD-SECRET', observed: 9, baseline: 1, message: 'SECRET alert text', raisedAt: '2026-01-01T00:00:00.000Z', lastSeenAt: '2026-01-01T00:00:00.000Z', incidentId: null, evidenceCount: 1 }],
  incidents: [],
  products: [{ id: 'PRD-SECRET', name: 'Secret product', developerId: 'DEV-X', developerStatus: 'ACTIVE', status: 'CERTIFIED', effectiveStatus: 'CERTIFIED', blockedBy: null, served: true, certificationTier: null, certificationValidUntil: null }],
  summary: { requestsLastHour: 424242, alertsOpen: 31337, alertsHigh: 1, incidentsOpen: 0, incidentsDueSoon: 0, productsBlocked: 0, products: 98765 },
  degraded: [],
};

describe('the dashboard leaves no data of an ended session in the page', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  /** What the next poll gets: 'data' or 'refused'. */
  let answer: 'data' | 'refused' = 'data';

  beforeAll(async () => {
    const dashboard = createDashboard({
      monitor: { openAlerts: () => [], rates: () => ({ slotMs: 60_000, bucketStarts: [], totals: [], series: [], denialsByCode: [] }) } as never,
      store: {} as never,
      registry: { products: () => [], developer: () => undefined },
      async serveData(_req, res, _read, headers) {
        if (answer === 'refused') {
          res.writeHead(401, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: 'The token has expired.', extensions: { code: 'TOKEN_EXPIRED' } }] }));
          return;
        }
        res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(DATA));
      },
    });
    server = createServer((req, res) => void dashboard.handle(req, res).then((done) => done || res.writeHead(404).end()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** Everything the DOM holds, hidden or not. */
  const domText = (page: import('playwright-core').Page) => page.evaluate(() => document.documentElement.outerHTML);

  it('clears the data when the gateway refuses the token on a later poll (expired, revoked)', async () => {
    answer = 'data';
    const page = await browser.newPage();
    await page.clock.install();
    await page.goto(url);
    await page.locator('#token').fill('a.b.c');
    await page.locator('#token-form button[type=submit]').click();
    await page.locator('#products tbody tr').waitFor();
    expect(await domText(page)).toContain('PRD-SECRET');
    answer = 'refused';
    const refused = page.waitForResponse((r) => r.url().endsWith('/dashboard/data') && r.status() === 401);
    await page.clock.fastForward(2_100);
    await refused;
    await page.locator('#auth-error').waitFor({ state: 'visible' });
    const html = await domText(page);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    // The signed-out page still holds the product, the alert and the numbers of the ended session.
    expect(html).not.toContain('PRD-SECRET');
    expect(html).not.toContain('SECRET alert text');
    expect(html).not.toMatch(/424,?242|31337|98765/);
    await page.close();
  });

  it('clears the summary tiles and the last-updated line on sign-out', async () => {
    answer = 'data';
    const page = await browser.newPage();
    await page.clock.install();
    await page.goto(url);
    await page.locator('#token').fill('a.b.c');
    await page.locator('#token-form button[type=submit]').click();
    await page.locator('#products tbody tr').waitFor();
    await page.locator('#sign-out').click();
    await page.locator('#auth').waitFor({ state: 'visible' });
    const html = await domText(page);
    expect(html).not.toContain('PRD-SECRET');
    expect(html).not.toMatch(/424,?242|31337|98765/);
    expect(await page.locator('#last-updated').textContent()).toBe('never');
    await page.close();
  });
});
