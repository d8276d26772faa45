import { randomBytes } from 'node:crypto';
import { createRequestSigner, createRequestVerifier, type SignedRequest } from '../../../core/request-signature.js';

const key = randomBytes(32);
const request: SignedRequest = { audience: 'clients', method: 'POST', authorization: 'Bearer assertion.jwt.here', body: '{"query":"{ client(clientId: \\"C-000001\\") { id } }"}' };

function setup(options: { windowMs?: number; maxNonces?: number } = {}) {
  const clock = { now: 1_800_000_000_000 };
  const signer = createRequestSigner({ key, now: () => clock.now });
  const verifier = createRequestVerifier({ key, now: () => clock.now, ...options });
  return { clock, signer, verifier };
}

describe('request signature', () => {
  it('accepts a fresh signed request once and refuses its replay', () => {
    const { signer, verifier } = setup();
    const header = signer.sign(request);
    expect(verifier.verify(header, request)).toEqual({ ok: true });
    expect(verifier.verify(header, request)).toEqual({ ok: false, reason: 'replayed' });
  });

  it.each<[string, Partial<SignedRequest>]>([
    ['another body', { body: request.body.toString().replace('000001', '000002') }],
    ['another subgraph', { audience: 'accounts' }],
    ['another method', { method: 'GET' }],
    ['another assertion', { authorization: 'Bearer other.jwt.here' }],
  ])('refuses the signature for %s', (_label, change) => {
    const { signer, verifier } = setup();
    expect(verifier.verify(signer.sign(request), { ...request, ...change })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('refuses a signature made with another key', () => {
    const { clock, verifier } = setup();
    const other = createRequestSigner({ key: randomBytes(32), now: () => clock.now });
    expect(verifier.verify(other.sign(request), request)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts within the window and refuses outside it, in both directions', () => {
    const { clock, signer, verifier } = setup({ windowMs: 5_000 });
    const at = clock.now;
    const header = () => signer.sign(request);
    const h1 = header();
    clock.now = at + 5_000;
    expect(verifier.verify(h1, request)).toEqual({ ok: true });
    clock.now = at;
    const h2 = header();
    clock.now = at + 5_001;
    expect(verifier.verify(h2, request)).toEqual({ ok: false, reason: 'stale' });
    clock.now = at + 10_000;
    const ahead = header();
    clock.now = at + 4_000;
    expect(verifier.verify(ahead, request)).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses a replay at the last instant of the window, when the request is still fresh (review s18a F2)', () => {
    const { clock, signer, verifier } = setup({ windowMs: 5_000 });
    const header = signer.sign(request);
    expect(verifier.verify(header, request)).toEqual({ ok: true });
    clock.now += 4_999;
    expect(verifier.verify(header, request)).toEqual({ ok: false, reason: 'replayed' });
    clock.now += 1; // exactly t + window
    expect(verifier.verify(header, request)).toEqual({ ok: false, reason: 'replayed' });
    clock.now += 1;
    expect(verifier.verify(header, request)).toEqual({ ok: false, reason: 'stale' });
  });

  it('refuses a missing or malformed header', () => {
    const { signer, verifier } = setup();
    expect(verifier.verify(undefined, request)).toEqual({ ok: false, reason: 'missing' });
    expect(verifier.verify('v1;t=1;n=x;s=y', request)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifier.verify(`${signer.sign(request)} `, request)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('forgets nonces once their window has passed, and fails closed when full of live ones', () => {
    const { clock, signer, verifier } = setup({ windowMs: 1_000, maxNonces: 2 });
    expect(verifier.verify(signer.sign(request), request).ok).toBe(true);
    expect(verifier.verify(signer.sign(request), request).ok).toBe(true);
    expect(verifier.verify(signer.sign(request), request)).toEqual({ ok: false, reason: 'replay_cache_full' });
    clock.now += 1_000;
    expect(verifier.verify(signer.sign(request), request)).toEqual({ ok: false, reason: 'replay_cache_full' });
    clock.now += 1;
    expect(verifier.verify(signer.sign(request), request)).toEqual({ ok: true });
    expect(verifier.size()).toBe(1);
  });

  it('does not let forged requests fill the replay cache', () => {
    const { signer, verifier } = setup({ maxNonces: 1 });
    for (let i = 0; i < 10; i++) verifier.verify(signer.sign(request), { ...request, body: `forged ${i}` });
    expect(verifier.size()).toBe(0);
    expect(verifier.verify(signer.sign(request), request)).toEqual({ ok: true });
  });

  it('draws a different nonce for every request', () => {
    const { signer } = setup();
    const nonces = new Set(Array.from({ length: 1000 }, () => /;n=([^;]+);/.exec(signer.sign(request))![1]));
    expect(nonces.size).toBe(1000);
  });
});
