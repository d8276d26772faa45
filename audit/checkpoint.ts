/**
 * Signed checkpoints: the gateway key signs {chainId, seq, hash, time} (canonical JSON, compact
 * JWS). A checkpoint proves that the chain reached `seq` with that `hash` at that time, so a
 * verifier can tell a removed tail (records the checkpoint covers but the store no longer has)
 * from a chain that simply ended, and a rewritten chain from the one the gateway wrote.
 */
import { CompactSign, compactVerify, createLocalJWKSet, type JWK } from 'jose';
import type { SigningKey } from '../core/keys.js';
import { canonicalJson } from './canonical-json.js';
import type { Checkpoint } from './record.js';

/** JWS `typ` of checkpoints, so no other signature by the same key (e.g. an assertion) passes as one. */
export const CHECKPOINT_TYP = 'dsp-audit-checkpoint+jws';
const ALGORITHMS = ['EdDSA', 'ES256'];

export type CheckpointBody = Omit<Checkpoint, 'signature'>;

/** What is signed: numbered checkpoints also sign their number and whether they are the last (older ones sign neither). */
function payloadOf(body: CheckpointBody): Uint8Array {
  const numbered = body.n !== undefined && body.n !== null;
  return new TextEncoder().encode(canonicalJson({ chainId: body.chainId, seq: body.seq, hash: body.hash, time: body.time, ...(numbered ? { n: body.n, final: body.final === true } : {}) }));
}

/** Signs the checkpoint body with the gateway key. */
export async function signCheckpoint(key: SigningKey, body: CheckpointBody): Promise<Checkpoint> {
  const signature = await new CompactSign(payloadOf(body)).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CHECKPOINT_TYP }).sign(key.privateKey);
  return { chainId: body.chainId, seq: body.seq, hash: body.hash, time: body.time, ...(body.n !== undefined ? { n: body.n, final: body.final === true } : {}), signature };
}

export type CheckpointVerdict = { ok: true } | { ok: false; reason: 'BAD_SIGNATURE' | 'WRONG_TYPE' | 'PAYLOAD_MISMATCH' };

/** A verifier bound to one public JWKS (the key set is prepared once). */
export function createCheckpointVerifier(publicJwks: { keys: JWK[] }): (checkpoint: Checkpoint) => Promise<CheckpointVerdict> {
  const keySet = createLocalJWKSet(publicJwks);
  return async (checkpoint) => {
    let result: Awaited<ReturnType<typeof compactVerify>>;
    try {
      result = await compactVerify(checkpoint.signature, keySet, { algorithms: ALGORITHMS });
    } catch {
      return { ok: false, reason: 'BAD_SIGNATURE' };
    }
    if (result.protectedHeader.typ !== CHECKPOINT_TYP) return { ok: false, reason: 'WRONG_TYPE' };
    // The stored columns must say exactly what was signed: a valid signature next to an edited seq is no proof.
    let stored: string;
    try {
      stored = new TextDecoder().decode(payloadOf(checkpoint));
    } catch {
      return { ok: false, reason: 'PAYLOAD_MISMATCH' }; // a stored column no longer JSON-representable (e.g. NaN seq)
    }
    if (new TextDecoder().decode(result.payload) !== stored) return { ok: false, reason: 'PAYLOAD_MISMATCH' };
    return { ok: true };
  };
}

/** One-off verification against the gateway's public JWKS. */
export function verifyCheckpoint(checkpoint: Checkpoint, publicJwks: { keys: JWK[] }): Promise<CheckpointVerdict> {
  return createCheckpointVerifier(publicJwks)(checkpoint);
}
