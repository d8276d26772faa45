/**
 * Issue 19, certified operations: a product in ENFORCE is served its certified operations (as a
 * document, as a hash in either convention, by POST; by GET a hash is found too, and its client id
 * refused in a URL) and refused any other document; in
 * LOG the other document is served and the access record, a metric and a monitoring alert show it;
 * a new manifest version submitted by developer staff takes effect, once an admin approves it, on
 * every gateway instance on the store; the history says who submitted and who approved.
 * Real HTTP, real tokens, the real system.
 */
import { createHash } from 'node:crypto';
import { loadConfig, type Config } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { DEMO_MANIFEST_DOCUMENTS } from '../../registry/demo-register.js';
import { startGateway, type RunningGateway } from '../../gateway/server.js';
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';
import { ok, registryApi, within } from '../helpers/registry-api.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const CLIENT_NAME = DEMO_MANIFEST_DOCUMENTS[0];
const UNCERTIFIED = '{ client(clientId: "C-000001") { id name tfnMasked } }';
const VARS = { clientId: 'C-000001' };

describe('trusted documents: certified operations', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  async function as(product: string, body: Record<string, unknown>): Promise<GraphQLResult & { requestId: string }> {
    const token = await sys.token({ product });
    const r = await sys.post(JSON.stringify(body), { authorization: `Bearer ${token}` });
    return { ...r, requestId: r.headers.get('x-request-id')! };
  }
  async function recordOf(requestId: string) {
    const page = await sys.store.queryAccessLogs({}, { first: 50 });
    const record = page.records.find((r) => r.requestId === requestId);
    if (!record) throw new Error(`no record for ${requestId}`);
    return record;
  }

  describe('ENFORCE (PRD-TRUSTED: manifest approved, no mode set)', () => {
    it('serves a certified operation sent as its document, and records the entry that ran', async () => {
      const r = await as('PRD-TRUSTED', { query: CLIENT_NAME, variables: VARS });
      expect([r.status, r.body.data?.client?.id]).toEqual([200, 'C-000001']);
      expect((await recordOf(r.requestId)).manifest).toEqual({ mode: 'ENFORCE', version: 1, entry: sha(CLIENT_NAME) });
    });

    it('serves it sent as a hash only: extensions.persistedQuery, documentId, and GET', async () => {
      const pq = await as('PRD-TRUSTED', { extensions: { persistedQuery: { version: 1, sha256Hash: sha(CLIENT_NAME) } }, variables: VARS });
      expect([pq.status, pq.body.data?.client?.name]).toEqual([200, expect.any(String)]);
      const id = await as('PRD-TRUSTED', { documentId: `sha256:${sha(CLIENT_NAME)}`, variables: VARS });
      expect([id.status, id.body.data?.client?.id]).toEqual([200, 'C-000001']);
      const url = new URL(sys.gateway.url);
      url.searchParams.set('extensions', JSON.stringify({ persistedQuery: { version: 1, sha256Hash: sha(CLIENT_NAME) } }));
      url.searchParams.set('variables', JSON.stringify(VARS));
      const get = await fetch(url, { headers: { authorization: `Bearer ${await sys.token({ product: 'PRD-TRUSTED' })}`, 'apollo-require-preflight': 'true' } });
      const body = (await get.json()) as GraphQLResult['body'];
      // The hash is found in the manifest by GET too; the operation then names a client in the
      // URL, which is refused (a client id is taken in a POST body only).
      expect([get.status, body.errors?.map((e) => e.extensions?.code), body.data ?? null]).toEqual([400, ['BAD_USER_INPUT'], null]);
      expect((await recordOf(get.headers.get('x-request-id')!)).manifest?.entry).toBe(sha(CLIENT_NAME));
    });

    it('refuses an uncertified document with OPERATION_NOT_CERTIFIED (403), recorded with no entry', async () => {
      const r = await as('PRD-TRUSTED', { query: UNCERTIFIED });
      expect([r.status, codesOf(r)]).toEqual([403, ['OPERATION_NOT_CERTIFIED']]);
      expect(r.body.data ?? null).toBeNull();
      const record = await recordOf(r.requestId);
      expect(record.manifest).toEqual({ mode: 'ENFORCE', version: 1, entry: null });
      expect(record.decision).toBe('DENIED');
      // Still described from its document: an auditor sees what was attempted.
      expect(record.coordinates).toContain('Client.tfnMasked');
    });

    it('refuses a certified document with one character changed, and a hash it does not hold', async () => {
      const edited = await as('PRD-TRUSTED', { query: `${CLIENT_NAME} `, variables: VARS });
      expect(codesOf(edited)).toEqual(['OPERATION_NOT_CERTIFIED']);
      const unknown = await as('PRD-TRUSTED', { documentId: sha(UNCERTIFIED) });
      expect([unknown.status, codesOf(unknown)]).toEqual([403, ['OPERATION_NOT_CERTIFIED']]);
    });

    it('refuses malformed or mismatched hashes with BAD_REQUEST, never a 500', async () => {
      const cases: Array<Record<string, unknown>> = [
        { documentId: 'sha256:xyz' },
        { documentId: 42 },
        { extensions: { persistedQuery: { version: 1 } } },
        { extensions: { persistedQuery: 'x' } },
        { extensions: { persistedQuery: { sha256Hash: sha(CLIENT_NAME).toUpperCase() } } },
        { query: CLIENT_NAME, documentId: sha(UNCERTIFIED), variables: VARS },
        { extensions: { persistedQuery: { sha256Hash: sha(CLIENT_NAME) } }, documentId: sha(UNCERTIFIED) },
      ];
      for (const body of cases) {
        const r = await as('PRD-TRUSTED', body);
        expect([JSON.stringify(body), r.status, codesOf(r)]).toEqual([JSON.stringify(body), 400, ['BAD_REQUEST']]);
      }
      const url = new URL(sys.gateway.url);
      url.searchParams.set('extensions', 'null');
      url.searchParams.set('documentId', sha(CLIENT_NAME));
      url.searchParams.set('variables', JSON.stringify(VARS));
      const get = await fetch(url, { headers: { authorization: `Bearer ${await sys.token({ product: 'PRD-TRUSTED' })}`, 'apollo-require-preflight': 'true' } });
      // Past the trusted-document stage (a null `extensions` is no hash); refused only for the client id in its URL.
      expect([get.status, ((await get.json()) as GraphQLResult['body']).errors?.map((e) => e.extensions?.code)]).toEqual([400, ['BAD_USER_INPUT']]);
      expect((await recordOf(get.headers.get('x-request-id')!)).manifest?.entry).toBe(sha(CLIENT_NAME));
    });
  });

  describe('LOG (PRD-TRUSTED-LOG)', () => {
    it('serves an uncertified document, flags it in the record and counts it in a metric', async () => {
      const r = await as('PRD-TRUSTED-LOG', { query: UNCERTIFIED });
      expect([r.status, r.body.data?.client?.id]).toEqual([200, 'C-000001']);
      expect((await recordOf(r.requestId)).manifest).toEqual({ mode: 'LOG', version: 1, entry: null });
      const metrics = await (await fetch(new URL('/metrics', sys.gateway.url))).text();
      expect(metrics).toMatch(/dsp_uncertified_documents_total\{product="PRD-TRUSTED-LOG",mode="LOG"\} [1-9]/);
    });

    it('raises an uncertified-documents alert on repeated uncertified documents from the product', async () => {
      for (let i = 0; i < 5; i++) expect((await as('PRD-TRUSTED-LOG', { query: UNCERTIFIED })).status).toBe(200);
      await sys.gateway.monitor.flush();
      const alert = sys.gateway.monitor.openAlerts().find((a) => a.detector === 'uncertified-documents' && a.key === 'product:PRD-TRUSTED-LOG');
      expect(alert).toMatchObject({ productId: 'PRD-TRUSTED-LOG', risk: 'MEDIUM' });
    });
  });

  describe('OFF (PRD-CERTIFIED: no manifest)', () => {
    it('serves any document with nothing recorded about manifests, and answers a bare hash with PERSISTED_QUERY_NOT_FOUND', async () => {
      const r = await as('PRD-CERTIFIED', { query: UNCERTIFIED });
      expect(r.status).toBe(200);
      expect((await recordOf(r.requestId)).manifest).toBeUndefined();
      const hashed = await as('PRD-CERTIFIED', { extensions: { persistedQuery: { version: 1, sha256Hash: sha(CLIENT_NAME) } } });
      expect([hashed.status, codesOf(hashed)]).toEqual([400, ['PERSISTED_QUERY_NOT_FOUND']]);
    });
  });

  describe('a new manifest version: submitted by developer staff, approved by an admin, in force on every instance', () => {
    let second: RunningGateway;
    beforeAll(async () => {
      const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }, { dataDir: sys.dataDir, port: 0, instanceId: 'second-gw', audit: { sqliteSync: 'normal' }, registry: { pollMs: 50 }, subgraphs: { ...sys.config.subgraphs } as Config['subgraphs'] });
      second = await startGateway({ config, store: sys.store, keys: sys.keys, logger: createLogger({ level: 'silent', name: 'second' }) });
    });
    afterAll(async () => {
      await second.close();
    });

    it('holds every instance to the approved version and records both people in the history', async () => {
      const api = registryApi(sys);
      const details = DEMO_MANIFEST_DOCUMENTS[1];
      const added = 'query ClientType($clientId: ID!) {\n  client(clientId: $clientId) {\n    id\n    type\n  }\n}\n';
      const onSecond = async () => {
        const res = await fetch(second.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await sys.token({ product: 'PRD-TRUSTED' })}` }, body: JSON.stringify({ query: added, variables: VARS }) });
        return res.status;
      };
      expect((await as('PRD-TRUSTED', { query: added, variables: VARS })).status).toBe(403);

      const rev = await api.revisionOf('product', 'PRD-TRUSTED');
      const submitted = ok(
        await api.developerStaff('DEV-GOOD', 'mutation ($id: ID!, $rev: Int!, $docs: [String!]!) { submitOperationManifest(productId: $id, expectedRevision: $rev, documents: $docs, reason: "Release 2.2 adds client types") { revision pendingManifest { version submittedBy operations { hash } } manifest { version } } }', {
          id: 'PRD-TRUSTED',
          rev,
          docs: [CLIENT_NAME, details, added],
        }),
      ).submitOperationManifest;
      expect(submitted.pendingManifest).toMatchObject({ version: 2, submittedBy: 'staff-DEV-GOOD (dsp:developer)' });
      expect(submitted.pendingManifest.operations.map((o: { hash: string }) => o.hash)).toContain(sha(added));
      expect(submitted.manifest.version).toBe(1);
      await api.synced();
      // Pending is not approved: still refused, on both instances.
      expect((await as('PRD-TRUSTED', { query: added, variables: VARS })).status).toBe(403);
      expect(await onSecond()).toBe(403);

      // Developer staff cannot approve their own manifest.
      const selfApproved = await api.developerStaff('DEV-GOOD', 'mutation ($rev: Int!) { approveOperationManifest(productId: "PRD-TRUSTED", expectedRevision: $rev, manifestVersion: 2, reason: "mine") { revision } }', { rev: submitted.revision });
      expect(codesOf(selfApproved)).toEqual(['ROLE_REQUIRED']);

      const approved = ok(
        await api.admin('mutation ($rev: Int!) { approveOperationManifest(productId: "PRD-TRUSTED", expectedRevision: $rev, manifestVersion: 2, reason: "Reviewed the three documents", ticket: "CERT-22") { manifest { version approvedBy submittedBy } pendingManifest { version } effectiveTrustedDocuments } }', { rev: submitted.revision }),
      ).approveOperationManifest;
      expect(approved).toEqual({ manifest: { version: 2, approvedBy: 'admin-alice (ato:admin)', submittedBy: 'staff-DEV-GOOD (dsp:developer)' }, pendingManifest: null, effectiveTrustedDocuments: 'ENFORCE' });

      // In force on this instance once its snapshot catches up, and on the second within its poll.
      await api.synced();
      expect((await as('PRD-TRUSTED', { query: added, variables: VARS })).status).toBe(200);
      expect(await within(2000, async () => (await onSecond()) === 200)).toBeLessThan(Number.POSITIVE_INFINITY);

      const history = ok(await api.admin('{ productHistory(productId: "PRD-TRUSTED") { action actor reason ticket } }')).productHistory as Array<{ action: string; actor: string }>;
      expect(history).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'submitOperationManifest', actor: 'staff-DEV-GOOD (dsp:developer)' }),
          expect.objectContaining({ action: 'approveOperationManifest', actor: 'admin-alice (ato:admin)', ticket: 'CERT-22' }),
        ]),
      );
    });

    it('lets an admin switch a product to LOG and back to the default, each change taking effect', async () => {
      const api = registryApi(sys);
      const set = async (mode: string | null) =>
        ok(await api.admin('mutation ($rev: Int!, $mode: TrustedDocumentsMode) { setTrustedDocuments(productId: "PRD-TRUSTED", expectedRevision: $rev, mode: $mode, reason: "Pilot") { effectiveTrustedDocuments } }', { rev: await api.revisionOf('product', 'PRD-TRUSTED'), mode })).setTrustedDocuments;
      expect(await set('LOG')).toEqual({ effectiveTrustedDocuments: 'LOG' });
      await api.synced();
      expect((await as('PRD-TRUSTED', { query: UNCERTIFIED })).status).toBe(200);
      expect(await set(null)).toEqual({ effectiveTrustedDocuments: 'ENFORCE' });
      await api.synced();
      expect((await as('PRD-TRUSTED', { query: UNCERTIFIED })).status).toBe(403);
    });
  });
});
