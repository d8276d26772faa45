/**
 * The assertion signer's reuse: an assertion is reused for the same audience and identity for
 * half its lifetime (by the injected clock), found by identity for a frozen claims object (what
 * the data source hands it), and never reused for an object whose values changed.
 */
import { exportJWK, generateKeyPair } from 'jose';
import { createAssertionSigner, createAssertionVerifier, type AssertionClaims } from '../../../core/assertion.js';

const NOW = Date.parse('2025-03-01T00:00:00.000Z');
const claims = (): AssertionClaims => ({ sub: 'user-1', org: '12345679016', softwareId: 'PRD-X', softwareVersion: '2.1.0', developerId: 'DEV-X', tier: 'STANDARD', roles: [], mfa: false, requestId: null });

async function setup() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const clock = { now: NOW };
  const signer = createAssertionSigner({ privateKey, kid: 'k1', ttlS: 60, now: () => clock.now });
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA' }] };
  const verify = (audience: string, token: string) => createAssertionVerifier({ jwks, audience, now: () => clock.now }).verify(token);
  return { clock, signer, verify };
}

describe('assertion signer', () => {
  it('reuses the assertion of a frozen claims object for half its lifetime, then signs anew', async () => {
    const { clock, signer, verify } = await setup();
    const frozen = Object.freeze({ ...claims(), roles: Object.freeze([]) as unknown as string[] });
    const first = await signer.sign('clients', frozen);
    clock.now = NOW + 29_000;
    expect(await signer.sign('clients', frozen)).toBe(first);
    clock.now = NOW + 30_000;
    const renewed = await signer.sign('clients', frozen);
    expect(renewed).not.toBe(first);
    expect(await verify('clients', renewed)).toMatchObject({ sub: 'user-1', org: '12345679016' });
  });

  it('signs for each audience on its own', async () => {
    const { signer, verify } = await setup();
    const frozen = Object.freeze({ ...claims(), roles: Object.freeze([]) as unknown as string[] });
    const clients = await signer.sign('clients', frozen);
    const accounts = await signer.sign('accounts', frozen);
    expect(accounts).not.toBe(clients);
    await expect(verify('accounts', accounts)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verify('accounts', clients)).rejects.toThrow();
  });

  it('never reuses an assertion for an object whose values changed (identity counts only for frozen claims)', async () => {
    const { signer, verify } = await setup();
    const mutable = claims();
    const first = await signer.sign('clients', mutable);
    mutable.org = '98765432122';
    const second = await signer.sign('clients', mutable);
    expect(second).not.toBe(first);
    expect((await verify('clients', second)).org).toBe('98765432122');
  });

  it('never reuses one identity\'s assertion for another whose claims would join to the same text', async () => {
    const { signer, verify } = await setup();
    const staff = (sub: string, developerId: string | null): AssertionClaims =>
      Object.freeze({ sub, org: null, softwareId: null, softwareVersion: null, developerId, tier: null, roles: Object.freeze(['dsp:developer']) as unknown as string[], mfa: true, requestId: null });
    // Pairs that a '|'-joined key (null written as "null") cannot tell apart; `sub` and `developer_id` may hold '|'.
    const pairs: Array<[AssertionClaims, AssertionClaims]> = [
      [staff('x|null', 'DEV-GOOD'), staff('x', 'null|DEV-GOOD')],
      [staff('z', null), staff('z', 'null')],
    ];
    const asserted: unknown[] = [];
    for (const [a, b] of pairs) {
      await signer.sign('registry', a);
      const asB = await verify('registry', await signer.sign('registry', b));
      asserted.push([asB.sub, asB.developerId]);
    }
    expect(asserted).toEqual(pairs.map(([, b]) => [b.sub, b.developerId]));
  });

  it('carries the subject\'s issuer when the gateway names one (several issuers), and never reuses one issuer\'s assertion for another\'s subject of the same name', async () => {
    const { signer, verify } = await setup();
    const at = (subjectIssuer?: string): AssertionClaims => Object.freeze({ ...claims(), roles: Object.freeze([]) as unknown as string[], ...(subjectIssuer ? { subjectIssuer } : {}) });
    const staff = await verify('registry', await signer.sign('registry', at('https://staff.example')));
    const products = await verify('registry', await signer.sign('registry', at('https://products.example')));
    const single = await verify('registry', await signer.sign('registry', at()));
    expect([staff.subjectIssuer, products.subjectIssuer, 'subjectIssuer' in single]).toEqual(['https://staff.example', 'https://products.example', false]);
    expect([staff.sub, products.sub, single.sub]).toEqual(['user-1', 'user-1', 'user-1']);
  });
});
