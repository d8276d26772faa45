/**
 * Checkpoint signatures, scripted, for the writer's attack suites (handover-attack,
 * sign-timeout-attack). jose signs through WebCrypto, so a spy on crypto.subtle.sign (spyOnSigning)
 * lets each checkpoint's signature, told apart from a ledger entry's by its JWS `typ`, be held,
 * failed or passed, one by one.
 */
import { jest } from '@jest/globals';
import { CHECKPOINT_TYP } from '../../../../audit/checkpoint.js';
import type { FakeAccessLogStore } from './fake-store.js';

/** What the nth checkpoint signature does: pass, wait for release(n), fail, or wait and then fail. */
export type SignStep = 'pass' | 'hold' | 'fail' | 'holdThenFail';

/**
 * Scripts the checkpoint signatures made after `arm()`: the nth one takes script[n] ('pass' after
 * the script); a held one waits for release(n). Ledger signatures always pass.
 */
export class SignGate {
  script: SignStep[] = [];
  armed = false;
  readonly calls: Array<{ seq: number; n: number; final: boolean; outcome: 'pending' | 'ok' | 'failed'; afterClose: boolean }> = [];
  /** Set by a test once flushAndClose has settled: a signature started after it is flagged (afterClose). */
  closed = false;
  /** Signatures let through (by the script or a release) and not yet finished: WebCrypto's own time. */
  readonly signing = new Set<Promise<unknown>>();
  private readonly gates = new Map<number, () => void>();

  arm(script: SignStep[]): void {
    this.script = script;
    this.armed = true;
  }

  release(n: number): void {
    this.gates.get(n)?.();
  }

  /** Called by the crypto.subtle.sign spy before each signature. */
  async before(data: Uint8Array): Promise<void> {
    if (!this.armed) return;
    const [header, payload] = Buffer.from(data).toString('latin1').split('.');
    const typ = (JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as { typ?: string }).typ;
    if (typ !== CHECKPOINT_TYP) return;
    const body = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as { seq: number; n: number; final: boolean };
    const i = this.calls.length;
    const call = { seq: body.seq, n: body.n, final: body.final, outcome: 'pending' as 'pending' | 'ok' | 'failed', afterClose: this.closed };
    this.calls.push(call);
    const step = this.script[i] ?? 'pass';
    if (step === 'hold' || step === 'holdThenFail') await new Promise<void>((resolve) => this.gates.set(i, resolve));
    if (step === 'fail' || step === 'holdThenFail') {
      call.outcome = 'failed';
      throw new Error('injected signing failure (key store unavailable)');
    }
    call.outcome = 'ok';
  }
}

/** Routes every WebCrypto signature through the gate `current()` returns (call in beforeAll; jest.restoreAllMocks undoes it). */
export function spyOnSigning(current: () => SignGate): void {
  const subtle = globalThis.crypto.subtle;
  const realSign = subtle.sign.bind(subtle);
  jest.spyOn(subtle, 'sign').mockImplementation(async (algorithm, cryptoKey, data) => {
    const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    const gate = current();
    await gate.before(bytes);
    const signature = realSign(algorithm, cryptoKey, data);
    gate.signing.add(signature);
    const done = () => gate.signing.delete(signature);
    signature.then(done, done);
    return signature;
  });
}

/** A chain's stored checkpoints, one per signature (the fake store keeps a re-sent one twice). */
export const storedCheckpointsOf = (store: FakeAccessLogStore, chainId: string) => [...new Map(store.checkpoints.filter((c) => c.chainId === chainId).map((c) => [c.signature, c])).values()];
