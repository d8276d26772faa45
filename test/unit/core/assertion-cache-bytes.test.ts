/**
 * Review s24 (cache audit): every cache on the request path is bounded in bytes, not only in entries.
 * The gateway's assertion signer keeps up to 10,000 assertions and the subgraphs' assertion
 * verifier up to 10,000 claims, whatever their size; a `sub` may be as long as a token
 * (TOKEN_MAX_BYTES, 8 KiB by default), and the signer keeps one entry per subgraph a caller
 * reaches, so 2,000 such callers held ~200 MB of keys and tokens in the gateway's heap (against
 * the token cache's 8 MiB). These tests fill each cache with 12-17 MB of distinct identities and
 * expect the first one to have been evicted (re-signed / re-verified), as a byte bound implies.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { createAssertionSigner, createAssertionVerifier, type AssertionClaims } from '../../../core/assertion.js';

const NOW = Date.parse('2025-03-01T00:00:00.000Z');
const LONG = 'u'.repeat(6_000);
const identity = (i: number): AssertionClaims => Object.freeze({ sub: `${LONG}-${i}`, org: '12345679016', softwareId: 'PRD-X', softwareVersion: '2.1.0', developerId: 'DEV-X', tier: 'STANDARD', roles: Object.freeze([]) as unknown as string[], mfa: false, requestId: null });
/** Distinct identities whose keys and assertions together hold about 17 MB. */
const COUNT = 600;

async function setup() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const clock = { now: NOW };
  const signer = createAssertionSigner({ privateKey, kid: 'k1', ttlS: 60, now: () => clock.now });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] };
  return { clock, signer, jwks };
}

describe('assertion caches are bounded in bytes', () => {
  it('the signer does not keep ~17 MB of assertions: the first identity is signed afresh', async () => {
    const { clock, signer } = await setup();
    // Not frozen claims objects the data source would keep alive: fresh copies each time, so only
    // the signer's own key-text cache can answer.
    const first = await signer.sign('clients', { ...identity(0) });
    for (let i = 1; i < COUNT; i++) await signer.sign('clients', { ...identity(i) });
    clock.now = NOW + 1_000; // well within the reuse window: only eviction makes it sign again
    expect((await signer.sign('clients', { ...identity(0) })) === first).toBe(false);
  });

  it('nor does its shortcut for frozen claims (one per memoised caller) keep or serve what the bound let go', async () => {
    const { clock, signer } = await setup();
    // The gateway keeps each caller's frozen claims alive while its token is cached: so does this test.
    const callers = Array.from({ length: COUNT }, (_, i) => identity(i));
    const first = await signer.sign('clients', callers[0]!);
    for (let i = 1; i < COUNT; i++) await signer.sign('clients', callers[i]!);
    clock.now = NOW + 1_000;
    expect((await signer.sign('clients', callers[0]!)) === first).toBe(false);
    // The newest identities are still held and reused through the shortcut.
    const last = callers[COUNT - 1]!;
    expect(await signer.sign('clients', last)).toBe(await signer.sign('clients', last));
  });

  it('the subgraph verifier does not keep ~12 MB of claims: the first assertion is verified afresh', async () => {
    const { signer, jwks } = await setup();
    const verifier = createAssertionVerifier({ jwks, audience: 'clients', now: () => NOW });
    const tokens: string[] = [];
    // The verifier keeps claims only (no token text): more identities to pass 8 MiB (~12 MB here).
    for (let i = 0; i < 1_000; i++) tokens.push(await signer.sign('clients', { ...identity(i) }));
    const firstClaims = await verifier.verify(tokens[0]!);
    for (let i = 1; i < tokens.length; i++) await verifier.verify(tokens[i]!);
    // A cache hit hands back the very object it stored.
    expect((await verifier.verify(tokens[0]!)) === firstClaims).toBe(false);
  });

  it('still reuses an assertion and a verification while they fit (the caches keep working)', async () => {
    const { signer, jwks } = await setup();
    const verifier = createAssertionVerifier({ jwks, audience: 'clients', now: () => NOW });
    const token = await signer.sign('clients', { ...identity(0) });
    expect(await signer.sign('clients', { ...identity(0) })).toBe(token);
    const claims = await verifier.verify(token);
    expect(await verifier.verify(token)).toBe(claims);
  });
});
