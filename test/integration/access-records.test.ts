/**
 * Records an auditor can rely on (issue 16): a request refused before anything ran still records
 * what it attempted (operation, coordinates, client digest), so "who tried to reach taxpayer X"
 * finds refused software too; the enumeration detector sees it; a withheld restricted record is
 * PARTIAL or DENIED with RESTRICTED_DATA, not ALLOWED; a suspended product is told it is
 * suspended even once its source's quota is spent.
 */
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';
import { ACCESS_LOGS_QUERY, accessLogPage, allAccessLogs, AUDITOR } from './support/access-log-auditor.js';

const TARGET = 'C-000042';
const QUERY = 'query LookUpTaxpayer($id: ID!) { client(clientId: $id) { id name } }';

describe('what refused requests record', () => {
  let sys: TestSystem;
  // The source quota's 60 s window is counted on this clock, which stands still: on the real one,
  // a slow run (151 s with the event loop slowed) began a new window among the eight refusals.
  const clock = { now: Date.now() };
  beforeAll(async () => {
    sys = await startTestSystem({ rateLimits: { staff: { points: 10_000, duration: 1 }, anonymous: { points: 5, duration: 60 } } }, { now: () => clock.now });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('records the attempted operation, coordinates and client of a suspended, an unregistered and an unauthenticated request, and the auditor finds all three by client', async () => {
    const attempts = [
      ['PRODUCT_SUSPENDED', await sys.token({ product: 'PRD-SUSPENDED' })],
      ['PRODUCT_NOT_REGISTERED', await sys.token({ product: 'PRD-NOBODY' })],
      ['UNAUTHENTICATED', null],
    ] as const;
    for (const [code, token] of attempts) {
      const r = await sys.gql(QUERY, { token, variables: { id: TARGET } });
      expect(codesOf(r)).toEqual([code]);
    }
    const { records } = await allAccessLogs(sys, await sys.token(AUDITOR), { clientId: TARGET });
    const refused = records.filter((r) => r.decision === 'DENIED');
    expect(refused.map((r) => r.errorCodes[0]).sort()).toEqual(['PRODUCT_NOT_REGISTERED', 'PRODUCT_SUSPENDED', 'UNAUTHENTICATED']);
    for (const r of refused) {
      expect(r).toMatchObject({ operationName: 'LookUpTaxpayer', operationType: 'query', coordinates: ['Query.client', 'Client.id', 'Client.name'], services: ['clients.read'] });
      expect(r.documentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(r.clientDigests).toHaveLength(1);
    }
  });

  it('still tells a suspended product it is suspended once its source quota is spent (the refusals still count on it)', async () => {
    const token = await sys.token({ product: 'PRD-SUSPENDED' });
    const answers = [];
    for (let i = 0; i < 8; i++) answers.push(await sys.gql(QUERY, { token, variables: { id: 'C-000001' } }));
    expect(answers.map(codesOf).flat()).toEqual(Array(8).fill('PRODUCT_SUSPENDED'));
    expect(answers.at(-1)!.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('records a withheld restricted taxpayer as DENIED with RESTRICTED_DATA when nothing else was served, PARTIAL when something was', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    const only = await sys.gql('query OnlyRestricted { client(clientId: "C-000003") { id name } }', { token });
    const mixed = await sys.gql('query Mixed { a: client(clientId: "C-000003") { id } b: client(clientId: "C-000001") { id } }', { token });
    expect([only.status, mixed.status, mixed.body.data?.b?.id]).toEqual([403, 200, 'C-000001']);
    const { records } = await allAccessLogs(sys, await sys.token(AUDITOR), { productId: 'PRD-CERTIFIED' });
    const byOperation = new Map(records.map((r) => [r.operationName, r]));
    expect(byOperation.get('OnlyRestricted')).toMatchObject({ decision: 'DENIED', reasons: [{ code: 'RESTRICTED_DATA', coordinate: 'Query.client' }] });
    expect(byOperation.get('Mixed')).toMatchObject({ decision: 'PARTIAL', reasons: [{ code: 'RESTRICTED_DATA', coordinate: 'Query.client' }] });
  });
});

describe('the enumeration detector sees refused software', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ rateLimits: { staff: { points: 10_000, duration: 1 }, anonymous: { points: 10_000, duration: 1 } } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('raises an enumeration alert for 60 requests from an unregistered product across 50 clients', async () => {
    const token = await sys.token({ product: 'PRD-FORGED' });
    for (let i = 0; i < 60; i++) {
      const r = await sys.gql(QUERY, { token, variables: { id: `C-${String((i % 50) + 1).padStart(6, '0')}` } });
      expect(codesOf(r)).toEqual(['PRODUCT_NOT_REGISTERED']);
    }
    await sys.gateway.monitor.flush();
    const alert = sys.gateway.monitor.openAlerts().find((a) => a.detector === 'enumeration' && a.key === 'product:PRD-FORGED:refused');
    expect(alert).toMatchObject({ risk: 'HIGH', productId: 'PRD-FORGED' });
    expect(alert!.observed).toBeGreaterThanOrEqual(40);
  });
});

describe('a page of full records within the default limits', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('answers accessLogs(first: 100) with every field of 100 records, and still refuses a page the bound does not cover', async () => {
    const token = await sys.token({ product: 'PRD-CERTIFIED' });
    for (let i = 0; i < 101; i++) await sys.gql(QUERY, { token, variables: { id: 'C-000001' } });
    const auditor = await sys.token(AUDITOR);
    const page = await accessLogPage(sys, auditor, { first: 100 });
    expect(page.records).toHaveLength(100);
    expect(page.hasNextPage).toBe(true);
    expect(page.records[0]).toMatchObject({ operationName: 'LookUpTaxpayer', coordinates: ['Query.client', 'Client.id', 'Client.name'], reasons: [], hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // The bound still means something: 500 full records per page is more than the default allows.
    const tooMany = await sys.gql(ACCESS_LOGS_QUERY, { token: auditor, operationName: 'AuditAccessLogs', variables: { first: 500 } });
    expect(codesOf(tooMany)).toEqual(['OPERATION_LIMIT_EXCEEDED']);
  });
});
