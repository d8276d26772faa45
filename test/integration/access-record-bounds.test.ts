/**
 * Review s19d: what an anonymous caller (or a product token's claims) can make the gateway write
 * into one access record. The operation limits bound an admitted request's client ids (aliases,
 * root fields); the record of a request refused before Apollo ran is described from its document
 * without those limits. And token claims (jti, software_version, software_id) go into the record
 * as they came, although audit/sanitize.ts promises claims are cleaned and capped at 256.
 */
import { startTestSystem, codesOf, type TestSystem } from '../helpers/system.js';
import { allAccessLogs, AUDITOR } from '../integration/support/access-log-auditor.js';
import { SANITIZE_LIMITS } from '../../audit/sanitize.js';

describe('review s19d: access record bounds', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('an anonymous request cannot write more client digests into its record than an admitted request may name (aliases bound)', async () => {
    const n = 300;
    const fields = Array.from({ length: n }, (_, i) => `a${i}: client(clientId: "C-${String(i + 1).padStart(6, '0')}") { id }`).join(' ');
    const query = `query Enumerate { ${fields} }`;
    const r = await sys.post(JSON.stringify({ query }));
    expect(codesOf(r)).toEqual(['UNAUTHENTICATED']);
    // The same document from an admitted product is refused by the operation limits.
    const admitted = await sys.gql(query, { token: await sys.token({ product: 'PRD-CERTIFIED' }) });
    expect(codesOf(admitted)).toContain('OPERATION_LIMIT_EXCEEDED');
    const { records } = await allAccessLogs(sys, await sys.token(AUDITOR), { operationName: 'Enumerate' }, 50);
    const anonymous = records.find((x) => x.sub === null)!;
    expect(anonymous).toBeDefined();
    // OP_MAX_ALIASES is 30, OP_MAX_ROOT_FIELDS 10: an admitted request can never name more (300 before the fix).
    expect(anonymous.clientDigests.length).toBeLessThanOrEqual(sys.config.operationLimits.maxAliases + sys.config.operationLimits.maxRootFields);
  });

  it('token claims are cleaned and capped like every other untrusted string in the record', async () => {
    const jti = `\u202eevil\u0007${'x'.repeat(2000)}`;
    const r = await sys.gql('query ClaimProbe { serviceStatus { status } }', { token: await sys.token({ product: 'PRD-NOBODY', jti, version: `1.0.0\u001b[31m${'y'.repeat(2000)}` }) });
    expect(r.status).toBe(403);
    const { records } = await allAccessLogs(sys, await sys.token(AUDITOR), { productId: 'PRD-NOBODY' }, 50);
    const rec = records.find((x) => x.operationName === 'ClaimProbe')!;
    expect(rec).toBeDefined();
    expect(rec.jti!.length).toBeLessThanOrEqual(SANITIZE_LIMITS.claim);
    expect(rec.jti).not.toMatch(/[\u202e\u0007]/);
    expect(rec.productVersion!.length).toBeLessThanOrEqual(SANITIZE_LIMITS.claim);
    expect(rec.productVersion).not.toMatch(/\u001b/);
  });
});
