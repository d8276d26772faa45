/**
 * Issue 20: who may open the staff console and how long a session lasts, in headless Chromium
 * against the real system. A product token opens no console data (the sign-in refuses it, and
 * the console's own client sending every staff operation with it is refused by the gateway, as
 * the API refuses it); a staff token without MFA is refused likewise; the session's token lives in
 * the page's memory only (never in Web Storage or a cookie, also after the GraphiQL explorer ran),
 * so a reload, a new tab or signing out ends it; and it ends at the token's expiry, by the page's
 * clock (installed by the test, fast-forwarded: no waiting) or when the gateway says it expired.
 * No browser console errors.
 */
import type { Browser } from 'playwright-core';
import { loadOperations } from '../../console/operations.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { consoleUrl, launchBrowser, openConsole, overflowsHorizontally, signInAs, webStorageOf, type ConsolePage } from '../helpers/console-browser.js';

const operations = loadOperations();
/** The staff operations: every documented operation a product may not run. */
const staffOperations = [...operations.values()].filter((o) => !o.users.includes('product'));

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

/** Sends every staff operation from the page with `token` through the console's own client; answers [id, status, codes] each. */
async function sendAllFromPage(c: ConsolePage, token: string): Promise<Array<[string, number, string[]]>> {
  return c.page.evaluate(
    async ({ ops, t }) => {
      const api = await import('/console/api.js' as string);
      const out: Array<[string, number, string[]]> = [];
      for (const o of ops) {
        const r = await api.post(o.document, o.name, o.exampleVariables, t);
        out.push([o.id, r.status, api.codesOf(r)]);
      }
      return out;
    },
    { ops: staffOperations.map((o) => ({ id: o.id, name: o.name, document: o.document, exampleVariables: o.exampleVariables })), t: token },
  );
}

async function pasteToken(c: ConsolePage, token: string): Promise<void> {
  await c.page.goto(consoleUrl(sys));
  await c.page.locator('#token').fill(token);
  await c.page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('staff console: who may sign in, and for how long', () => {
  let c: ConsolePage;
  afterEach(async () => {
    await c?.close();
  });

  it('a product token opens no console data: refused at sign-in, by the gateway for every staff operation, and for a product token of its own', async () => {
    c = await openConsole(browser);
    const productToken = await sys.token({ product: 'PRD-CERTIFIED' });
    await pasteToken(c, productToken);
    await c.page.locator('#sign-in-error').waitFor();
    expect(await c.page.locator('#sign-in-error').textContent()).toContain('product token');
    expect(await c.page.locator('#who').count()).toBe(0);
    expect(await overflowsHorizontally(c.page)).toBe(false);
    await c.screenshot('session-product-token');

    // The sign-in's check is a courtesy; the gateway decides. The console's client with the product token: every staff operation refused whole.
    const answers = await sendAllFromPage(c, productToken);
    expect(answers.length).toBeGreaterThan(25);
    for (const [id, status, codes] of answers) expect([id, status, codes]).toEqual([id, 403, ['ROLE_REQUIRED']]);
    // The development helper mints product tokens for admins only.
    const minted = await c.page.evaluate(async (t) => {
      const res = await fetch('/console/dev/product-token', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t}` }, body: JSON.stringify({ productId: 'PRD-CERTIFIED' }) });
      return [res.status, ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code];
    }, productToken);
    expect(minted).toEqual([403, 'ROLE_REQUIRED']);
    // Through the API: the same.
    const r = await sys.gql(operations.get('register/Products')!.document, { token: productToken });
    expect([r.status, codesOf(r)]).toEqual([403, ['ROLE_REQUIRED']]);
    await c.expectNoErrors([...answers.map(() => '/graphql 403'), '/console/dev/product-token 403']);
  });

  it('MFA is required, as for the API', async () => {
    c = await openConsole(browser);
    const noMfa = await sys.token({ roles: ['ato:admin'], sub: 'no-mfa-admin' });
    await pasteToken(c, noMfa);
    await c.page.locator('#sign-in-error', { hasText: 'MFA required' }).waitFor();
    await c.screenshot('session-no-mfa');
    expect(await c.page.locator('#who').count()).toBe(0);
    const answers = await sendAllFromPage(c, noMfa);
    // Every operation is refused; every one an admin may run, for want of MFA (others may lack the role first).
    for (const [id, status, codes] of answers) {
      expect([id, status, codes.length]).toEqual([id, 403, 1]);
      expect([id, operations.get(id)!.users.includes('admin') ? ['MFA_REQUIRED'] : ['MFA_REQUIRED', 'ROLE_REQUIRED']]).toEqual([id, expect.arrayContaining(codes)]);
    }
    expect(answers.filter(([, , codes]) => codes[0] === 'MFA_REQUIRED').length).toBeGreaterThan(20);
    const r = await sys.gql(operations.get('register/Products')!.document, { token: noMfa });
    expect([r.status, codesOf(r)]).toEqual([403, ['MFA_REQUIRED']]);
    await c.expectNoErrors(answers.map(() => '/graphql 403'));
  });

  it('keeps the token in memory only: nothing in Web Storage or cookies, also after the explorer ran; a reload, a new tab and signing out end the session', async () => {
    c = await openConsole(browser);
    const { page } = c;
    const token = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'pasted-admin' });
    await pasteToken(c, token);
    await page.locator('#who[data-sub=pasted-admin]').waitFor();
    await page.locator('#products tbody tr').first().waitFor();
    // The explorer (GraphiQL) runs a query with the session's token.
    await page.getByRole('link', { name: 'API explorer' }).click();
    await page.locator('#explorer-root .graphiql-container').waitFor();
    await page.locator('#example').selectOption('register/Developers');
    await page.locator('#explorer-root .graphiql-execute-button').click();
    await page.locator('#explorer-root .result-window', { hasText: 'DEV-GOOD' }).waitFor();
    await c.settle();
    expect(c.exchanges.filter((e) => e.operationName === 'Developers' && e.token === token && e.status === 200).length).toBeGreaterThanOrEqual(1);
    await c.screenshot('session-explorer');
    const storage = await webStorageOf(page);
    expect(storage).not.toContain(token);
    expect(storage).not.toContain(token.split('.')[2]);
    expect(await c.context.cookies()).toEqual([]);

    // A new tab of the same browser has no session.
    const other = await c.context.newPage();
    await other.goto(consoleUrl(sys));
    await other.locator('#token').waitFor();
    expect(await other.locator('#who').count()).toBe(0);
    await other.close();
    // A reload ends it.
    await page.reload();
    await page.locator('#token').waitFor();
    expect(await page.locator('#who').count()).toBe(0);
    // Signing out ends it.
    await signInAs(page, sys, 'admin', 'leaving-admin');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('.notice.conflict', { hasText: 'Signed out.' }).waitFor();
    expect(await page.locator('#who').count()).toBe(0);
    await c.expectNoErrors();
  });

  it('asks for the token in no password field, which a browser would offer to save (and sync); Enter signs in', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await page.goto(consoleUrl(sys));
    await page.locator('#token').waitFor();
    expect([await page.locator('input[type=password]').count(), await page.locator('#token').evaluate((el) => el.tagName)]).toEqual([0, 'TEXTAREA']);
    // Pasted as a terminal or mail client wraps it: a textarea keeps the line breaks, which are no part of a JWT.
    const token = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'enter-admin' });
    await page.locator('#token').fill(token.replace(/(.{64})/g, '$1\n'));
    await page.locator('#token').press('Enter');
    await page.locator('#who').waitFor();
    expect(await page.locator('#token').count()).toBe(0);
    await page.locator('#products tbody tr').first().waitFor();
    // The responses' bodies are read asynchronously: wait until every exchange so far is recorded.
    await c.settle();
    expect(c.exchanges.map((e) => e.token)).toContain(token);
    expect(c.exchanges.every((e) => e.token === token && e.status === 200)).toBe(true);
    await c.expectNoErrors();
  });

  it('a link whose route holds a malformed escape opens no page and leaves the console working (a link can come from anyone)', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'admin', 'route-admin');
    await page.goto(`${consoleUrl(sys)}#/product/%E0%A4%A`);
    await page.locator('main h2', { hasText: 'Not available' }).waitFor();
    await page.getByRole('link', { name: 'Register' }).click();
    await page.locator('#products').waitFor();
    await c.expectNoErrors();
  });

  it('ends the session when the token expires, by the page\'s clock and when the gateway says so', async () => {
    c = await openConsole(browser);
    const { page } = c;
    // The page's clock is the test's: installed before the page loads, moved without waiting.
    await page.clock.install();
    await signInAs(page, sys, 'admin', 'expiring-admin');
    await page.locator('#products tbody tr').first().waitFor();
    await page.clock.fastForward(3600 * 1000 + 1000);
    await page.locator('.notice.conflict', { hasText: 'Your session expired' }).waitFor();
    expect(await page.locator('#who').count()).toBe(0);
    await c.screenshot('session-expired');
    await c.expectNoErrors();
    await c.close();

    // A token the page believes current (its clock is behind) but the gateway finds expired: the first refusal ends the session.
    c = await openConsole(browser);
    const issued = Date.now() - 2 * 3600_000;
    await c.page.clock.install({ time: issued + 60_000 });
    const expired = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'stale-admin', now: issued, ttlS: 3600 });
    // The register page's two queries go out at once; both come back refused (the first ends the session).
    const graphql = (op: string) => c.page.waitForResponse((res) => res.url().endsWith('/graphql') && (res.request().postData() ?? '').includes(`"operationName":"${op}"`));
    const answered = Promise.all([graphql('Products'), graphql('Developers')]);
    await pasteToken(c, expired);
    await c.page.locator('.notice.conflict', { hasText: 'Your session expired' }).waitFor();
    await answered;
    await c.settle();
    expect(await c.page.locator('#who').count()).toBe(0);
    const refused = c.exchanges.filter((e) => e.token === expired);
    expect(refused.map((e) => e.operationName).sort()).toEqual(['Developers', 'Products']);
    for (const e of refused) expect([e.status, e.codes]).toEqual([401, ['TOKEN_EXPIRED']]);
    await c.screenshot('session-expired-at-gateway');
    await c.expectNoErrors(refused.map(() => '/graphql 401'));
  });
});
