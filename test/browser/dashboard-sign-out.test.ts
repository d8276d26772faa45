/**
 * Review s20e: signing out of the dashboard while a poll is in flight. The answer to that poll
 * arrives after the sign-out and must not bring the signed-out dashboard (and its data) back on
 * screen. The page is served by createDashboard on a loopback server; /dashboard/data is answered
 * by a stub that holds the response until the test releases it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { createDashboard } from '../../monitoring/dashboard/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const DATA = {
  generatedAt: '2026-01-01T00:00:00.000Z',
  rates: { slotMs: 60_000, bucketStarts: ['2026-01-01T00:00:00.000Z'], totals: [1], series: [] },
  denialsByCode: [],
  alerts: [],
  incidents: [],
  products: [{ id: 'PRD-SECRET', name: 'Secret product', developerId: 'DEV-X', developerStatus: 'ACTIVE', status: 'CERTIFIED', effectiveStatus: 'CERTIFIED', blockedBy: null, served: true, certificationTier: null, certificationValidUntil: null }],
  summary: { requestsLastHour: 1, alertsOpen: 0, alertsHigh: 0, incidentsOpen: 0, incidentsDueSoon: 0, productsBlocked: 0, products: 1 },
  degraded: [],
};

describe('the dashboard after sign-out', () => {
  let browser: Browser;
  let server: Server;
  let url: string;
  let polls = 0;
  let hold: (() => void) | null = null;
  let held: (() => void) | null = null;
  const polled = () => new Promise<void>((resolve) => (held = resolve));

  beforeAll(async () => {
    const dashboard = createDashboard({
      monitor: { openAlerts: () => [], rates: () => ({ slotMs: 60_000, bucketStarts: [], totals: [], series: [], denialsByCode: [] }) } as never,
      store: {} as never,
      registry: { products: () => [], developer: () => undefined },
      async serveData(_req, res, _read, headers) {
        polls += 1;
        // The second poll is held until the test has signed out.
        if (polls === 2) {
          await new Promise<void>((resolve) => {
            hold = resolve;
            held?.();
          });
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
    hold?.();
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('does not show the data of a poll answered after the sign-out', async () => {
    const page = await browser.newPage();
    const secondPoll = polled();
    await page.goto(url);
    await page.locator('#token').fill('a.b.c');
    await page.locator('#token-form button[type=submit]').click();
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    await secondPoll; // the next poll (2 s later) is now in flight, held by the server
    await page.locator('#sign-out').click();
    await page.locator('#auth').waitFor({ state: 'visible' });
    const answered = page.waitForResponse((r) => r.url().endsWith('/dashboard/data'));
    hold!();
    await answered;
    // Let the page handle the late answer (one round trip through its event loop).
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
    expect(await page.locator('#auth').isVisible()).toBe(true);
    expect(await page.locator('#products tbody').textContent()).not.toContain('PRD-SECRET');
    await page.close();
  });
});
