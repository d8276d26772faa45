/**
 * Issue 4: every request leaves exactly one access record — allowed, partial, denied,
 * unauthenticated and malformed alike — readable by auditors through the gateway, and no record
 * holds a token, a TFN or a raw client id. Only auditors with MFA may read the log.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { clientDigest } from '../../audit/digest.js';
import { syntheticData } from '../../subgraphs/shared/synthetic.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';
import { accessLogPage, allAccessLogs, AUDITOR, verifyAccessLogVia, type AuditedRecord } from './support/access-log-auditor.js';

const CLIENT_QUERY = `query ReadClient($id: ID!) {
  client(clientId: $id) { id name tfnMasked lodgments(first: 2) { period formType status } account { balance } }
}`;

/** What the test sent and what it expects the log to say about it. */
interface Sent {
  label: string;
  requestId: string;
  status: number;
  decision: 'ALLOWED' | 'PARTIAL' | 'DENIED';
  codes: string[];
  productId: string | null;
  /** Client ids the request named (their digests must be in the record when the gateway read them). */
  clients: string[];
}

const uniqueSorted = (codes: string[]) => [...new Set(codes)].sort();

describe('access log: one record per request, read back by an auditor', () => {
  let sys: TestSystem;
  let auditor: string;
  const sent: Sent[] = [];
  /** Every token string used in the traffic (none may appear in the log). */
  const tokens: string[] = [];
  /** Client ids named by the traffic (neither they nor their TFNs may appear in the log). */
  const CLIENTS = ['C-000001', 'C-000002', 'C-000004', 'C-000005', 'C-000051'];
  let since: string;
  let trafficEnd: string;
  /** The system's clock: still during the traffic, moved on before the auditor's requests, never waited for. */
  let frozenAt = Date.now();
  const now = (): number => frozenAt;

  async function send(label: string, expect: Omit<Sent, 'label' | 'requestId' | 'status'>, request: () => Promise<GraphQLResult>): Promise<void> {
    const r = await request();
    const requestId = r.headers.get('x-request-id');
    if (!requestId) throw new Error(`${label}: no x-request-id header`);
    sent.push({ label, requestId, status: r.status, ...expect });
    // The responses themselves are what the test expects the record to describe.
    if (uniqueSorted(codesOf(r)).join() !== uniqueSorted(expect.codes).join()) throw new Error(`${label}: answered ${r.status} ${JSON.stringify(codesOf(r))}`);
  }

  beforeAll(async () => {
    sys = await startTestSystem({}, { now });
    auditor = await sys.token(AUDITOR);
    since = new Date(now() - 1).toISOString();

    const certified = await sys.token({ product: 'PRD-CERTIFIED' });
    const limited = await sys.token({ product: 'PRD-LIMITED' });
    const suspended = await sys.token({ product: 'PRD-SUSPENDED' });
    tokens.push(certified, limited, suspended, 'not.a-real.token');
    const gqlAs = (token: string | null, id: string) => () => sys.gql(CLIENT_QUERY, { token, variables: { id }, operationName: 'ReadClient' });

    await send('allowed', { decision: 'ALLOWED', codes: [], productId: 'PRD-CERTIFIED', clients: ['C-000001'] }, gqlAs(certified, 'C-000001'));
    await send('allowed again', { decision: 'ALLOWED', codes: [], productId: 'PRD-CERTIFIED', clients: ['C-000005'] }, () =>
      sys.gql(CLIENT_QUERY, { token: certified, variables: { id: 'C-000005' }, operationName: 'ReadClient', headers: { 'user-agent': `LongAgent/${'x'.repeat(2000)}` } }),
    );
    await send('partial', { decision: 'PARTIAL', codes: ['SERVICE_NOT_WHITELISTED'], productId: 'PRD-LIMITED', clients: ['C-000002'] }, gqlAs(limited, 'C-000002'));
    await send('suspended product', { decision: 'DENIED', codes: ['PRODUCT_SUSPENDED'], productId: 'PRD-SUSPENDED', clients: ['C-000004'] }, gqlAs(suspended, 'C-000004'));
    await send('client not authorised', { decision: 'DENIED', codes: ['CLIENT_NOT_AUTHORISED'], productId: 'PRD-CERTIFIED', clients: [] }, gqlAs(certified, 'C-000051'));
    await send('no token', { decision: 'DENIED', codes: ['UNAUTHENTICATED'], productId: null, clients: ['C-000001'] }, gqlAs(null, 'C-000001'));
    await send('bad token', { decision: 'DENIED', codes: ['UNAUTHENTICATED'], productId: null, clients: ['C-000001'] }, gqlAs('not.a-real.token', 'C-000001'));
    await send('bad JSON', { decision: 'DENIED', codes: ['BAD_REQUEST'], productId: 'PRD-CERTIFIED', clients: [] }, () =>
      sys.post('{"query": "{ client(clientId: \\"C-000001\\") { id } }", ', { authorization: `Bearer ${certified}` }),
    );
    await send('syntax error', { decision: 'DENIED', codes: ['GRAPHQL_PARSE_FAILED'], productId: 'PRD-CERTIFIED', clients: [] }, () =>
      sys.gql('query Broken { client(clientId: "C-000001") { id ', { token: certified }),
    );
    // Records carry the arrival time (ms) on the system's clock. Moving it on makes every traffic
    // record strictly older than trafficEnd and every later (auditor) request at least as new.
    frozenAt += 5;
    trafficEnd = new Date(now()).toISOString();
  });

  afterAll(async () => {
    await sys?.close();
  });

  it('answers every request with its own x-request-id', () => {
    expect(sent).toHaveLength(9);
    expect(new Set(sent.map((s) => s.requestId)).size).toBe(sent.length);
  });

  it('keeps exactly one record per request, with the right decision, codes and status', async () => {
    const { records } = await allAccessLogs(sys, auditor, { from: since });
    for (const s of sent) {
      const mine = records.filter((r) => r.requestId === s.requestId);
      expect({ label: s.label, count: mine.length }).toEqual({ label: s.label, count: 1 });
      const record = mine[0]!;
      expect({ label: s.label, decision: record.decision, codes: uniqueSorted(record.errorCodes), httpStatus: record.httpStatus, productId: record.productId }).toEqual({
        label: s.label,
        decision: s.decision,
        codes: uniqueSorted(s.codes),
        httpStatus: s.status,
        productId: s.productId,
      });
      expect(record.chainId).toBe(sys.gateway.chainId);
      for (const id of s.clients) expect(record.clientDigests).toContain(clientDigest(sys.keys.hmacKey, id));
    }
    const partial = records.find((r) => r.requestId === sent.find((s) => s.label === 'partial')!.requestId)!;
    expect(partial.reasons).toEqual(expect.arrayContaining([{ code: 'SERVICE_NOT_WHITELISTED', coordinate: 'Client.lodgments' }]));
    const allowed = records.find((r) => r.requestId === sent[0]!.requestId)!;
    expect(allowed).toMatchObject({ operationName: 'ReadClient', operationType: 'query', org: '12345679016', productVersion: '2.1.0', developerId: 'DEV-GOOD' });
    expect(allowed.coordinates).toEqual(expect.arrayContaining(['Query.client', 'Client.lodgments', 'Client.account']));
    expect(allowed.jti).toEqual(expect.any(String));
    // An untrusted user agent is kept, but capped.
    const longAgent = records.find((r) => r.requestId === sent[1]!.requestId)!;
    expect(longAgent.userAgent!.startsWith('LongAgent/')).toBe(true);
    expect(longAgent.userAgent!.length).toBeLessThanOrEqual(256);
  });

  it('filters by product, decision, error code, operation name and client (matched by digest)', async () => {
    const idsOf = (rs: AuditedRecord[]) => new Set(rs.map((r) => r.requestId));
    const idOf = (label: string) => sent.find((s) => s.label === label)!.requestId;

    const byProduct = (await allAccessLogs(sys, auditor, { from: since, productId: 'PRD-LIMITED' })).records;
    expect(byProduct.every((r) => r.productId === 'PRD-LIMITED')).toBe(true);
    expect([...idsOf(byProduct)]).toEqual([idOf('partial')]);

    const partial = (await allAccessLogs(sys, auditor, { from: since, decision: 'PARTIAL' })).records;
    expect([...idsOf(partial)]).toEqual([idOf('partial')]);

    const denied = (await allAccessLogs(sys, auditor, { from: since, to: trafficEnd, decision: 'DENIED' })).records;
    expect([...idsOf(denied)].sort()).toEqual(sent.filter((s) => s.decision === 'DENIED').map((s) => s.requestId).sort());

    const suspended = (await allAccessLogs(sys, auditor, { from: since, errorCode: 'PRODUCT_SUSPENDED' })).records;
    expect([...idsOf(suspended)]).toEqual([idOf('suspended product')]);

    const unauthenticated = (await allAccessLogs(sys, auditor, { from: since, errorCode: 'UNAUTHENTICATED' })).records;
    expect([...idsOf(unauthenticated)].sort()).toEqual([idOf('no token'), idOf('bad token')].sort());

    // The raw client id goes in; the subgraph digests it with the audit key to match. Refused
    // attempts at the client are found too: who tried to reach taxpayer C-000001.
    const c1 = (await allAccessLogs(sys, auditor, { from: since, clientId: 'C-000001' })).records;
    expect([...idsOf(c1)].sort()).toEqual([idOf('allowed'), idOf('no token'), idOf('bad token')].sort());
    for (const r of c1) expect(r.clientDigests).toEqual([clientDigest(sys.keys.hmacKey, 'C-000001')]);
    const c2 = (await allAccessLogs(sys, auditor, { from: since, clientId: 'C-000002' })).records;
    expect([...idsOf(c2)]).toEqual([idOf('partial')]);
    expect((await allAccessLogs(sys, auditor, { from: since, clientId: 'C-000099' })).records).toEqual([]);

    const named = (await allAccessLogs(sys, auditor, { from: since, to: trafficEnd, operationName: 'ReadClient' })).records;
    expect(named.every((r) => r.operationName === 'ReadClient')).toBe(true);
    expect(idsOf(named).has(idOf('allowed'))).toBe(true);
    expect(idsOf(named).has(idOf('syntax error'))).toBe(false);

    // Criteria combine (AND).
    const both = (await allAccessLogs(sys, auditor, { from: since, productId: 'PRD-CERTIFIED', decision: 'ALLOWED', clientId: 'C-000005' })).records;
    expect([...idsOf(both)]).toEqual([idOf('allowed again')]);
  });

  it('holds no token, TFN or raw client id in any record, as stored or as served', async () => {
    const data = syntheticData();
    const secrets = [...tokens, auditor, ...CLIENTS, ...CLIENTS.map((id) => data.clientById.get(id)!.tfn)];
    expect(secrets.every((s) => s.length >= 8)).toBe(true);

    const stored = await sys.store.readChain(sys.gateway.chainId, 1, 1e9);
    expect(stored.length).toBeGreaterThanOrEqual(sent.length);
    const storedJson = JSON.stringify(stored);
    // Every column of every access-log table, not only the JSON the store hands back.
    const db = new Database(join(sys.dataDir, 'dsp.db'), { readonly: true, fileMustExist: true });
    let rows: string;
    try {
      rows = JSON.stringify(['access_records', 'access_record_codes', 'access_record_clients', 'chain_heads', 'checkpoints'].map((t) => db.prepare(`SELECT * FROM ${t}`).all()));
    } finally {
      db.close();
    }
    const served = (await allAccessLogs(sys, auditor, { from: since })).bodies.join('\n');
    for (const secret of secrets) {
      expect({ secret, inStore: storedJson.includes(secret), inTables: rows.includes(secret), served: served.includes(secret) }).toEqual({ secret, inStore: false, inTables: false, served: false });
    }
    // The check would see a secret were one stored: the stored records do carry the digests.
    expect(storedJson).toContain(clientDigest(sys.keys.hmacKey, 'C-000001'));
  });

  it("logs the auditor's own queries like any other access", async () => {
    await accessLogPage(sys, auditor, { filter: { productId: 'PRD-NOBODY' }, first: 1 });
    const { records } = await allAccessLogs(sys, auditor, { from: trafficEnd });
    const own = records.filter((r) => r.roles.includes('ato:auditor') && r.coordinates.includes('Query.accessLogs'));
    expect(own.length).toBeGreaterThan(0);
    expect(own[0]).toMatchObject({ decision: 'ALLOWED', sub: 'auditor-1', productId: null, operationName: 'AuditAccessLogs', httpStatus: 200, chainId: sys.gateway.chainId });
    expect(own[0]!.subgraphs).toContain('audit');
  });

  it('summarises the time range by decision, code and product', async () => {
    const r = await sys.gql(
      `query Summary($filter: AccessLogFilterInput) { accessSummary(filter: $filter) { total byProduct { key count } byDecision { key count } byCode { key count } } }`,
      { token: auditor, variables: { filter: { from: since, to: trafficEnd } } },
    );
    expect(r.body.errors).toBeUndefined();
    const summary = r.body.data!.accessSummary as { total: number; byProduct: Array<{ key: string; count: number }>; byDecision: Array<{ key: string; count: number }>; byCode: Array<{ key: string; count: number }> };
    const count = (pick: (s: Sent) => string[]) => {
      const m: Record<string, number> = {};
      for (const s of sent) for (const k of pick(s)) m[k] = (m[k] ?? 0) + 1;
      return m;
    };
    const asMap = (list: Array<{ key: string; count: number }>) => Object.fromEntries(list.map((c) => [c.key, c.count]));
    expect(summary.total).toBe(sent.length);
    expect(asMap(summary.byDecision)).toEqual(count((s) => [s.decision]));
    expect(asMap(summary.byCode)).toEqual(count((s) => uniqueSorted(s.codes)));
    expect(asMap(summary.byProduct)).toMatchObject({ 'PRD-CERTIFIED': 5, 'PRD-LIMITED': 1, 'PRD-SUSPENDED': 1 });
  });

  it('pages with first: 2 and a cursor, newest first, without duplicates or gaps', async () => {
    const filter = { from: since, to: trafficEnd };
    const all = (await accessLogPage(sys, auditor, { filter, first: 20 })).records;
    expect(all).toHaveLength(sent.length);
    const paged = await allAccessLogs(sys, auditor, filter, 2);
    expect(paged.pages).toBe(Math.ceil(sent.length / 2));
    const ids = paged.records.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(all.map((r) => r.id));
    const times = paged.records.map((r) => Date.parse(r.time));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('verifies the chain the traffic was written to', async () => {
    const report = await verifyAccessLogVia(sys, auditor, sys.gateway.chainId);
    expect(report.ok).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(sent.length);
  });

  describe('only auditors with MFA read the log', () => {
    const FIELDS: Array<[string, string]> = [
      ['accessLogs', 'query { accessLogs(first: 1) { nodes { requestId } } }'],
      ['accessSummary', 'query { accessSummary { total } }'],
      ['verifyAccessLog', 'query ($chainId: ID!) { verifyAccessLog(chainId: $chainId) { ok } }'],
      ['accessLogChains', 'query { accessLogChains { chainId } }'],
    ];
    const CALLERS: Array<[string, Parameters<TestSystem['token']>[0], string]> = [
      ['an administrator with MFA', { roles: ['ato:admin'], mfa: true }, 'ROLE_REQUIRED'],
      ['a DSP developer with MFA', { roles: ['dsp:developer'], developer: 'DEV-GOOD', mfa: true }, 'ROLE_REQUIRED'],
      ['a product token', { product: 'PRD-CERTIFIED' }, 'ROLE_REQUIRED'],
      ['an auditor without MFA', { roles: ['ato:auditor'], mfa: false }, 'MFA_REQUIRED'],
    ];
    const cases = CALLERS.flatMap(([who, opts, code]) => FIELDS.map(([field, query]) => [who, field, opts, code, query] as const));

    it.each(FIELDS)('serves an auditor with MFA on %s', async (field, query) => {
      const r = await sys.gql(query, { token: auditor, variables: field === 'verifyAccessLog' ? { chainId: sys.gateway.chainId } : undefined });
      expect(r.status).toBe(200);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data![field]).not.toBeNull();
    });

    it.each(cases)('refuses %s on %s', async (_who, field, opts, code, query) => {
      const r = await sys.gql(query, { token: await sys.token(opts), variables: field === 'verifyAccessLog' ? { chainId: sys.gateway.chainId } : undefined });
      expect(r.status).toBe(403);
      expect(new Set(codesOf(r))).toEqual(new Set([code]));
      expect(r.body.data ?? null).toBeNull();
      // The refusal is itself on the record.
      const requestId = r.headers.get('x-request-id')!;
      const logged = (await allAccessLogs(sys, auditor, { from: since, errorCode: code })).records.filter((rec) => rec.requestId === requestId);
      expect(logged).toHaveLength(1);
      expect(logged[0]!.decision).not.toBe('ALLOWED');
    });
  });
});
