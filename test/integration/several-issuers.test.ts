/**
 * Several token issuers through the whole gateway (TOKEN_ISSUER_KEYS, TOKEN_ISSUER_GRANTS): a
 * products IdP and a staff IdP, each with its own keys and what it may issue. A token beyond its
 * issuer's grants is refused, and the access record names the issuer, since the two issuers'
 * subjects are not one space (the same `sub` from each is two people).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const PRODUCTS = 'https://products-idp.example';
const STAFF = 'https://staff-idp.example';
/** One subject name at both issuers: two different people. */
const SUB = 'jordan';
const STATUS_QUERY = '{ serviceStatus { name } }';

interface IssuerKey {
  kid: string;
  privateKey: CryptoKey;
  file: string;
}

async function issuerKey(dir: string, kid: string): Promise<IssuerKey> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const file = join(dir, `${kid}.jwks.json`);
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] }));
  return { kid, privateKey, file };
}

function sign(key: IssuerKey, iss: string, claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss, sub: SUB, aud: 'dsp-gateway', iat: now, exp: now + 600, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .sign(key.privateKey);
}

const product = { software_id: 'PRD-CERTIFIED', software_version: '2.1.0', org: '12345679016', scope: 'clients.read' };
const staffAs = (role: string) => ({ roles: [role], amr: ['pwd', 'mfa'] });

describe('several token issuers, each trusted for what it was granted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsp-issuers-'));
  let sys: TestSystem;
  let products: IssuerKey;
  let staff: IssuerKey;

  beforeAll(async () => {
    products = await issuerKey(dir, 'products-1');
    staff = await issuerKey(dir, 'staff-1');
    sys = await startTestSystem({
      auth: {
        issuerKeys: { [PRODUCTS]: products.file, [STAFF]: staff.file },
        issuerGrants: { [PRODUCTS]: ['product', 'dsp:developer'], [STAFF]: ['ato:admin', 'ato:auditor'] },
      },
      // A staff quota of three requests a minute, so one staff member's is spent within the test.
      rateLimits: { staff: { points: 3, duration: 60 }, anonymous: { points: 10_000, duration: 1 } },
    });
  });
  afterAll(async () => {
    await sys?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves what each issuer may issue, refuses what it may not, names the issuer in each record, and counts each issuer\'s subjects apart', async () => {
    expect((await sys.gql(STATUS_QUERY, { token: await sign(products, PRODUCTS, product) })).status).toBe(200);
    // Signed by the products IdP's own key, under its own name: a valid token, but not the products IdP's to give.
    const forged = await sys.gql(STATUS_QUERY, { token: await sign(products, PRODUCTS, staffAs('ato:admin')) });
    expect([forged.status, codesOf(forged), forged.body.errors?.[0]?.extensions?.reason]).toEqual([401, ['UNAUTHENTICATED'], 'issuer_grant']);

    // The staff IdP's auditor of the same name reads the log twice: the second read finds the
    // first's record too, and each record says whose `jordan` it was.
    const auditor = await sign(staff, STAFF, staffAs('ato:auditor'));
    const readLog = async (issuer?: string) => {
      const filter = `{ sub: "${SUB}"${issuer ? `, issuer: "${issuer}"` : ''} }`;
      const read = await sys.gql(`{ accessLogs(filter: ${filter}, first: 10) { nodes { sub issuer httpStatus roles } } }`, { token: auditor });
      expect([read.status, read.body.errors]).toEqual([200, undefined]);
      const nodes = (read.body.data as { accessLogs: { nodes: Array<{ sub: string; issuer: string | null; httpStatus: number; roles: string[] }> } }).accessLogs.nodes;
      return nodes.map((r) => [r.sub, r.issuer, r.httpStatus, r.roles]).reverse();
    };
    await readLog();
    expect(await readLog()).toEqual([
      [SUB, PRODUCTS, 200, []],
      [SUB, STAFF, 200, ['ato:auditor']],
    ]);
    // And an auditor can ask for one of the two.
    expect(await readLog(PRODUCTS)).toEqual([[SUB, PRODUCTS, 200, []]]);

    // Three reads spent the staff IdP's jordan's quota; the products IdP's jordan (a developer) has a quota of their own.
    expect((await sys.gql(STATUS_QUERY, { token: auditor })).status).toBe(429);
    const developer = await sign(products, PRODUCTS, { ...staffAs('dsp:developer'), developer_id: 'DEV-GOOD' });
    expect((await sys.gql(STATUS_QUERY, { token: developer })).status).toBe(200);
  });
});
