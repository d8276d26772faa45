/**
 * Issue 20: what the staff console's browser tests share. One headless Chromium per test file
 * (playwright-core driving Debian's /usr/bin/chromium, never a downloaded browser) at 1280×800,
 * pages that record every browser console error and uncaught page error (each test asserts there
 * were none), every /graphql exchange the page made (operation, token, HTTP status, request id:
 * to find each console action in the access log), screenshots into test-results/console (ignored
 * by git), and "sign in as" through the page.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import type { TestSystem } from './system.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Where screenshots go (test-results/ is in .gitignore). */
export const SHOTS = join(process.cwd(), 'test-results', 'console');
export const VIEWPORT = { width: 1280, height: 800 };

/** One request the page sent to /graphql and what came back. */
export interface GraphQLExchange {
  operationName: string | null;
  /** The bearer token the page sent (null when none). */
  token: string | null;
  status: number;
  requestId: string | null;
  codes: string[];
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Browser console errors and uncaught page errors, as text (HTTP refusals apart: see refusals). */
  errors: string[];
  /**
   * Chromium's own console line for every response with a 4xx/5xx status ("Failed to load
   * resource: the server responded with a status of 403"), as `path status`. The gateway answers
   * a refused GraphQL request with its code's status, so a refusal the page shows as intended
   * still logs this line; a test names the refusals it caused and any other one fails it.
   */
  refusals: string[];
  /** Every /graphql request the page made, in order. */
  exchanges: GraphQLExchange[];
  /** Every token the dev sign-in answered with. */
  sessionTokens: string[];
  /** Waits until every response seen so far has been read into `exchanges` (their bodies are read asynchronously). */
  settle(): Promise<void>;
  /** After settle(): fails the test when the page logged an error or threw, or a response failed other than the `expectedRefusals` (`path status`, any order). */
  expectNoErrors(expectedRefusals?: string[]): Promise<void>;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH. The console's browser tests need a real browser.`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export const consoleUrl = (sys: TestSystem): string => new URL('/console/', sys.gateway.url).toString();

/** A fresh browser context (a new profile: no storage, no session) and page, recording errors and /graphql exchanges. */
export async function openConsole(browser: Browser, options: { acceptDownloads?: boolean } = {}): Promise<ConsolePage> {
  mkdirSync(SHOTS, { recursive: true });
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: options.acceptDownloads ?? false });
  const page = await context.newPage();
  const errors: string[] = [];
  const refusals: string[] = [];
  const exchanges: GraphQLExchange[] = [];
  const sessionTokens: string[] = [];
  const pending = new Set<Promise<void>>();
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const status = /^Failed to load resource: the server responded with a status of (\d{3})\b/.exec(msg.text());
    if (status) refusals.push(`${new URL(msg.location().url).pathname} ${status[1]}`);
    else errors.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('response', (res) => {
    const reading = readExchange(res).finally(() => pending.delete(reading));
    pending.add(reading);
  });
  async function readExchange(res: Response): Promise<void> {
    const url = new URL(res.url());
    const req = res.request();
    try {
      if (url.pathname === '/graphql' && req.method() === 'POST') {
        const body = JSON.parse(req.postData() ?? '{}') as { operationName?: string };
        const auth = (await req.allHeaders()).authorization ?? null;
        let codes: string[] = [];
        try {
          codes = (((await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> }).errors ?? []).map((e) => String(e.extensions?.code));
        } catch {
          codes = ['(no JSON)'];
        }
        exchanges.push({ operationName: body.operationName ?? null, token: auth ? auth.replace(/^Bearer /, '') : null, status: res.status(), requestId: res.headers()['x-request-id'] ?? null, codes });
      } else if (url.pathname === '/console/dev/sign-in' && res.ok()) {
        sessionTokens.push(((await res.json()) as { token: string }).token);
      }
    } catch {
      // The page went away before the body was read: nothing to record.
    }
  }
  async function settle(): Promise<void> {
    while (pending.size) await Promise.all([...pending]);
    // One round trip to the page: console messages sent before it have arrived.
    if (!page.isClosed()) await page.evaluate(() => 0);
  }
  return {
    page,
    context,
    errors,
    refusals,
    exchanges,
    sessionTokens,
    settle,
    async expectNoErrors(expectedRefusals = []) {
      await settle();
      if (errors.length) throw new Error(`the console logged errors:\n${errors.join('\n')}`);
      const sorted = (xs: string[]) => [...xs].sort().join('\n');
      if (sorted(refusals) !== sorted(expectedRefusals)) throw new Error(`responses refused: ${JSON.stringify(refusals)}, expected ${JSON.stringify(expectedRefusals)}`);
    },
    async screenshot(name) {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    },
    close: () => context.close(),
  };
}

/** "Sign in as" a demo identity through the page (development only), under `name`; waits for the signed-in shell. */
export async function signInAs(page: Page, sys: TestSystem, as: 'admin' | 'auditor' | 'developer', name: string): Promise<void> {
  await page.goto(consoleUrl(sys));
  await page.locator('input[name=name]').fill(name);
  await page.locator(`button[data-as=${as}]`).click();
  await page.locator(`#who[data-sub="${name}"]`).waitFor();
}

/** Whether the page scrolls sideways at its viewport (it should not at 1280 px). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

/** Everything the page keeps in Web Storage, as one string (to search for a token in). */
export async function webStorageOf(page: Page): Promise<string> {
  return page.evaluate(() => {
    const dump = (s: Storage) => Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i)!)}`).join('\n');
    return `${dump(localStorage)}\n${dump(sessionStorage)}`;
  });
}
