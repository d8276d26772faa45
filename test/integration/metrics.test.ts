/**
 * Issue 7: `GET /metrics` scraped from a running gateway and parsed (Prometheus text format);
 * the counters move by exactly the requests made. With METRICS_BEARER set, a scrape without the
 * bearer is refused.
 */
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  status: number;
  contentType: string | null;
  types: Map<string, string>;
  samples: Sample[];
}

/** Label values are quoted with \\, \" and \n escaped. */
function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(text)) !== null) {
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    consumed = re.lastIndex;
  }
  if (consumed !== text.length) throw new Error(`bad label set: {${text}}`);
  return labels;
}

/** A tiny parser for the text exposition format: `# TYPE name type` and `name{labels} value [timestamp]` lines. */
function parsePrometheus(text: string): Pick<Scrape, 'types' | 'samples'> {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const t = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (t) types.set(t[1]!, t[2]!);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$/.exec(line);
    if (!m) throw new Error(`unparsable metrics line: ${line}`);
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any case (prom-client writes `Nan`).
    const raw = m[3]!.toLowerCase();
    const value = raw === '+inf' || raw === 'inf' ? Infinity : raw === '-inf' ? -Infinity : raw === 'nan' ? NaN : Number(raw);
    if (Number.isNaN(value) && raw !== 'nan') throw new Error(`bad value in: ${line}`);
    samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? ''), value });
  }
  return { types, samples };
}

/** The sample with exactly these labels (0 when the series does not exist yet). */
function valueOf(scrape: Pick<Scrape, 'samples'>, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels);
  const found = scrape.samples.filter((s) => s.name === name && Object.keys(s.labels).length === want.length && want.every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

const sumOf = (scrape: Pick<Scrape, 'samples'>, name: string): number => scrape.samples.filter((s) => s.name === name).reduce((a, s) => a + s.value, 0);

async function scrape(sys: TestSystem, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(new URL('/metrics', sys.gateway.url), { headers });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, contentType: res.headers.get('content-type'), types: new Map(), samples: [] };
  return { status: res.status, contentType: res.headers.get('content-type'), ...parsePrometheus(text) };
}

const CLIENT_QUERY = 'query ($id: ID!) { client(clientId: $id) { id name } }';
const BIG_TIER = { points: 100_000, duration: 1, burst: 0, burstDuration: 1, perOrgShare: 1 };

describe('GET /metrics', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({
      // Unauthenticated requests get 5 per 30 s per source IP, so a few bad tokens reach RATE_LIMITED.
      rateLimits: { tiers: { demo: BIG_TIER, standard: BIG_TIER, high: BIG_TIER }, anonymous: { points: 5, duration: 30 } },
    });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('serves the Prometheus text format with the documented metrics and types', async () => {
    const s = await scrape(sys);
    expect(s.status).toBe(200);
    expect(s.contentType).toMatch(/^text\/plain/);
    expect(Object.fromEntries(['dsp_requests_total', 'dsp_request_duration_seconds', 'dsp_access_log_commit_seconds', 'dsp_access_log_buffer_depth', 'dsp_registry_snapshot_age_seconds', 'dsp_rate_limit_refusals_total', 'dsp_alerts_open'].map((n) => [n, s.types.get(n)]))).toEqual({
      dsp_requests_total: 'counter',
      dsp_request_duration_seconds: 'histogram',
      dsp_access_log_commit_seconds: 'histogram',
      dsp_access_log_buffer_depth: 'gauge',
      dsp_registry_snapshot_age_seconds: 'gauge',
      dsp_rate_limit_refusals_total: 'counter',
      dsp_alerts_open: 'gauge',
    });
    // Node process metrics come along.
    expect(s.samples.some((x) => x.name.startsWith('process_') || x.name.startsWith('nodejs_'))).toBe(true);
    // The registry snapshot is polled every 50 ms in tests: it is fresh.
    expect(valueOf(s, 'dsp_registry_snapshot_age_seconds')).toBeLessThan(5);
    expect(valueOf(s, 'dsp_alerts_open')).toBe(0);
    // A scrape is not a GraphQL request: it is neither logged nor counted.
    const again = await scrape(sys);
    expect(sumOf(again, 'dsp_requests_total')).toBe(sumOf(s, 'dsp_requests_total'));
  });

  it('moves the counters by exactly the requests made: served, refused by code, rate limited, latency and commits', async () => {
    const before = await scrape(sys);
    const served = { product: 'PRD-CERTIFIED', decision: 'ALLOWED', code: 'none' };
    const notAuthorised = { product: 'PRD-CERTIFIED', decision: 'DENIED', code: 'CLIENT_NOT_AUTHORISED' };

    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const SERVED = 7;
    // C-000004 … C-000010: the practice's own, ordinary clients (C-000003 is a special interest one).
    for (let i = 4; i < 4 + SERVED; i++) {
      const r = await sys.gql(CLIENT_QUERY, { token, variables: { id: `C-${String(i).padStart(6, '0')}` } });
      expect([r.status, codesOf(r)]).toEqual([200, []]);
    }
    for (const id of ['C-000051', 'C-000052', 'C-000099']) expect(codesOf(await sys.gql(CLIENT_QUERY, { token, variables: { id } }))).toEqual(['CLIENT_NOT_AUTHORISED']);
    const suspended = await sys.gql(CLIENT_QUERY, { token: await sys.token({ product: 'PRD-SUSPENDED' }), variables: { id: 'C-000001' } });
    expect(codesOf(suspended)).toEqual(['PRODUCT_SUSPENDED']);
    const unregistered = await sys.gql(CLIENT_QUERY, { token: await sys.token({ product: 'PRD-NO-SUCH' }), variables: { id: 'C-000001' } });
    expect(codesOf(unregistered)).toEqual(['PRODUCT_NOT_REGISTERED']);
    // Bad tokens from one source: refused UNAUTHENTICATED while the source's anonymous quota (5 per
    // 30 s) lasts, then RATE_LIMITED. (Refused product tokens may count on it as well, so the split
    // is read from the answers; the counters must match it exactly.)
    const bad: string[] = [];
    for (let i = 0; i < 8; i++) bad.push(codesOf(await sys.gql(CLIENT_QUERY, { token: 'not-a-jwt', variables: { id: 'C-000001' } }))[0]!);
    const unauthenticated = bad.filter((c) => c === 'UNAUTHENTICATED').length;
    const rateLimited = bad.filter((c) => c === 'RATE_LIMITED').length;
    expect(unauthenticated + rateLimited).toBe(8);
    expect(unauthenticated).toBeGreaterThanOrEqual(1);
    expect(rateLimited).toBeGreaterThanOrEqual(3);

    const after = await scrape(sys);
    const delta = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('dsp_requests_total', served)).toBe(SERVED);
    expect(delta('dsp_requests_total', notAuthorised)).toBe(3);
    expect(delta('dsp_requests_total', { product: 'PRD-SUSPENDED', decision: 'DENIED', code: 'PRODUCT_SUSPENDED' })).toBe(1);
    // An id the register does not know is not a label value of its own (labels stay bounded).
    expect(delta('dsp_requests_total', { product: 'unknown', decision: 'DENIED', code: 'PRODUCT_NOT_REGISTERED' })).toBe(1);
    expect(after.samples.some((x) => x.labels.product === 'PRD-NO-SUCH')).toBe(false);
    expect(delta('dsp_requests_total', { product: 'none', decision: 'DENIED', code: 'UNAUTHENTICATED' })).toBe(unauthenticated);
    expect(delta('dsp_requests_total', { product: 'none', decision: 'DENIED', code: 'RATE_LIMITED' })).toBe(rateLimited);
    expect(delta('dsp_rate_limit_refusals_total', { scope: 'anonymous' })).toBe(rateLimited);
    expect(delta('dsp_rate_limit_refusals_total', { scope: 'product' })).toBe(0);
    expect(sumOf(after, 'dsp_requests_total') - sumOf(before, 'dsp_requests_total')).toBe(SERVED + 3 + 1 + 1 + 8);

    // Latency histogram: one observation per request, by decision; cumulative buckets end at the count.
    expect(delta('dsp_request_duration_seconds_count', { decision: 'ALLOWED' })).toBe(SERVED);
    expect(delta('dsp_request_duration_seconds_count', { decision: 'DENIED' })).toBe(3 + 1 + 1 + 8);
    expect(delta('dsp_request_duration_seconds_sum', { decision: 'ALLOWED' })).toBeGreaterThan(0);
    const buckets = after.samples.filter((x) => x.name === 'dsp_request_duration_seconds_bucket' && x.labels.decision === 'ALLOWED');
    expect(buckets.length).toBeGreaterThan(5);
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(buckets.at(-1)!.labels.le).toBe('+Inf');
    expect(buckets.at(-1)!.value).toBe(valueOf(after, 'dsp_request_duration_seconds_count', { decision: 'ALLOWED' }));
    // Every request was committed to the access log in some batch.
    expect(delta('dsp_access_log_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(delta('dsp_access_log_commit_seconds_count')).toBeLessThanOrEqual(SERVED + 13);

    // What is counted is exactly what was logged.
    const logged = await sys.store.readChain(sys.gateway.chainId, 1, Number.MAX_SAFE_INTEGER);
    expect(sumOf(after, 'dsp_requests_total')).toBe(logged.length);
  });
});

describe('GET /metrics with METRICS_BEARER', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ monitoring: { metricsBearer: 's3cret' } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('refuses a scrape without the bearer, or with the wrong one, and serves it with the right one', async () => {
    expect((await scrape(sys)).status).toBe(401);
    expect((await scrape(sys, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await scrape(sys, { authorization: 's3cret' })).status).toBe(401);
    // A gateway token is not the scrape secret.
    expect((await scrape(sys, { authorization: `Bearer ${await sys.token({ roles: ['ato:admin'], mfa: true })}` })).status).toBe(401);
    const ok = await scrape(sys, { authorization: 'Bearer s3cret' });
    expect(ok.status).toBe(200);
    expect(ok.types.get('dsp_requests_total')).toBe('counter');
  });
});
