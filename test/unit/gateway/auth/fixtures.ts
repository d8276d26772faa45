/** Keys generated per test run, a fixed clock and a signer for odd tokens. */
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { loadConfig, type Config } from '../../../../core/config.js';

/** 2025-01-01T00:00:00Z: every test reads this clock, never the machine's. */
export const NOW_MS = Date.UTC(2025, 0, 1);
export const NOW_S = NOW_MS / 1000;

export interface TestKey {
  kid: string;
  alg: 'ES256' | 'ES384' | 'RS256';
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

export async function makeKey(alg: TestKey['alg'] = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  return { kid, alg, privateKey, publicKey, publicJwk: { ...publicJwk, kid, use: 'sig' } };
}

export function authConfig(overrides: Partial<Config['auth']> = {}): Config['auth'] {
  return { ...loadConfig({}).auth, ...overrides };
}

/** A well-formed product token's claims at NOW, 15 minutes of life. */
export function productClaims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: 'dsp-dev-issuer',
    aud: 'dsp-gateway',
    sub: 'alice',
    jti: 'jti-1',
    iat: NOW_S,
    exp: NOW_S + 900,
    software_id: 'PRD-CERTIFIED',
    software_version: '2.1.0',
    org: '12345679016',
    scope: 'clients.read lodgments.read',
    amr: ['pwd'],
    ...extra,
  };
}

/** Signs exactly the given claims (no defaults added), with the key's kid unless overridden. */
export function sign(key: TestKey, claims: Record<string, unknown>, header: { kid?: string; alg?: string } = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: header.alg ?? key.alg, kid: header.kid ?? key.kid, typ: 'JWT' }).sign(key.privateKey);
}

export const bearer = (token: string): string => `Bearer ${token}`;
