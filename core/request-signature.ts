/**
 * Binds every gateway→subgraph request to its assertion, its subgraph, its exact body and its
 * moment, so a captured request can neither be replayed nor reused with another body.
 *
 * The identity assertion (core/assertion.ts, an EdDSA JWT reused for half its lifetime because
 * signing is costly) says WHO; this signature says THIS REQUEST. The gateway sends
 *
 *   x-dsp-signature: v1;t=<ms since epoch>;n=<16 random bytes, base64url>;s=<HMAC-SHA256, base64url>
 *
 * where the HMAC (a key shared by the gateway and the subgraphs, SUBGRAPH_MAC_KEY) covers, with a
 * domain-separation prefix: the method, the subgraph name, `t`, `n`, the whole Authorization
 * header (the assertion) and every byte of the body. A subgraph accepts a request only when the
 * MAC matches (constant-time), `t` is within the acceptance window of its clock, and the nonce
 * has not been seen within that window (a bounded replay cache). HMAC rather than a per-request
 * signature: an Ed25519 signature costs tens of µs per fetch, an HMAC over a few hundred bytes a
 * few µs (bench/micro/request-signing.ts), and the subgraphs are ours, so a shared key is fine.
 */
import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-dsp-signature';
const VERSION = 'v1';
const DOMAIN = 'dsp-gateway subgraph request v1\n';
const NONCE_BYTES = 16;
/** Default acceptance window: how old (or, for clock skew, how far ahead) `t` may be, ms. */
export const DEFAULT_SIGNATURE_WINDOW_MS = 5_000;

export interface SignedRequest {
  /** The subgraph (the assertion's audience). */
  audience: string;
  method: string;
  /** The Authorization header value carrying the assertion. */
  authorization: string;
  body: string | Buffer;
}

function mac(key: Buffer, r: SignedRequest, t: number, nonce: string): Buffer {
  return createHmac('sha256', key)
    .update(`${DOMAIN}${r.method.toUpperCase()}\n${r.audience}\n${t}\n${nonce}\n${r.authorization.length}:`)
    .update(r.authorization)
    .update('\n')
    .update(r.body)
    .digest();
}

export interface RequestSigner {
  /** The signature header value for one request. */
  sign(request: SignedRequest): string;
}

/** Nonces are drawn from a 4 KiB pool refilled by the CSPRNG (one system call per 256 requests). */
export function createRequestSigner(options: { key: Buffer; now?: () => number }): RequestSigner {
  const now = options.now ?? Date.now;
  const pool = Buffer.alloc(4096);
  let at = pool.length;
  return {
    sign(request) {
      if (at + NONCE_BYTES > pool.length) {
        randomFillSync(pool);
        at = 0;
      }
      const nonce = pool.toString('base64url', at, at + NONCE_BYTES);
      at += NONCE_BYTES;
      const t = now();
      return `${VERSION};t=${t};n=${nonce};s=${mac(options.key, request, t, nonce).toString('base64url')}`;
    },
  };
}

export type SignatureVerdict = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'bad_signature' | 'replayed' | 'replay_cache_full' };

export interface RequestVerifier {
  verify(header: string | undefined, request: SignedRequest): SignatureVerdict;
  /** Nonces currently remembered (tests, metrics). */
  size(): number;
}

export interface RequestVerifierOptions {
  key: Buffer;
  now?: () => number;
  /** Acceptance window, ms. Default 5000. */
  windowMs?: number;
  /**
   * Nonces remembered at most (about 100 bytes each). Default 200,000: 20,000 subgraph requests
   * per second for a 5 s window, in about 20 MiB. When full of unexpired nonces, requests are
   * refused (fail closed) rather than accepted unchecked.
   */
  maxNonces?: number;
}

const HEADER = /^v1;t=(\d{1,16});n=([A-Za-z0-9_-]{22});s=([A-Za-z0-9_-]{43})$/;

export function createRequestVerifier(options: RequestVerifierOptions): RequestVerifier {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? DEFAULT_SIGNATURE_WINDOW_MS;
  const maxNonces = options.maxNonces ?? 200_000;
  /** nonce → instant after which it can no longer be replayed (its t + window), in insertion order. */
  const seen = new Map<string, number>();

  function forgetExpired(t: number): void {
    // Insertion order is arrival order and every entry lives the same window, so the expired ones
    // are (almost exactly) at the front; stop at the first live one.
    // Kept through its last instant: a request is fresh while |now - t| <= window, so a nonce
    // forgotten at t + window would let the request be replayed in that millisecond.
    for (const [nonce, until] of seen) {
      if (until >= t) break;
      seen.delete(nonce);
    }
  }

  return {
    verify(header, request) {
      if (!header) return { ok: false, reason: 'missing' };
      const m = HEADER.exec(header);
      if (!m) return { ok: false, reason: 'malformed' };
      const t = Number(m[1]);
      const nonce = m[2]!;
      const current = now();
      if (Math.abs(current - t) > windowMs) return { ok: false, reason: 'stale' };
      const expected = mac(options.key, request, t, nonce);
      const given = Buffer.from(m[3]!, 'base64url');
      // Checked before the nonce is remembered: forged requests cannot fill the replay cache.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
      forgetExpired(current);
      if (seen.has(nonce)) return { ok: false, reason: 'replayed' };
      if (seen.size >= maxNonces) return { ok: false, reason: 'replay_cache_full' };
      seen.set(nonce, t + windowMs);
      return { ok: true };
    },
    size: () => seen.size,
  };
}
