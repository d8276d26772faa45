/**
 * What auditors ask of the access log (issue 16), through real HTTP: filters by staff sub, role,
 * token id, client IP, HTTP status and schema coordinate; a total count; verify-all; the export of
 * a filtered set (NDJSON and CSV) matching the paged query record for record, staff-only and itself
 * logged; and registry mutations' records carrying their reason and ticket.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { ok, registryApi } from '../helpers/registry-api.js';
import { ACCESS_LOGS_QUERY, allAccessLogs, AUDITOR, type AccessLogFilterInput, type AuditedRecord } from './support/access-log-auditor.js';

type Filter = AccessLogFilterInput & { sub?: string; role?: string; jti?: string; clientIp?: string; httpStatus?: number; coordinate?: string };

describe('the audit API', () => {
  let sys: TestSystem;
  let auditor: string;
  let everything: AuditedRecord[];
  const exportUrl = () => sys.gateway.url.replace(/\/graphql$/, '/audit/export');

  beforeAll(async () => {
    // The load balancer in front is the loopback peer: its X-Forwarded-For names the client.
    sys = await startTestSystem({ trustedProxies: ['127.0.0.1'] });
    auditor = await sys.token(AUDITOR);
    const product = await sys.token({ product: 'PRD-CERTIFIED', sub: 'user-7', jti: 'jti-export-test' });
    await sys.gql('query One { client(clientId: "C-000001") { id name } }', { token: product, headers: { 'x-forwarded-for': '203.0.113.9' } });
    await sys.gql('query Two { client(clientId: "C-000002") { id lodgments { period } } }', { token: product });
    await sys.gql('query Refused { client(clientId: "C-000001") { id } }', { token: await sys.token({ product: 'PRD-SUSPENDED' }) });
    const api = registryApi(sys);
    const rev = await api.revisionOf('product', 'PRD-LIMITED');
    ok(await api.admin('mutation ($rev: Int!) { suspendProduct(productId: "PRD-LIMITED", expectedRevision: $rev, reason: "Breach at client 123 456 789, see case", ticket: "INC-77") { status } }', { rev }));
    everything = (await allAccessLogs(sys, auditor, {}, 100)).records;
  });
  afterAll(async () => {
    await sys.close();
  });

  const found = async (filter: Filter) => (await allAccessLogs(sys, auditor, filter as AccessLogFilterInput, 100)).records.map((r) => r.id).sort();
  const expected = (keep: (r: AuditedRecord) => boolean) => everything.filter(keep).map((r) => r.id).sort();

  it.each<[string, Filter, (r: AuditedRecord) => boolean]>([
    ['staff sub', { sub: 'admin-alice' }, (r) => r.sub === 'admin-alice'],
    ['role', { role: 'ato:admin' }, (r) => r.roles.includes('ato:admin')],
    ['token id', { jti: 'jti-export-test' }, (r) => r.jti === 'jti-export-test'],
    ['HTTP status', { httpStatus: 403 }, (r) => r.httpStatus === 403],
    ['schema coordinate', { coordinate: 'Client.lodgments' }, (r) => r.coordinates.includes('Client.lodgments')],
    ['client IP', { clientIp: '203.0.113.9' }, (r) => r.clientIp === '203.0.113.9'],
  ])('filters by %s, finding exactly those records', async (_name, filter, keep) => {
    const want = expected(keep);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(everything.length);
    expect(await found(filter)).toEqual(want);
  });

  it('refuses a malformed filter value with BAD_USER_INPUT', async () => {
    for (const filter of [{ httpStatus: 42 }, { coordinate: 'not a coordinate' }]) {
      const r = await sys.gql(ACCESS_LOGS_QUERY, { token: auditor, operationName: 'AuditAccessLogs', variables: { filter, first: 5 } });
      expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('counts the records a filter selects, whatever the page', async () => {
    const q = 'query Count($f: AccessLogFilterInput) { accessLogs(filter: $f, first: 1) { totalCount nodes { id } } }';
    const all = await sys.gql(q, { token: auditor, variables: { f: { decision: 'DENIED' } } });
    const denied = (await allAccessLogs(sys, auditor, { decision: 'DENIED' }, 100)).records.length;
    expect(all.body.data).toMatchObject({ accessLogs: { totalCount: denied } });
    expect(denied).toBeGreaterThan(1);
  });

  it('verifies every chain', async () => {
    const r = await sys.gql('query { verifyAccessLogs { ok chains { chainId ok status } } }', { token: auditor });
    expect(r.body.data?.verifyAccessLogs).toMatchObject({ ok: true });
    expect((r.body.data?.verifyAccessLogs as { chains: unknown[] }).chains.length).toBeGreaterThan(0);
  });

  it('records a registry mutation with its reason and ticket, a TFN-like number masked', async () => {
    const [record] = (await allAccessLogs(sys, auditor, { coordinate: 'Mutation.suspendProduct' } as AccessLogFilterInput, 100)).records;
    expect((record as unknown as { changes: unknown }).changes).toEqual([{ coordinate: 'Mutation.suspendProduct', reason: 'Breach at client [number], see case', ticket: 'INC-77' }]);
    const query = everything.find((r) => r.operationName === 'One') as unknown as { changes: unknown };
    expect(query.changes).toEqual([]);
  });

  it('exports a filtered set as NDJSON and CSV that match the paged query record for record', async () => {
    const filter: AccessLogFilterInput = { decision: 'ALLOWED', productId: 'PRD-CERTIFIED' };
    const paged = (await allAccessLogs(sys, auditor, filter, 1)).records;
    expect(paged.length).toBeGreaterThan(1);
    const nd = await fetch(`${exportUrl()}?format=ndjson&decision=ALLOWED&productId=PRD-CERTIFIED`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(nd.status).toBe(200);
    expect(nd.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(nd.headers.get('content-disposition')).toMatch(/^attachment; filename="access-log-.*\.ndjson"$/);
    const lines = (await nd.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    // The stored record, field for field, in the same order as the query pages it.
    expect(lines.map((l) => l.id)).toEqual(paged.map((r) => r.id));
    for (const [i, line] of lines.entries()) for (const [k, v] of Object.entries(line)) expect([k, (paged[i] as unknown as Record<string, unknown>)[k]]).toEqual([k, v]);

    const csv = await fetch(`${exportUrl()}?format=csv&decision=ALLOWED&productId=PRD-CERTIFIED`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const rows = (await csv.text()).trimEnd().split('\r\n');
    expect(rows[0]!.split(',').slice(0, 3)).toEqual(['id', 'time', 'requestId']);
    expect(rows.slice(1).map((row) => row.split(',')[0])).toEqual(paged.map((r) => r.id));
  });

  it('refuses the export to anyone but an auditor with MFA, with coded statuses, and logs every attempt', async () => {
    const get = (token: string | null, query = '') => fetch(`${exportUrl()}${query}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const codes = async (res: Response) => [res.status, ((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code];
    expect(await codes(await get(null))).toEqual([401, 'UNAUTHENTICATED']);
    expect(await codes(await get(await sys.token({ product: 'PRD-CERTIFIED' })))).toEqual([403, 'ROLE_REQUIRED']);
    expect(await codes(await get(await sys.token({ roles: ['ato:admin'], mfa: true })))).toEqual([403, 'ROLE_REQUIRED']);
    expect(await codes(await get(await sys.token({ roles: ['ato:auditor'], mfa: false })))).toEqual([403, 'MFA_REQUIRED']);
    expect(await codes(await get(auditor, '?format=xml'))).toEqual([400, 'BAD_USER_INPUT']);
    expect(await codes(await get(auditor, '?colour=red'))).toEqual([400, 'BAD_USER_INPUT']);
    expect(await codes(await get(auditor, '?httpStatus=abc'))).toEqual([400, 'BAD_USER_INPUT']);
    const put = await fetch(exportUrl(), { method: 'PUT', headers: { authorization: `Bearer ${auditor}` } });
    expect([put.status, put.headers.get('allow')]).toEqual([405, 'GET, POST']);
    const logged = (await allAccessLogs(sys, auditor, { operationName: 'AccessLogExport' }, 100)).records;
    expect(logged.filter((r) => r.decision === 'DENIED').map((r) => r.errorCodes[0]).sort()).toEqual(
      ['BAD_USER_INPUT', 'BAD_USER_INPUT', 'BAD_USER_INPUT', 'METHOD_NOT_ALLOWED', 'MFA_REQUIRED', 'ROLE_REQUIRED', 'ROLE_REQUIRED', 'UNAUTHENTICATED'].sort(),
    );
    const allowed = logged.filter((r) => r.decision === 'ALLOWED');
    expect(allowed.length).toBeGreaterThanOrEqual(2);
    expect(allowed[0]).toMatchObject({ sub: 'auditor-1', operationType: 'export', coordinates: ['Query.accessLogs'], httpStatus: 200 });
  });

  it('takes a client id from a POST body only (never a URL, which proxies log), and records its digest', async () => {
    const auth = { authorization: `Bearer ${auditor}` };
    const form = { ...auth, 'content-type': 'application/x-www-form-urlencoded' };
    const codeOf = async (res: Response) => [res.status, ((await res.json()) as { errors: Array<{ extensions: { code: string; field?: string } }> }).errors[0]!.extensions];
    expect(await codeOf(await fetch(`${exportUrl()}?clientId=C-000001`, { headers: auth }))).toEqual([400, { code: 'BAD_USER_INPUT', field: 'clientId' }]);
    // A POST: criteria in the body only, form-encoded, bounded.
    expect(await codeOf(await fetch(`${exportUrl()}?clientId=C-000001`, { method: 'POST', headers: form, body: 'format=csv' }))).toEqual([400, { code: 'BAD_USER_INPUT', field: null }]);
    expect(await codeOf(await fetch(exportUrl(), { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"clientId":"C-000001"}' }))).toEqual([400, { code: 'BAD_REQUEST' }]);
    expect(await codeOf(await fetch(exportUrl(), { method: 'POST', headers: form, body: `productId=${'x'.repeat(20_000)}` }))).toEqual([413, { code: 'PAYLOAD_TOO_LARGE' }]);
    expect(await codeOf(await fetch(exportUrl(), { method: 'POST', headers: form, body: Buffer.from([0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x49, 0x64, 0x3d, 0xff]) }))).toEqual([400, { code: 'BAD_REQUEST' }]);
    expect(await codeOf(await fetch(exportUrl(), { method: 'POST', headers: form, body: 'colour=red' }))).toEqual([400, { code: 'BAD_USER_INPUT', field: 'colour' }]);

    const paged = (await allAccessLogs(sys, auditor, { clientId: 'C-000001' }, 100)).records;
    expect(paged.length).toBeGreaterThan(0);
    const res = await fetch(exportUrl(), { method: 'POST', headers: form, body: new URLSearchParams({ format: 'ndjson', clientId: 'C-000001' }).toString() });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trimEnd().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(lines.map((l) => l.id)).toEqual(paged.map((r) => r.id));
    const byClient = (await allAccessLogs(sys, auditor, { clientId: 'C-000001', operationName: 'AccessLogExport' }, 100)).records;
    expect(byClient.map((r) => r.httpStatus)).toEqual([200]);
  });

  // Last: it edits the store by hand.
  it('lists and exports a row whose stored text is not a record, apart from the records and with why, instead of failing the page or the download', async () => {
    const raw = new Database(join(sys.dataDir, 'dsp.db'));
    try {
      expect(raw.prepare("UPDATE access_records SET record = 'not json' WHERE operation_name = 'Refused'").run().changes).toBe(1);
    } finally {
      raw.close();
    }
    const page = await sys.gql('query { accessLogs(filter: { operationName: "Refused" }) { nodes { id } unreadable { chainId seq reason } } }', { token: auditor });
    expect(page.body.errors).toBeUndefined();
    expect(page.body.data?.accessLogs).toEqual({ nodes: [], unreadable: [{ chainId: expect.any(String), seq: expect.any(Number), reason: 'the stored record text is not a JSON object' }] });
    const nd = await fetch(`${exportUrl()}?format=ndjson&operationName=Refused`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(nd.status).toBe(200);
    expect((await nd.text()).trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual([{ unreadable: { chainId: expect.any(String), seq: expect.any(Number), reason: 'the stored record text is not a JSON object' } }]);
  });
});
