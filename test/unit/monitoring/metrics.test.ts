import { createServer, type Server } from 'node:http';
import { createMetrics } from '../../../monitoring/metrics.js';
import { createMetricsEndpoint } from '../../../monitoring/metrics-endpoint.js';
import { closeServer, listen } from '../../../core/http.js';
import { record } from './fixtures.js';

/** Sample lines of the exposition text: `name{labels} value`, comments skipped. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('metrics', () => {
  test('the exposition text names every metric and parses', async () => {
    const m = createMetrics();
    const text = await m.metricsText();
    for (const name of ['dsp_requests_total', 'dsp_request_duration_seconds', 'dsp_access_log_buffer_depth', 'dsp_access_log_commit_seconds', 'dsp_registry_snapshot_age_seconds', 'dsp_rate_limit_refusals_total', 'dsp_alerts_open', 'process_cpu_user_seconds_total']) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    // Every sample value is a float as Prometheus reads it (Go's ParseFloat also takes NaN and ±Inf in any case).
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? ([-+]?(\d+(\.\d+)?([eE][-+]?\d+)?|inf|nan))$/i);
    }
    expect(m.contentType).toMatch(/^text\/plain/);
  });

  test('request counters and latency histograms move with logged requests', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observeRequest(record({ latencyMs: 3 }));
    m.observeRequest(record({ latencyMs: 3 }));
    m.observeRequest(record({ decision: 'DENIED', errorCodes: ['PRODUCT_SUSPENDED'], httpStatus: 403, latencyMs: 1 }));
    const s = samples(await m.metricsText());
    expect(s.get('dsp_requests_total{product="PRD-A",decision="ALLOWED",code="none"}')).toBe(2);
    expect(s.get('dsp_requests_total{product="PRD-A",decision="DENIED",code="PRODUCT_SUSPENDED"}')).toBe(1);
    expect(s.get('dsp_request_duration_seconds_count{decision="ALLOWED"}')).toBe(2);
    expect(s.get('dsp_request_duration_seconds_bucket{le="0.0025",decision="ALLOWED"}')).toBe(0);
    expect(s.get('dsp_request_duration_seconds_bucket{le="0.005",decision="ALLOWED"}')).toBe(2);
  });

  test('labels stay bounded: unknown products, missing products and foreign codes', async () => {
    const m = createMetrics({ defaultMetrics: false, knownProduct: (id) => id === 'PRD-A', maxProductLabels: 1 });
    m.observeRequest(record({ productId: 'PRD-FORGED-1' }));
    m.observeRequest(record({ productId: null, decision: 'DENIED', errorCodes: ['UNAUTHENTICATED'] }));
    m.observeRequest(record({ decision: 'DENIED', errorCodes: ['SOMETHING_ELSE'] }));
    const s = samples(await m.metricsText());
    expect(s.get('dsp_requests_total{product="unknown",decision="ALLOWED",code="none"}')).toBe(1);
    expect(s.get('dsp_requests_total{product="none",decision="DENIED",code="UNAUTHENTICATED"}')).toBe(1);
    expect(s.get('dsp_requests_total{product="PRD-A",decision="DENIED",code="OTHER"}')).toBe(1);
  });

  test('rate-limit refusals, commit latency and gauge sources', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observeBatch([record({ decision: 'DENIED', errorCodes: ['RATE_LIMITED'], httpStatus: 429 }), record({ productId: null, roles: ['ato:admin'], decision: 'DENIED', errorCodes: ['RATE_LIMITED'], httpStatus: 429 })], 4);
    m.setSources({ bufferDepth: () => 7, snapshotAgeSeconds: () => 0.25, alertsOpen: () => 3 });
    const s = samples(await m.metricsText());
    expect(s.get('dsp_rate_limit_refusals_total{scope="product"}')).toBe(1);
    expect(s.get('dsp_rate_limit_refusals_total{scope="staff"}')).toBe(1);
    expect(s.get('dsp_access_log_commit_seconds_count')).toBe(1);
    expect(s.get('dsp_access_log_commit_seconds_bucket{le="0.005"}')).toBe(1);
    expect(s.get('dsp_access_log_buffer_depth')).toBe(7);
    expect(s.get('dsp_registry_snapshot_age_seconds')).toBe(0.25);
    expect(s.get('dsp_alerts_open')).toBe(3);
  });

  test('each instance has its own registry', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.observeRequest(record());
    expect(samples(await b.metricsText()).get('dsp_requests_total{product="PRD-A",decision="ALLOWED",code="none"}')).toBeUndefined();
  });
});

describe('metrics endpoint', () => {
  let server: Server;
  let base: string;
  const metrics = createMetrics({ defaultMetrics: false });
  beforeAll(async () => {
    const endpoint = createMetricsEndpoint({ metrics, bearer: 'scrape-secret' });
    server = createServer((req, res) => {
      void endpoint.handle(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await closeServer(server);
  });

  test('refuses a scrape without the bearer secret', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  test('serves the exposition text to the scraper, and counters move between scrapes', async () => {
    const scrape = async () => {
      const res = await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      return samples(await res.text());
    };
    const before = (await scrape()).get('dsp_requests_total{product="PRD-A",decision="ALLOWED",code="none"}') ?? 0;
    metrics.observeRequest(record());
    expect((await scrape()).get('dsp_requests_total{product="PRD-A",decision="ALLOWED",code="none"}')).toBe(before + 1);
  });

  test('leaves other paths alone', async () => {
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });
});
