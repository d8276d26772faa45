import { beforeAll, describe, expect, it } from '@jest/globals';
import { CompactSign } from 'jose';
import { createCheckpointVerifier, signCheckpoint, verifyCheckpoint } from '../../../audit/checkpoint.js';
import { GENESIS_HASH } from '../../../audit/record.js';
import type { SigningKey } from '../../../core/keys.js';
import { testSigningKey } from './fixtures.js';

describe('checkpoints', () => {
  let key: SigningKey;
  let other: SigningKey;
  beforeAll(async () => {
    [key, other] = await Promise.all([testSigningKey(), testSigningKey()]);
  });
  const body = { chainId: 'c-1', seq: 7, hash: 'ab'.repeat(32), time: '2025-01-01T00:00:00.000Z' };

  it('verifies a checkpoint signed with the gateway key', async () => {
    const checkpoint = await signCheckpoint(key, body);
    expect(checkpoint).toMatchObject(body);
    expect(await verifyCheckpoint(checkpoint, key.publicJwks)).toEqual({ ok: true });
  });

  it('refuses a checkpoint signed with another key', async () => {
    const checkpoint = await signCheckpoint(other, body);
    expect(await verifyCheckpoint(checkpoint, key.publicJwks)).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });

  it.each([['seq', 8], ['hash', GENESIS_HASH], ['chainId', 'c-2'], ['time', '2025-01-02T00:00:00.000Z']])('refuses a checkpoint whose %s column was edited after signing', async (field, value) => {
    const checkpoint = { ...(await signCheckpoint(key, body)), [field]: value };
    expect(await verifyCheckpoint(checkpoint, key.publicJwks)).toEqual({ ok: false, reason: 'PAYLOAD_MISMATCH' });
  });

  it('refuses a garbled signature', async () => {
    const checkpoint = await signCheckpoint(key, body);
    expect((await verifyCheckpoint({ ...checkpoint, signature: checkpoint.signature.slice(0, -4) + 'AAAA' }, key.publicJwks)).ok).toBe(false);
    expect((await verifyCheckpoint({ ...checkpoint, signature: 'not-a-jws' }, key.publicJwks)).ok).toBe(false);
  });

  it('refuses another JWS by the same key that is not a checkpoint', async () => {
    const payload = new TextEncoder().encode(JSON.stringify(body));
    const signature = await new CompactSign(payload).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).sign(key.privateKey);
    expect(await createCheckpointVerifier(key.publicJwks)({ ...body, signature })).toEqual({ ok: false, reason: 'WRONG_TYPE' });
  });
});
