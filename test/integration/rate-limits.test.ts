/**
 * Issue 6: rate limits through real HTTP, real gateway, subgraphs and the SQLite store's limiter.
 * Small tiers are configured per suite (tiers replace the default map; every demo product uses
 * tier 'demo'), so a handful of requests spends a quota.
 */
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';
import { rateHeadersOf, recordsWithCode } from './support/rate-limit-expect.js';

/**
 * The system's clock, which the tests move instead of waiting for a window to reopen: the gateway
 * and the SQLite store's counters (on its write thread) read it.
 */
function movableClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms) };
}

/** @public and cheap: only the rate limit decides whether it is served. */
const STATUS_QUERY = '{ serviceStatus { name } }';
const CLIENT_QUERY = '{ client(clientId: "C-000001") { id name } }';
const OTHER_ORG = '51824753556';
const COMPANY_ORG = '98765432122';

const isRefusal = (r: GraphQLResult): boolean => r.status === 429;

function expectRateLimited(r: GraphQLResult, scope: string, limit: number, windowS: number): void {
  expect(r.status).toBe(429);
  expect(codesOf(r)).toEqual(['RATE_LIMITED']);
  expect(r.body.data ?? null).toBeNull();
  expect(r.body.errors![0]!.extensions!.scope).toBe(scope);
  const h = rateHeadersOf(r);
  expect(h.retryAfter).toBeGreaterThanOrEqual(1);
  expect(h.retryAfter).toBeLessThanOrEqual(windowS);
  expect(h.limit).toBe(limit);
  expect(h.remaining).toBe(0);
  expect(h.reset).toBeGreaterThanOrEqual(0);
  expect(h.reset).toBeLessThanOrEqual(windowS);
}

function expectServed(r: GraphQLResult): void {
  expect(r.status).toBe(200);
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data!.serviceStatus.name).toEqual(expect.any(String));
}

describe('rate limits: per product, burst, recovery', () => {
  // A 3 s window: long enough that a burst and the checks right after it land in one window on a
  // busy machine, short enough to wait for recovery.
  const WINDOW_S = 3;
  const POINTS = 5;
  let sys: TestSystem;
  const clock = movableClock();
  let refusalsSent = 0;
  const send = async (token: string, query = STATUS_QUERY): Promise<GraphQLResult> => {
    const r = await sys.gql(query, { token });
    if (isRefusal(r)) refusalsSent++;
    return r;
  };

  beforeAll(async () => {
    sys = await startTestSystem({ rateLimits: { tiers: { demo: { points: POINTS, duration: WINDOW_S, burst: 0, burstDuration: 1, perOrgShare: 1 } } } }, { now: clock.now });
    // Warm the query plans on a product no test here counts, so the bursts below are not slowed
    // by a first request's planning.
    const warm = await sys.token({ product: 'PRD-OFFSHORE' });
    expectServed(await sys.gql(STATUS_QUERY, { token: warm }));
    expect((await sys.gql(CLIENT_QUERY, { token: warm })).status).toBe(200);
  });
  afterAll(async () => {
    await sys.close();
  });

  it('refuses a burst above the tier with 429 RATE_LIMITED, Retry-After and RateLimit-*; another product is unaffected; the quota recovers after the window', async () => {
    const certified = await sys.token({ product: 'PRD-CERTIFIED' });
    const enhanced = await sys.boundToken({ product: 'PRD-ENHANCED' });

    const burst = await Promise.all(Array.from({ length: POINTS + 3 }, () => send(certified)));
    const allowed = burst.filter((r) => !isRefusal(r));
    const refused = burst.filter(isRefusal);
    expect(allowed).toHaveLength(POINTS);
    expect(refused).toHaveLength(3);
    for (const r of allowed) {
      expectServed(r);
      const h = rateHeadersOf(r);
      expect(h.limit).toBe(POINTS);
      expect(h.reset).toBeGreaterThanOrEqual(0);
      expect(h.reset).toBeLessThanOrEqual(WINDOW_S);
      expect(h.retryAfter).toBeNaN();
    }
    // Each allowed request saw the count one lower: 4, 3, 2, 1, 0 in some order.
    expect(allowed.map((r) => rateHeadersOf(r).remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    for (const r of refused) expectRateLimited(r, 'PRODUCT', POINTS, WINDOW_S);

    // While PRD-CERTIFIED is still refused, PRD-ENHANCED (another software_id) has its full quota.
    const [again, other] = await Promise.all([send(certified), send(enhanced)]);
    expectRateLimited(again, 'PRODUCT', POINTS, WINDOW_S);
    expectServed(other);
    expect(rateHeadersOf(other)).toMatchObject({ limit: POINTS, remaining: POINTS - 1 });

    // Waiting exactly Retry-After seconds is enough: the quota is back in full.
    clock.advance(rateHeadersOf(again).retryAfter * 1000);
    const recovered = await send(certified);
    expectServed(recovered);
    expect(rateHeadersOf(recovered)).toMatchObject({ limit: POINTS, remaining: POINTS - 1 });
  });

  it('still counts a repeated identical (cached) document: the same allowed query is refused once the quota is spent', async () => {
    const token = await sys.token({ product: 'PRD-LIMITED' });
    const results: GraphQLResult[] = [];
    for (let i = 0; i < POINTS + 2; i++) results.push(await send(token, CLIENT_QUERY));
    // Identical document every time: parsed and validated once, counted every time.
    expect(results.slice(0, POINTS).map((r) => [r.status, r.body.data?.client?.id])).toEqual(Array.from({ length: POINTS }, () => [200, 'C-000001']));
    for (const r of results.slice(POINTS)) expectRateLimited(r, 'PRODUCT', POINTS, WINDOW_S);
  });

  it('access-logs every 429 with RATE_LIMITED', async () => {
    const records = await recordsWithCode(sys.store, 'RATE_LIMITED');
    expect(refusalsSent).toBe(3 + 1 + 2);
    expect(records).toHaveLength(refusalsSent);
    for (const record of records) {
      expect(record.httpStatus).toBe(429);
      expect(record.decision).toBe('DENIED');
    }
    expect(records.map((r) => r.productId).sort()).toEqual(['PRD-CERTIFIED', 'PRD-CERTIFIED', 'PRD-CERTIFIED', 'PRD-CERTIFIED', 'PRD-LIMITED', 'PRD-LIMITED']);
  });
});

describe('rate limits: burst allowance', () => {
  const POINTS = 3;
  const BURST = 2;
  const BURST_WINDOW_S = 2;
  let sys: TestSystem;
  const clock = movableClock();

  beforeAll(async () => {
    sys = await startTestSystem({ rateLimits: { tiers: { demo: { points: POINTS, duration: 60, burst: BURST, burstDuration: BURST_WINDOW_S, perOrgShare: 1 } } } }, { now: clock.now });
    expectServed(await sys.gql(STATUS_QUERY, { token: await sys.token({ product: 'PRD-OFFSHORE' }) }));
  });
  afterAll(async () => {
    await sys.close();
  });

  it('allows the burst on top of the sustained quota, then refuses with a Retry-After that the burst window honours', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const results: GraphQLResult[] = [];
    for (let i = 0; i < POINTS + BURST + 1; i++) results.push(await sys.gql(STATUS_QUERY, { token }));
    for (const r of results.slice(0, POINTS + BURST)) expectServed(r);
    const refused = results[POINTS + BURST]!;
    // The sustained window has a minute left, but the burst window reopens within BURST_WINDOW_S.
    expectRateLimited(refused, 'PRODUCT', POINTS, BURST_WINDOW_S);
    clock.advance(rateHeadersOf(refused).retryAfter * 1000);
    expectServed(await sys.gql(STATUS_QUERY, { token }));
    expect((await recordsWithCode(sys.store, 'RATE_LIMITED')).map((r) => r.productId)).toEqual(['PRD-CERTIFIED']);
  });
});

describe('rate limits: per product + org share, staff, anonymous', () => {
  // Windows far longer than the tests: counts only, no timing.
  const POINTS = 4;
  const ORG_POINTS = 2; // perOrgShare 0.5
  const STAFF_POINTS = 3;
  const ANONYMOUS_POINTS = 4;
  let sys: TestSystem;
  let refusalsSent = 0;
  const send = async (token: string | null): Promise<GraphQLResult> => {
    const r = await sys.gql(STATUS_QUERY, { token });
    if (isRefusal(r)) refusalsSent++;
    return r;
  };

  beforeAll(async () => {
    sys = await startTestSystem({
      rateLimits: {
        tiers: { demo: { points: POINTS, duration: 60, burst: 0, burstDuration: 1, perOrgShare: 0.5 } },
        staff: { points: STAFF_POINTS, duration: 60 },
        anonymous: { points: ANONYMOUS_POINTS, duration: 60 },
      },
    });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('refuses an org that spent its share while another org of the same product gets through, until the product quota is spent', async () => {
    const practitioner = await sys.token({ product: 'PRD-CERTIFIED' });
    const company = await sys.token({ product: 'PRD-CERTIFIED', org: COMPANY_ORG });
    const third = await sys.token({ product: 'PRD-CERTIFIED', org: OTHER_ORG });

    for (let i = 0; i < ORG_POINTS; i++) {
      const r = await send(practitioner);
      expectServed(r);
      expect(rateHeadersOf(r)).toMatchObject({ limit: ORG_POINTS, remaining: ORG_POINTS - 1 - i });
    }
    expectRateLimited(await send(practitioner), 'PRODUCT_ORG', ORG_POINTS, 60);

    // The refused org's extra request did not eat into the product quota: the company gets its share.
    for (let i = 0; i < ORG_POINTS; i++) expectServed(await send(company));
    expectRateLimited(await send(company), 'PRODUCT_ORG', ORG_POINTS, 60);

    // Both shares together spent the product quota: a third org within its own share is refused on it.
    expectRateLimited(await send(third), 'PRODUCT', POINTS, 60);
  });

  it('gives staff their own quota per subject, apart from products', async () => {
    const auditor = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'auditor-1' });
    const otherAuditor = await sys.token({ roles: ['ato:auditor'], mfa: true, sub: 'auditor-2' });
    for (let i = 0; i < STAFF_POINTS; i++) {
      const r = await send(auditor);
      expectServed(r);
      expect(rateHeadersOf(r)).toMatchObject({ limit: STAFF_POINTS, remaining: STAFF_POINTS - 1 - i });
    }
    expectRateLimited(await send(auditor), 'STAFF', STAFF_POINTS, 60);
    expectServed(await send(otherAuditor));
    // A product untouched so far is not counted against staff (nor they against it).
    const product = await send(await sys.boundToken({ product: 'PRD-ENHANCED' }));
    expectServed(product);
    expect(rateHeadersOf(product).remaining).toBe(ORG_POINTS - 1);
  });

  it('limits unauthenticated requests per source IP: a burst of bad tokens gets 429 after the anonymous quota', async () => {
    const bad = ['not-a-jwt', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', `${(await sys.token()).slice(0, -4)}AAAA`];
    const results: GraphQLResult[] = [];
    for (let i = 0; i < ANONYMOUS_POINTS + 2; i++) results.push(await send(bad[i % bad.length]!));
    results.slice(0, ANONYMOUS_POINTS).forEach((r, i) => {
      expect(r.status).toBe(401);
      expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
      // Counted on the IP's quota, and told so.
      expect(rateHeadersOf(r)).toMatchObject({ limit: ANONYMOUS_POINTS, remaining: ANONYMOUS_POINTS - 1 - i });
    });
    for (const r of results.slice(ANONYMOUS_POINTS)) expectRateLimited(r, 'ANONYMOUS', ANONYMOUS_POINTS, 60);
    // No token at all counts as anonymous too.
    expectRateLimited(await send(null), 'ANONYMOUS', ANONYMOUS_POINTS, 60);
    // A valid token from the same IP is counted on its product, not on the IP.
    expectServed(await send(await sys.token({ product: 'PRD-OFFSHORE' })));
  });

  it('access-logs every 429 with RATE_LIMITED and the quota that refused', async () => {
    const records = await recordsWithCode(sys.store, 'RATE_LIMITED');
    expect(refusalsSent).toBe(3 + 1 + 3);
    expect(records).toHaveLength(refusalsSent);
    for (const record of records) expect(record.httpStatus).toBe(429);
    // Refusals before authentication succeeded carry no product.
    expect(records.filter((r) => r.productId === 'PRD-CERTIFIED')).toHaveLength(3);
    expect(records.filter((r) => r.roles.includes('ato:auditor'))).toHaveLength(1);
    expect(records.filter((r) => r.productId === null && r.roles.length === 0)).toHaveLength(3);
  });
});

/**
 * The staff endpoints outside /graphql count a token refused for its role on the source address,
 * as a failed authentication is (review s18c F8: 30 product tokens in a row got 30 × 403).
 */
describe('rate limits: role refusals on the staff endpoints', () => {
  const ANONYMOUS_POINTS = 3;
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ rateLimits: { anonymous: { points: ANONYMOUS_POINTS, duration: 60 }, staff: { points: 100, duration: 60 } } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('counts /dashboard/data and /audit/export refusals on the source address until its quota is spent', async () => {
    const product = await sys.token({ product: 'PRD-CERTIFIED' });
    const get = async (path: string): Promise<[number, string]> => {
      const res = await fetch(sys.gateway.url.replace('/graphql', path), { headers: { authorization: `Bearer ${product}` } });
      return [res.status, ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code];
    };
    const statuses: Array<[number, string]> = [];
    for (let i = 0; i < ANONYMOUS_POINTS + 1; i++) statuses.push(await get('/dashboard/data'));
    statuses.push(await get('/audit/export'));
    expect(statuses).toEqual([...Array<[number, string]>(ANONYMOUS_POINTS).fill([403, 'ROLE_REQUIRED']), [429, 'RATE_LIMITED'], [429, 'RATE_LIMITED']]);
  });
});

describe('rate limits: a batch spends a point per operation', () => {
  const POINTS = 10;
  let sys: TestSystem;
  const clock = movableClock();

  beforeAll(async () => {
    sys = await startTestSystem({ operationLimits: { allowBatchedRequests: true }, rateLimits: { tiers: { demo: { points: POINTS, duration: 60, burst: 0, burstDuration: 1, perOrgShare: 1 } } } }, { now: clock.now });
  });
  afterAll(async () => {
    await sys.close();
  });

  async function batchOf(token: string, n: number): Promise<{ status: number; remaining: number; codes: string[] }> {
    const res = await fetch(sys.gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(Array.from({ length: n }, () => ({ query: STATUS_QUERY }))),
    });
    const body = (await res.json()) as unknown;
    const answers = Array.isArray(body) ? (body as GraphQLResult['body'][]) : [body as GraphQLResult['body']];
    return { status: res.status, remaining: Number(res.headers.get('ratelimit-remaining')), codes: answers.flatMap((a) => (a.errors ?? []).map((e) => String(e.extensions?.code))) };
  }

  it('counts each operation of a batch on the quota, and refuses a batch the quota cannot cover whole', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    expect(await batchOf(token, 4)).toEqual({ status: 200, remaining: POINTS - 4, codes: [] });
    expect(await batchOf(token, 1)).toEqual({ status: 200, remaining: POINTS - 5, codes: [] });
    // Five points left: a batch of six is refused whole (nothing of it served).
    expect(await batchOf(token, 6)).toMatchObject({ status: 429, remaining: 0, codes: ['RATE_LIMITED'] });
  });
});
