/**
 * Issue 20: an auditor's journey through the staff console in headless Chromium, against the real
 * system. A product is certified, served a few times, suspended and refused thirty times (set up
 * through the API). The auditor filters the access log down to that product's refused requests,
 * pages through them (keyset, 25 a page) and back, opens a record's detail, exports the filtered
 * set as CSV (the gateway's POST /audit/export; the file's header, rows and the refused records
 * checked) and runs integrity verification (each chain clean; then, with one stored record
 * altered on disk, the chain and the place it was altered). The auditor cannot change the
 * register, in the page or through the API. No browser console errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { abnFromNumber } from '../../core/ids.js';
import { loadOperations } from '../../console/operations.js';
import { CSV_COLUMNS } from '../../gateway/access-log/export.js';
import { REQUIREMENTS } from '../../registry/model.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { consoleUrl, launchBrowser, openConsole, overflowsHorizontally, signInAs, type ConsolePage } from '../helpers/console-browser.js';
import { alterRecordField, DB_FILE, replaceRecordText } from '../integration/support/access-log-sqlite.js';

const operations = loadOperations();
const AUDITOR = 'console-auditor';
const REFUSED = 30;
const SERVED = 4;

let sys: TestSystem;
let browser: Browser;
let adminToken: string;
let auditorToken: string;
let productId: string;

const send = async (id: string, token: string, variables: Record<string, unknown>) => {
  const op = operations.get(id)!;
  const r = await sys.gql(op.document, { token, variables, operationName: op.name });
  if (codesOf(r).length) throw new Error(`${id}: ${JSON.stringify(r.body.errors)}`);
  return Object.values(r.body.data!)[0] as Record<string, any>;
};

/** RFC 4180 as the export writes it: quoted fields may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  if (field || row.length) throw new Error('CSV does not end with CRLF');
  return rows;
}

beforeAll(async () => {
  sys = await startTestSystem();
  browser = await launchBrowser();
  adminToken = await sys.token({ roles: ['ato:admin'], mfa: true, sub: 'setup-admin' });
  auditorToken = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'check-auditor' });
  // A product of its own, certified, served a few times, then suspended and refused.
  const reason = { reason: 'Auditor journey set-up' };
  let dev = await send('admin/RegisterDeveloper', adminToken, { input: { abn: abnFromNumber(5_550_001), legalName: 'Audited Software Pty Ltd', contact: { name: 'A', email: 'a@audited.example' }, roles: ['DEVELOPER'], declarationsAccepted: true, taxObligationsCurrent: true, ...reason } });
  dev = await send('admin/ApproveDeveloper', adminToken, { developerId: dev.id, expectedRevision: dev.revision, ...reason });
  let p = await send('admin/RegisterProduct', adminToken, { input: { developerId: dev.id, name: 'Audited Payroll', deploymentModel: 'CLOUD', dataHosting: ['AU'], minimumVersion: '1.0.0', ...reason } });
  p = await send('developer/SubmitSelfCertification', adminToken, { productId: p.id, expectedRevision: p.revision, assessments: REQUIREMENTS.map((requirement) => ({ requirement, outcome: 'MET', evidence: 'yes' })), ...reason });
  p = await send('admin/CertifyProduct', adminToken, { productId: p.id, expectedRevision: p.revision, tier: 'STANDARD', validFrom: new Date(Date.now() - 86_400_000).toISOString(), validUntil: new Date(Date.now() + 365 * 86_400_000).toISOString(), services: ['clients.read'], ...reason });
  productId = p.id;
  await sys.gateway.snapshot.refresh();
  const token = await sys.token({ product: productId, version: '1.0.0' });
  const readClient = operations.get('product/ReadClient')!;
  for (let i = 0; i < SERVED; i++) expect(codesOf(await sys.gql(readClient.document, { token, variables: { clientId: 'C-000002' } }))).toEqual([]);
  await send('admin/SuspendProduct', adminToken, { productId, expectedRevision: p.revision, ...reason });
  await sys.gateway.snapshot.refresh();
  for (let i = 0; i < REFUSED; i++) expect(codesOf(await sys.gql(readClient.document, { token, variables: { clientId: 'C-000002' } }))).toEqual(['PRODUCT_SUSPENDED']);
  // Other products' refusals, which the filter must leave out.
  const other = await sys.token({ product: 'PRD-SUSPENDED' });
  for (let i = 0; i < 3; i++) expect(codesOf(await sys.gql(readClient.document, { token: other, variables: { clientId: 'C-000002' } }))).toEqual(['PRODUCT_SUSPENDED']);
});
afterAll(async () => {
  await browser?.close();
  await sys?.close();
});

/** The ids of the product's refused records, newest first, through the API. */
async function refusedIds(): Promise<string[]> {
  const r = await send('auditor/AccessLog', auditorToken, { filter: { productId, decision: 'DENIED' }, first: 100 });
  return r.nodes.map((n: { id: string }) => n.id);
}

describe('staff console: an auditor', () => {
  let c: ConsolePage;
  afterEach(async () => {
    await c?.close();
  });

  it('filters the access log to a product\'s refused requests, pages, opens a record and exports the filtered set as CSV', async () => {
    c = await openConsole(browser, { acceptDownloads: true });
    const { page } = c;
    await signInAs(page, sys, 'auditor', AUDITOR);
    expect(await page.locator('nav.main a[aria-current=page]').textContent()).toBe('Access log');

    const filters = page.locator('form[aria-label="Filter the access log"]');
    await filters.locator('[name=productId]').fill(productId);
    await filters.locator('[name=decision]').selectOption('DENIED');
    await filters.locator('[name=first]').selectOption('25');
    await filters.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('#access-records tbody tr');
    await page.locator('#results-title', { hasText: 'page 1' }).waitFor();
    const expected = await refusedIds();
    expect(expected).toHaveLength(REFUSED);
    const idsOnPage = () => rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-record')));
    const page1 = await idsOnPage();
    expect(page1).toEqual(expected.slice(0, 25));
    for (const cells of await rows.evaluateAll((trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)))) {
      expect([cells[1], cells[2], cells[3], cells[4]]).toEqual(['DENIED', '403', 'PRODUCT_SUSPENDED', `${productId} 1.0.0`]);
    }
    expect(await overflowsHorizontally(page)).toBe(false);
    await c.screenshot('auditor-access-log');

    // Keyset paging: older, then newer again.
    await page.getByRole('button', { name: 'Older' }).click();
    await page.locator('#results-title', { hasText: 'page 2' }).waitFor();
    expect(await idsOnPage()).toEqual(expected.slice(25));
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Newer' }).click();
    await page.locator('#results-title', { hasText: 'page 1' }).waitFor();
    expect(await idsOnPage()).toEqual(page1);

    // A record's detail: its codes, what it attempted and where it sits in its chain.
    await page.getByRole('button', { name: `Details of ${expected[0]}` }).click();
    const detail = page.locator('#record-detail');
    await detail.waitFor();
    expect(await detail.locator('#record-title').textContent()).toBe(`Record ${expected[0]}`);
    // Opened below thirty rows, it takes the focus and so comes into view.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('record-title');
    expect(await detail.locator('#record-title').isVisible()).toBe(true);
    expect(await detail.locator('#record-title').evaluate((h) => { const box = h.getBoundingClientRect(); return box.top >= 0 && box.bottom <= innerHeight; })).toBe(true);
    const facts = Object.fromEntries(await detail.locator('dl.facts dt').evaluateAll((dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling?.textContent?.trim()])));
    const record = (await send('auditor/AccessLog', auditorToken, { filter: { productId, decision: 'DENIED' }, first: 1 })).nodes[0];
    expect([facts['Error codes'], facts['Coordinates'], facts['Subgraphs'], facts['Chain']]).toEqual(['PRODUCT_SUSPENDED', record.coordinates.join(', '), '–', `${record.chainId} #${record.seq} (instance ${record.instanceId})`]);
    expect(record.coordinates).toContain('Query.client');

    // Export the filtered set: the gateway's CSV, saved by the page.
    const downloading = page.waitForEvent('download');
    const asked = page.waitForRequest((r) => new URL(r.url()).pathname === '/audit/export');
    await page.getByRole('button', { name: 'Export CSV (all matching)' }).click();
    // The criteria go in a POST body, never the URL (which proxies log): a client id would be there.
    const request = await asked;
    expect([request.method(), new URL(request.url()).search, new URLSearchParams(request.postData() ?? '').get('productId')]).toEqual(['POST', '', productId]);
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^access-log-.*\.csv$/);
    const csv = parseCsv(readFileSync((await download.path())!, 'utf8'));
    expect(csv[0]).toEqual([...CSV_COLUMNS]);
    const col = (name: string) => CSV_COLUMNS.indexOf(name as (typeof CSV_COLUMNS)[number]);
    const body = csv.slice(1);
    expect(body).toHaveLength(REFUSED);
    expect(body.map((row) => row[col('id')])).toEqual(expected);
    for (const row of body) {
      expect([row[col('productId')], row[col('decision')], row[col('errorCodes')], row[col('httpStatus')], row[col('operationName')]]).toEqual([productId, 'DENIED', 'PRODUCT_SUSPENDED', '403', 'ReadClient']);
    }
    await page.locator('#export-status[data-count="30"]').waitFor();

    // The export is one access record under the auditor's name, like every page request.
    const mine = await send('auditor/AccessLog', auditorToken, { filter: { sub: AUDITOR }, first: 100 });
    const exports = mine.nodes.filter((n: { operationName: string }) => n.operationName === 'AccessLogExport');
    expect(exports.map((n: { decision: string; roles: string[] }) => [n.decision, n.roles])).toEqual([['ALLOWED', ['ato:auditor']]]);
    const byRequest = new Map(mine.nodes.map((n: { requestId: string }) => [n.requestId, n]));
    await c.settle();
    expect(c.exchanges.length).toBeGreaterThanOrEqual(3);
    for (const e of c.exchanges) expect(byRequest.get(e.requestId)).toMatchObject({ sub: AUDITOR, roles: ['ato:auditor'], operationName: e.operationName });
    await c.expectNoErrors();
  });

  it('cannot change the register: no actions in the page, and the API refuses them', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'auditor', AUDITOR);
    await page.goto(`${consoleUrl(sys)}#/product/${productId}`);
    const product = page.locator(`section[data-product="${productId}"]`);
    await product.waitFor();
    const revision = Number(await product.getAttribute('data-revision'));
    await page.locator('ol.timeline').waitFor();
    expect(await page.locator('section[aria-label="Admin actions"]').count()).toBe(0);
    expect(await page.locator('#self-certification-form, #try-title, button[data-open]').count()).toBe(0);
    await c.screenshot('auditor-product-read-only');
    // The page's own client, with the auditor's session, sends the admin's reinstatement: refused.
    const codes = await page.evaluate(async ({ id, rev }) => {
      const api = await import('/console/api.js' as string);
      const r = await api.run('admin/ReinstateProduct', { productId: id, expectedRevision: rev, reason: 'An auditor trying' });
      return [r.status, api.codesOf(r)];
    }, { id: productId, rev: revision });
    expect(codes).toEqual([403, ['ROLE_REQUIRED']]);
    // And through the API, with an auditor's token.
    const r = await sys.gql(operations.get('admin/ReinstateProduct')!.document, { token: auditorToken, variables: { productId, expectedRevision: revision, reason: 'An auditor trying' } });
    expect([r.status, codesOf(r)]).toEqual([403, ['ROLE_REQUIRED']]);
    await page.getByRole('button', { name: 'Reload' }).click();
    await page.locator(`section[data-product="${productId}"][data-revision="${revision}"] .badge`, { hasText: 'SUSPENDED' }).first().waitFor();
    await c.expectNoErrors(['/graphql 403']);
  });

  it('sends half a trusted ledger head as typed, which the gateway refuses, and shows no verdict (dropping the half would verify without the anchor)', async () => {
    for (const given of [{ hash: 'f'.repeat(64) }, { seq: '999999' }, { seq: '12x', hash: 'f'.repeat(64) }]) {
      c = await openConsole(browser);
      const { page } = c;
      await signInAs(page, sys, 'auditor', AUDITOR);
      await page.getByRole('link', { name: 'Verify integrity' }).click();
      if (given.seq) await page.locator('input[name=trustedLedgerSeq]').fill(given.seq);
      if (given.hash) await page.locator('input[name=trustedLedgerHash]').fill(given.hash);
      const sent = page.waitForRequest((r) => r.url().endsWith('/graphql') && (r.postData() ?? '').includes('"operationName":"VerifyAccessLogs"'));
      await page.getByRole('button', { name: 'Verify integrity' }).click();
      const variables = JSON.parse((await sent).postData()!).variables as Record<string, unknown>;
      expect(variables).toEqual({ ...(given.seq ? { trustedLedgerSeq: /^\d+$/.test(given.seq) ? Number(given.seq) : given.seq } : {}), ...(given.hash ? { trustedLedgerHash: given.hash } : {}) });
      await page.locator('[role=alert][data-code=BAD_USER_INPUT]').waitFor();
      expect(await page.locator('#verification').count()).toBe(0);
      await c.expectNoErrors(['/graphql 400']);
      await c.close();
    }
  });

  it('verifies the access log\'s integrity: each chain clean, then where a record was altered', async () => {
    c = await openConsole(browser);
    const { page } = c;
    await signInAs(page, sys, 'auditor', AUDITOR);
    await page.getByRole('link', { name: 'Verify integrity' }).click();
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    const verdict = page.locator('#verification');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-ok')).toBe('true');
    const api = await send('auditor/VerifyAccessLogs', auditorToken, {});
    const chains = await page.locator('#chains tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-chain'), tr.getAttribute('data-ok')]));
    expect(chains).toEqual(api.chains.map((ch: { chainId: string }) => [ch.chainId, 'true']));
    expect(chains.map(([id]) => id)).toContain(sys.gateway.chainId);
    await c.screenshot('auditor-integrity-clean');

    // Someone with disk access changes one refused record's product: verification says which chain and where.
    const victim = (await send('auditor/AccessLog', auditorToken, { filter: { productId, decision: 'DENIED' }, first: 1 })).nodes[0] as { chainId: string; seq: number };
    alterRecordField(join(sys.dataDir, DB_FILE), victim.chainId, victim.seq, 'productId', 'PRD-CERTIFIED');
    await page.getByRole('button', { name: 'Verify integrity' }).click();
    await page.locator('#verification[data-ok=false]').waitFor();
    const bad = page.locator(`#chains tr[data-chain="${victim.chainId}"]`);
    expect(await bad.getAttribute('data-ok')).toBe('false');
    const problems = await bad.locator('ul.problems li').allTextContents();
    expect(problems.some((p) => p.includes(`at seq ${victim.seq}`))).toBe(true);
    await c.screenshot('auditor-integrity-altered');

    // Its text replaced by something that is not a record at all: the access log page still
    // shows the rest, and lists that row apart with where it is and why.
    replaceRecordText(join(sys.dataDir, DB_FILE), victim.chainId, victim.seq, 'not json');
    await page.getByRole('link', { name: 'Access log' }).click();
    const filters = page.locator('form[aria-label="Filter the access log"]');
    await filters.locator('[name=productId]').fill(productId);
    await filters.locator('[name=decision]').selectOption('DENIED');
    await filters.getByRole('button', { name: 'Search' }).click();
    const unreadable = page.locator('#unreadable-rows');
    await unreadable.waitFor();
    expect(await unreadable.locator('li').allTextContents()).toEqual([`${victim.chainId} seq ${victim.seq}: the stored record text is not a JSON object`]);
    expect(await page.locator('#access-records tbody tr').count()).toBeGreaterThan(0);
    await c.expectNoErrors();
  });
});
