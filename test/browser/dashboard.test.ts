/**
 * Issue 7: the operations dashboard in headless Chromium (playwright-core driving the Debian
 * chromium at /usr/bin/chromium; `.ci/run` installs it). The test signs in with a staff token,
 * produces traffic and an alert, and sees both on the page: the request-rate chart (checked in
 * the DOM and in the pixels of a screenshot) and the alert row. It then checks that the page keeps
 * updating without a reload.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Image {
  width: number;
  height: number;
  /** RGBA, row by row. */
  rgba: Uint8Array;
}

/** A tiny PNG reader for screenshots: 8-bit RGB or RGBA, not interlaced (what Chromium writes). */
function decodePng(png: Buffer): Image {
  if (png.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let offset = 8;
  let width = 0;
  let height = 0;
  let colourType = -1;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const bitDepth = data[8];
      colourType = data[9]!;
      if (bitDepth !== 8 || (colourType !== 2 && colourType !== 6) || data[12] !== 0) throw new Error(`unsupported PNG (depth ${bitDepth}, colour type ${colourType}, interlace ${data[12]})`);
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    offset += 12 + length;
  }
  const channels = colourType === 6 ? 4 : 3;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const lines = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const out = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? lines[out + x - channels]! : 0;
      const b = y > 0 ? lines[out - stride + x]! : 0;
      const c = x >= channels && y > 0 ? lines[out - stride + x - channels]! : 0;
      const v = raw[src + x]!;
      let predicted = 0;
      if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`bad PNG filter ${filter}`);
      lines[out + x] = (v + predicted) & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[i * 4] = lines[i * channels]!;
    rgba[i * 4 + 1] = lines[i * channels + 1]!;
    rgba[i * 4 + 2] = lines[i * channels + 2]!;
    rgba[i * 4 + 3] = channels === 4 ? lines[i * channels + 3]! : 255;
  }
  return { width, height, rgba };
}

/** Share of pixels that differ from the most common colour (the background), and pixels close to `hex`. */
function inkOf(image: Image, hex: string): { inkShare: number; colourPixels: number } {
  const counts = new Map<number, number>();
  const n = image.width * image.height;
  for (let i = 0; i < n; i++) {
    const key = (image.rgba[i * 4]! << 16) | (image.rgba[i * 4 + 1]! << 8) | image.rgba[i * 4 + 2]!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const background = Math.max(...counts.values());
  const want = [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16));
  let colourPixels = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(image.rgba[i * 4]! - want[0]!) + Math.abs(image.rgba[i * 4 + 1]! - want[1]!) + Math.abs(image.rgba[i * 4 + 2]! - want[2]!);
    if (d <= 60) colourPixels++;
  }
  return { inkShare: (n - background) / n, colourPixels };
}

describe('operations dashboard in headless Chromium', () => {
  let sys: TestSystem;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const shots = mkdtempSync(join(tmpdir(), 'dsp-dashboard-'));
  let dashboardUrl: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH. The dashboard browser test needs a real browser.`);
    }
    sys = await startTestSystem({
      // A handful of refusals from one source is enough for an alert here.
      monitoring: { detectors: { denialBurst: { windowMs: 30_000, medium: 5, high: 1000 } } },
    });
    dashboardUrl = new URL('/dashboard', sys.gateway.url).toString();
    // launch() gives the browser a fresh temporary profile of its own.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await sys?.close();
  });

  it('keeps its data behind a staff token', async () => {
    expect((await fetch(`${dashboardUrl}/data`)).status).toBe(401);
    const productToken = await sys.token({ product: 'PRD-CERTIFIED' });
    // A valid token without the role is refused as /graphql refuses it (403 ROLE_REQUIRED).
    const asProduct = await fetch(`${dashboardUrl}/data`, { headers: { authorization: `Bearer ${productToken}` } });
    expect([asProduct.status, ((await asProduct.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code]).toEqual([403, 'ROLE_REQUIRED']);
    const admin = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'ops-reader' });
    const read = await fetch(`${dashboardUrl}/data`, { headers: { authorization: `Bearer ${admin}` } });
    expect(read.status).toBe(200);
    expect(read.headers.get('ratelimit-limit')).not.toBeNull();
    // Every read, served or refused, leaves an access record (review s17b F5), committed before the answer.
    const records = (await sys.store.queryAccessLogs({ operationName: 'DashboardData' }, { first: 10 })).records;
    expect(records.map((r) => [r.sub ?? null, r.httpStatus, r.operationType]).sort()).toEqual([
      [null, 401, 'staff-read'],
      [expect.any(String), 403, 'staff-read'],
      ['ops-reader', 200, 'staff-read'],
    ].sort());
    expect(read.headers.get('x-request-id')).toBe(records.find((r) => r.httpStatus === 200)!.requestId);

    // In the page: a product token is refused and the sign-in form stays.
    await page.goto(dashboardUrl);
    await page.locator('#token').fill(productToken);
    await page.locator('#token-form button[type=submit]').click();
    await page.locator('#auth-error').waitFor({ state: 'visible' });
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
  });

  it('signs in, shows the chart and an alert produced by traffic, and updates without a reload', async () => {
    await page.goto(dashboardUrl);
    // Set before signing in: a reload would lose it.
    await page.evaluate(() => {
      (window as unknown as { __sameDocument: string }).__sameDocument = 'yes';
    });
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    // No password field, which a browser would offer to save (and sync): a masked textarea, where Enter signs in.
    expect([await page.locator('input[type=password]').count(), await page.locator('#token').evaluate((el) => el.tagName)]).toEqual([0, 'TEXTAREA']);
    // Wrapped as a terminal or mail client wraps it: the line breaks are no part of the token.
    await page.locator('#token').fill((await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'ops-olivia' })).replace(/(.{64})/g, '$1\n'));
    await page.locator('#token').press('Enter');
    await page.locator('#dashboard').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelector('#last-updated')!.textContent !== 'never');
    // The token lives in the script's memory only, as the console's on the same origin (review s17b F7).
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([0, 0, '']);

    // Traffic: a practice reading clients, and a burst of bad tokens from this source (an alert).
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    for (let i = 0; i < 40; i++) expect((await sys.gql('query ($id: ID!) { client(clientId: $id) { id } }', { token, variables: { id: `C-0000${10 + (i % 40)}` } })).status).toBe(200);
    for (let i = 0; i < 6; i++) expect(codesOf(await sys.gql('{ serviceStatus { name } }', { token: 'forged' }))).toEqual(['UNAUTHENTICATED']);
    await sys.gateway.monitor.flush();
    const alert = sys.gateway.monitor.openAlerts().find((a) => a.detector === 'denial-burst' && a.key.startsWith('ip:'));
    expect(alert).toBeDefined();

    // The alert row appears (the page polls every 2 s; no reload).
    const row = page.locator(`#alerts tr[data-alert-id="${alert!.id}"]`);
    await row.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await row.getAttribute('data-risk')).toBe(alert!.risk);
    expect(await row.locator('td').nth(1).textContent()).toBe('denial-burst');
    await page.waitForFunction(() => document.querySelector('#denials tr[data-code="UNAUTHENTICATED"]') !== null);

    // The chart has a drawn series for the product, with a real length and size on screen.
    const series = page.locator('#rate-chart path.series[data-series="PRD-CERTIFIED"]');
    await series.waitFor({ state: 'attached', timeout: 10_000 });
    const drawn = await series.evaluate((path: SVGPathElement) => ({ length: path.getTotalLength(), box: path.getBoundingClientRect().toJSON() as DOMRect, stroke: path.getAttribute('stroke') }));
    expect(drawn.length).toBeGreaterThan(100);
    expect(drawn.box.width).toBeGreaterThan(100);
    expect(drawn.box.height).toBeGreaterThan(20);
    expect(drawn.stroke).toMatch(/^#[0-9a-f]{6}$/i);

    // Screenshots: the page (for a person to look at) and the chart, checked in its pixels.
    await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
    const chartPng = await page.locator('#rate-chart').screenshot();
    writeFileSync(join(shots, 'rate-chart.png'), chartPng);
    const chart = decodePng(chartPng);
    expect(chart.width).toBeGreaterThan(300);
    expect(chart.height).toBeGreaterThan(100);
    const ink = inkOf(chart, drawn.stroke!);
    // Not blank: grid, axis labels and lines cover a visible share, and the product's line is in its colour.
    expect(ink.inkShare).toBeGreaterThan(0.01);
    expect(ink.colourPixels).toBeGreaterThan(50);
    // For comparison, an empty SVG of the same size next to it renders blank.
    await page.locator('#rate-chart').evaluate((chartSvg: SVGSVGElement) => {
      const rect = chartSvg.getBoundingClientRect();
      const empty = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
      empty.id = 'blank-chart';
      empty.style.display = 'block';
      empty.style.width = `${rect.width}px`;
      empty.style.height = `${rect.height}px`;
      chartSvg.after(empty);
    });
    const blankPng = await page.locator('#blank-chart').screenshot();
    await page.locator('#blank-chart').evaluate((empty) => empty.remove());
    expect(inkOf(decodePng(blankPng), drawn.stroke!).inkShare).toBeLessThan(0.001);
    expect(chartPng.length).toBeGreaterThan(blankPng.length);

    // Live updates: the update stamp moves and a new request's effect appears, in the same document.
    const stampBefore = await page.locator('#last-updated').textContent();
    const requestsBefore = Number((await page.locator('#tile-requests').textContent())!.replace(/\D/g, ''));
    for (let i = 0; i < 5; i++) expect((await sys.gql('{ serviceStatus { name } }', { token })).status).toBe(200);
    await page.waitForFunction((before) => Number(document.querySelector('#tile-requests')!.textContent!.replace(/\D/g, '')) >= before + 5, requestsBefore, { timeout: 10_000 });
    expect(await page.locator('#last-updated').textContent()).not.toBe(stampBefore);
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: string }).__sameDocument)).toBe('yes');
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(1);
    console.log(`dashboard screenshots in ${shots}`);
  });
});
