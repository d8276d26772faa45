/**
 * DPoP proofs for the load generator (RFC 9449): one fresh proof per request, signed
 * synchronously with node:crypto, because autocannon's `setupRequest` cannot wait for jose's
 * async signer. The gateway verifies them with jose like any client's. The signing cost lands on
 * the load generator, not on the gateway under test (its CPU per request is what the report compares).
 */
import { createHash, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';

/** A signer of proofs for `token` sent to `htu`, with the demo DPoP key under `dataDir/keys` (core/keys.ts ensureDemoDpopKey). */
export function demoProofSigner(dataDir: string, htu: string, token: string): (htm: string) => string {
  const privateJwk = JSON.parse(readFileSync(join(dataDir, 'keys', 'demo-dpop.private.json'), 'utf8')) as JWK;
  const key: KeyObject = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: privateJwk.kty, crv: privateJwk.crv, x: privateJwk.x, y: privateJwk.y } })).toString('base64url');
  const ath = createHash('sha256').update(token).digest('base64url');
  return (htm) => {
    const payload = Buffer.from(JSON.stringify({ jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ath })).toString('base64url');
    const input = `${header}.${payload}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
}
