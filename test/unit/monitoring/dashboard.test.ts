import { createServer, type Server } from 'node:http';
import { closeServer, listen } from '../../../core/http.js';
import { createDashboard, type DashboardData } from '../../../monitoring/dashboard/index.js';
import type { Detector } from '../../../monitoring/detectors/types.js';
import { createMonitor } from '../../../monitoring/monitor.js';
import type { Developer, Product } from '../../../registry/model.js';
import { createStore } from '../../../store/index.js';
import type { Store } from '../../../store/port.js';
import { developer, NOW, product } from '../../helpers/registry.js';
import { record } from './fixtures.js';

const HOUR = 3_600_000;
let store: Store;
let server: Server;
let base: string;
let monitor: ReturnType<typeof createMonitor>;
const clock = { now: NOW };

const developers = new Map<string, Developer>([['DEV-T', developer()]]);
const products: Product[] = [product({ id: 'PRD-OK' }), product({ id: 'PRD-SUSP', status: 'SUSPENDED', suspension: { reason: 'x', since: new Date(NOW - HOUR).toISOString(), until: null, actor: 'monitoring', resumeStatus: 'CERTIFIED' } })];

/** Raises one HIGH alert on PRD-OK for the first record it sees. */
const highOnce: Detector = {
  name: 'volume',
  observe: (r) => (r.productId === 'PRD-OK' ? [{ detector: 'volume', risk: 'HIGH', key: 'product:PRD-OK', productId: 'PRD-OK', developerId: 'DEV-T', observed: 500, baseline: 20, message: 'spike', evidence: [r.id] }] : []),
  trackedKeys: () => 1,
};

beforeAll(async () => {
  store = await createStore('sqlite::memory:');
  monitor = createMonitor({ store, config: { protectiveSuspension: 'off', detectors: {} }, now: () => clock.now, detectors: [highOnce], sweepIntervalMs: 0 });
  monitor.observe([record({ productId: 'PRD-OK' }), record({ productId: 'PRD-OK' }), record({ productId: 'PRD-SUSP', decision: 'DENIED', errorCodes: ['PRODUCT_SUSPENDED'], httpStatus: 403 })]);
  await monitor.flush();
  const dashboard = createDashboard({
    monitor,
    store,
    registry: { products: () => products, developer: (id) => developers.get(id) },
    // The gateway's staff read (gateway/http/staff-read.ts, tested there) stood in for by a header check.
    serveData: async (req, res, read, headers) => {
      const ok = req.headersDistinct.authorization?.length === 1 && req.headersDistinct.authorization[0] === 'Bearer staff-ok';
      res.writeHead(ok ? 200 : 401, { ...headers, ...(ok ? {} : { 'www-authenticate': 'Bearer' }) });
      res.end(ok ? JSON.stringify(await read()) : JSON.stringify({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] }));
    },
    now: () => clock.now,
  });
  server = createServer((req, res) => {
    void dashboard.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(418).end();
    });
  });
  base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
});
afterAll(async () => {
  await closeServer(server);
  await monitor.close();
  await store.close();
});

describe('dashboard page', () => {
  test('serves the page with the elements the browser test uses, and no data in it', async () => {
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    for (const id of ['rate-chart', 'alerts', 'last-updated', 'token-form', 'token', 'incidents', 'products', 'denials']) expect(html).toContain(`id="${id}"`);
    expect(html).not.toContain('PRD-OK');
    expect(html).not.toMatch(/https?:\/\//);
  });

  test('serves its script and style locally', async () => {
    const js = await fetch(`${base}/dashboard/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    expect(await js.text()).toContain('/dashboard/data');
    const css = await fetch(`${base}/dashboard/app.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  test('answers 404 for unknown dashboard paths and leaves other paths alone', async () => {
    expect((await fetch(`${base}/dashboard/nope`)).status).toBe(404);
    expect((await fetch(`${base}/graphql`)).status).toBe(418);
    expect((await fetch(`${base}/dashboardx`)).status).toBe(418);
  });
});

describe('dashboard data', () => {
  test('refuses a request without a staff token, or with a refused one', async () => {
    const none = await fetch(`${base}/dashboard/data`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await none.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect((await fetch(`${base}/dashboard/data`, { headers: { authorization: 'Bearer not-staff' } })).status).toBe(401);
  });

  test('gives rates, refusals, alerts, incidents and product status to staff', async () => {
    const res = await fetch(`${base}/dashboard/data`, { headers: { authorization: 'Bearer staff-ok' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const data = (await res.json()) as DashboardData;
    expect(data.generatedAt).toBe(new Date(NOW).toISOString());
    expect(data.rates.bucketStarts).toHaveLength(60);
    expect(data.rates.totals.at(-1)).toBe(3);
    expect(data.rates.series.find((s) => s.productId === 'PRD-OK')!.counts.at(-1)).toBe(2);
    expect(data.denialsByCode).toEqual([{ code: 'PRODUCT_SUSPENDED', count: 1 }]);

    expect(data.alerts).toHaveLength(1);
    const alert = data.alerts[0]!;
    expect(alert).toMatchObject({ detector: 'volume', risk: 'HIGH', key: 'product:PRD-OK', observed: 500, evidenceCount: 2 });
    expect(alert.incidentId).not.toBeNull();

    expect(data.incidents).toHaveLength(1);
    expect(data.incidents[0]).toMatchObject({ id: alert.incidentId, risk: 'HIGH', status: 'OPEN', source: 'DETECTOR', dueSoon: false, overdue: false, productIds: ['PRD-OK'] });
    expect(Date.parse(data.incidents[0]!.notifyBy)).toBe(NOW + 24 * HOUR);

    expect(data.products).toEqual([
      expect.objectContaining({ id: 'PRD-OK', served: true, blockedBy: null, effectiveStatus: 'CERTIFIED' }),
      expect.objectContaining({ id: 'PRD-SUSP', served: false, blockedBy: 'PRODUCT_SUSPENDED', effectiveStatus: 'SUSPENDED' }),
    ]);
    expect(data.summary).toMatchObject({ requestsLastHour: 3, alertsOpen: 1, alertsHigh: 1, incidentsOpen: 1, incidentsDueSoon: 0, productsBlocked: 1, products: 2 });
    expect(data.degraded).toEqual([]);
  });

  test('flags an incident close to its deadline as due soon', async () => {
    clock.now = NOW + 21 * HOUR;
    try {
      const data = (await (await fetch(`${base}/dashboard/data`, { headers: { authorization: 'Bearer staff-ok' } })).json()) as DashboardData;
      expect(data.incidents[0]).toMatchObject({ dueSoon: true, overdue: false });
      expect(data.summary.incidentsDueSoon).toBe(1);
    } finally {
      clock.now = NOW;
    }
  });
});
