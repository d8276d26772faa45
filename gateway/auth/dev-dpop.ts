/**
 * DPoP proofs (RFC 9449 §4) signed with a key the caller holds: the demo key for
 * `npm run token -- --dpop`, generated keys in tests. What a DSP product's client library does
 * for every request; the gateway never signs proofs itself.
 */
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, type CryptoKey, type JWK } from 'jose';

export interface ProofKey {
  alg: string;
  privateKey: CryptoKey;
  /** The public JWK the proof carries in its header (no private members). */
  publicJwk: JWK;
}

export interface ProofOptions {
  /** The request's method. */
  htm: string;
  /** The request's URL without query or fragment. */
  htu: string;
  /** The access token the proof goes with (its hash becomes `ath`). Omit to leave `ath` out. */
  accessToken?: string;
  /** `jti`. Default a random UUID. */
  jti?: string;
  /** Issue time, ms since the epoch. Default `Date.now()`. */
  now?: number;
  /** Claims to add or override (tests of odd proofs). */
  extraClaims?: Record<string, unknown>;
  /** Protected-header members to add or override (tests of odd proofs). */
  extraHeader?: Record<string, unknown>;
}

/** base64url SHA-256 of the access token: a proof's `ath`. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export async function signDpopProof(key: ProofKey, options: ProofOptions): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: Math.floor((options.now ?? Date.now()) / 1000),
    ...(options.accessToken !== undefined ? { ath: accessTokenHash(options.accessToken) } : {}),
    ...options.extraClaims,
  };
  return new SignJWT(claims).setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...options.extraHeader }).sign(key.privateKey);
}
