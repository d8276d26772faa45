/**
 * Review s24: the signer's cache became "least recently used first", but an assertion reused
 * through the shortcut for a memoised caller's frozen claims (the gateway's usual path) never
 * touched the LRU, so the busiest callers counted as the least recently used and were the first
 * the bound dropped (then signed again), while idle ones stayed.
 */
import { generateKeyPair } from 'jose';
import { createAssertionSigner, type AssertionClaims } from '../../../core/assertion.js';

const NOW = Date.parse('2025-03-01T00:00:00.000Z');
const caller = (sub: string): AssertionClaims => Object.freeze({ sub, org: '12345679016', softwareId: 'PRD-X', softwareVersion: '2.1.0', developerId: 'DEV-X', tier: 'STANDARD', roles: Object.freeze([]) as unknown as string[], mfa: false, requestId: null });

it('an assertion reused through the frozen-claims shortcut counts as used: the idle one is evicted, not it', async () => {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const clock = { now: NOW };
  const signer = createAssertionSigner({ privateKey, kid: 'k1', ttlS: 60, now: () => clock.now, maxCached: 2 });
  const [busy, idle, newcomer] = [caller('busy'), caller('idle'), caller('newcomer')];
  const busyToken = await signer.sign('clients', busy);
  await signer.sign('clients', idle);
  clock.now = NOW + 1_000; // within the reuse window (30 s); a fresh signature would differ (iat)
  expect(await signer.sign('clients', busy)).toBe(busyToken); // used again, through the shortcut
  await signer.sign('clients', newcomer); // the bound (2) drops the least recently used: idle
  expect(await signer.sign('clients', busy)).toBe(busyToken);
});
