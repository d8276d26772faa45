/**
 * Several token issuers through the whole gateway (TOKEN_ISSUER_KEYS, TOKEN_ISSUER_GRANTS): a
 * products IdP and a staff IdP, each with its own keys and what it may issue. A token beyond its
 * issuer's grants is refused, and the access record and register history name the issuer, since
 * the two issuers' subjects are not one space (the same `sub` from each is two people).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devIssuerJwksPath, ensureKeys, type SigningKey } from '../../core/keys.js';
import { signDevToken, type DevTokenOptions } from '../../gateway/auth/dev-tokens.js';
import { codesOf, startTestSystem, type TestSystem } from '../helpers/system.js';

const PRODUCTS = 'https://products-idp.example';
const STAFF = 'https://staff-idp.example';
/** One subject name at both issuers: two different people. */
const SUB = 'jordan';
const STATUS_QUERY = '{ serviceStatus { name } }';

interface Issuer {
  iss: string;
  key: SigningKey;
  /** Its public key set, as TOKEN_ISSUER_KEYS names it. */
  jwksFile: string;
}

/** An issuer with a key pair of its own: a development issuer's, made under a directory of its own. */
async function issuerAt(dir: string, iss: string): Promise<Issuer> {
  return { iss, key: (await ensureKeys(dir)).issuer, jwksFile: devIssuerJwksPath(dir) };
}

describe('several token issuers, each trusted for what it was granted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsp-issuers-'));
  let sys: TestSystem;
  let products: Issuer;
  let staff: Issuer;
  /** A token `by` signs for jordan (a product token unless `options` name roles). */
  const sign = (by: Issuer, options: DevTokenOptions = {}) => signDevToken(by.key, { iss: by.iss, sub: SUB, ...options }, sys.config);

  beforeAll(async () => {
    products = await issuerAt(join(dir, 'products'), PRODUCTS);
    staff = await issuerAt(join(dir, 'staff'), STAFF);
    sys = await startTestSystem({
      auth: {
        issuerKeys: { [PRODUCTS]: products.jwksFile, [STAFF]: staff.jwksFile },
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
    expect((await sys.gql(STATUS_QUERY, { token: await sign(products) })).status).toBe(200);
    // Signed by the products IdP's own key, under its own name: a valid token, but not the products IdP's to give.
    const forged = await sys.gql(STATUS_QUERY, { token: await sign(products, { roles: ['ato:admin'], mfa: true }) });
    expect([forged.status, codesOf(forged), forged.body.errors?.[0]?.extensions?.reason]).toEqual([401, ['UNAUTHENTICATED'], 'issuer_grant']);

    // The staff IdP's auditor of the same name reads the log twice: the second read finds the
    // first's record too, and each record says whose `jordan` it was.
    const auditor = await sign(staff, { roles: ['ato:auditor'], mfa: true });
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
    const developer = await sign(products, { roles: ['dsp:developer'], mfa: true, developer: 'DEV-GOOD' });
    expect((await sys.gql(STATUS_QUERY, { token: developer })).status).toBe(200);
  });

  it('names the issuer in register history, so the same sub at two issuers is two actors', async () => {
    const sub = 'casey';
    const admin = await sign(staff, { sub, roles: ['ato:admin'], mfa: true });
    const developer = await sign(products, { sub, roles: ['dsp:developer'], mfa: true, developer: 'DEV-GOOD' });
    const ok = async (token: string, query: string) => {
      const r = await sys.gql(query, { token });
      expect([r.status, r.body.errors]).toEqual([200, undefined]);
      return r.body.data as Record<string, any>;
    };
    const { product } = await ok(admin, '{ product(id: "PRD-CERTIFIED") { revision } }');
    const { setMinimumVersion } = await ok(admin, `mutation { setMinimumVersion(productId: "PRD-CERTIFIED", expectedRevision: ${product.revision}, minimumVersion: "2.0.1", reason: "Issuer test") { revision } }`);
    await ok(developer, `mutation { submitOperationManifest(productId: "PRD-CERTIFIED", expectedRevision: ${setMinimumVersion.revision}, documents: ["{ serviceStatus { name } }"], reason: "Issuer test") { revision } }`);
    const { registryHistory } = await ok(admin, `{ registryHistory(filter: { actor: "${sub}" }) { action actor } }`);
    expect(registryHistory).toEqual([
      { action: 'submitOperationManifest', actor: `${sub} (dsp:developer, issuer ${PRODUCTS})` },
      { action: 'setMinimumVersion', actor: `${sub} (ato:admin, issuer ${STAFF})` },
    ]);
  });

  it('never lets one issuer\'s subject pass for another\'s actor: a history filter by a staff admin\'s whole actor finds only that admin', async () => {
    const admin = await sign(staff, { sub: 'drew', roles: ['ato:admin'], mfa: true });
    const whole = `drew (ato:admin, issuer ${STAFF})`;
    // The products IdP may issue developer tokens, under any sub it likes: here the staff admin's whole actor.
    const mimic = await sign(products, { sub: whole, roles: ['dsp:developer'], mfa: true, developer: 'DEV-GOOD' });
    const ok = async (token: string, query: string, variables?: Record<string, unknown>) => {
      const r = await sys.gql(query, { token, variables });
      expect([r.status, r.body.errors]).toEqual([200, undefined]);
      return r.body.data as Record<string, any>;
    };
    const { product } = await ok(admin, '{ product(id: "PRD-CERTIFIED") { revision } }');
    const { setMinimumVersion } = await ok(admin, `mutation { setMinimumVersion(productId: "PRD-CERTIFIED", expectedRevision: ${product.revision}, minimumVersion: "2.0.2", reason: "Issuer test") { revision } }`);
    await ok(mimic, `mutation { submitOperationManifest(productId: "PRD-CERTIFIED", expectedRevision: ${setMinimumVersion.revision}, documents: ["{ serviceStatus { name } }"], reason: "Issuer test") { revision } }`);
    // Read by another staff member: three requests a minute is the staff quota here.
    const reader = await sign(staff, { sub: 'robin', roles: ['ato:auditor'], mfa: true });
    const history = async (actor: string) => (await ok(reader, 'query($actor: String) { registryHistory(filter: { actor: $actor }) { action actor } }', { actor })).registryHistory;
    expect(await history(whole)).toEqual([{ action: 'setMinimumVersion', actor: whole }]);
    // The products IdP's subject is found by its sub, quoted as its actor writes it.
    expect(await history(JSON.stringify(whole))).toEqual([{ action: 'submitOperationManifest', actor: `${JSON.stringify(whole)} (dsp:developer, issuer ${PRODUCTS})` }]);
  });
});
