/**
 * An auditor's access-log read that runs past the store's time limit (SQLite's read thread,
 * store/sqlite/read-thread/client.ts) is refused with a coded 400 through the gateway, as a query
 * and as an export, and the refusal is logged like any other. The limit is 0 here, so every read
 * is refused before the read thread can start: no test waits for time to pass.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore, type SqliteStore } from '../../store/sqlite/index.js';
import { startTestSystem, type TestSystem } from '../helpers/system.js';
import { ACCESS_LOGS_QUERY, AUDITOR } from './support/access-log-auditor.js';

describe('an auditor read past its time limit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsp-audit-read-limit-'));
  let store: SqliteStore;
  let sys: TestSystem;
  let auditor: string;

  beforeAll(async () => {
    store = createSqliteStore({ path: join(dir, 'dsp.db'), queryTimeoutMs: 0 });
    await store.init();
    sys = await startTestSystem({}, { store });
    auditor = await sys.token(AUDITOR);
  });
  afterAll(async () => {
    await sys.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is refused OPERATION_LIMIT_EXCEEDED (QUERY_TIME) as a query, a summary and an export, and each refusal is on the record', async () => {
    const page = await sys.gql(ACCESS_LOGS_QUERY, { token: auditor, operationName: 'AuditAccessLogs', variables: { filter: { sub: 'nobody' }, first: 5 } });
    expect(page.body.errors?.map((e) => [e.extensions?.code, e.extensions?.limit])).toEqual([['OPERATION_LIMIT_EXCEEDED', 'QUERY_TIME']]);
    const summary = await sys.gql('query Summary { accessSummary { total } }', { token: auditor });
    expect(summary.body.errors?.map((e) => [e.extensions?.code, e.extensions?.limit])).toEqual([['OPERATION_LIMIT_EXCEEDED', 'QUERY_TIME']]);

    const res = await fetch(`${sys.gateway.url.replace(/\/graphql$/, '/audit/export')}?sub=nobody`, { headers: { authorization: `Bearer ${auditor}` } });
    const body = (await res.json()) as { errors: Array<{ message: string; extensions: { code: string; limit?: string } }> };
    expect([res.status, body.errors[0]!.extensions]).toEqual([400, { code: 'OPERATION_LIMIT_EXCEEDED', limit: 'QUERY_TIME' }]);
    expect(body.errors[0]!.message).toMatch(/^The access-log read took longer than 0 ms and was stopped\. Narrow it/);

    // Read back through the store's own connection: the thread refuses everything at this limit.
    const direct = createSqliteStore({ path: join(dir, 'dsp.db'), readThread: false });
    await direct.init();
    try {
      const refused = (await direct.queryAccessLogs({ decision: 'DENIED', sub: 'auditor-1' }, { first: 10 })).records;
      expect(refused.map((r) => [r.operationName, r.errorCodes])).toEqual(expect.arrayContaining([['AccessLogExport', ['OPERATION_LIMIT_EXCEEDED']]]));
    } finally {
      await direct.close();
    }
  });
});
