/**
 * The fake store (fake-store.ts) with its appendToChain scripted per call, for the writer's
 * pipeline attacks: the nth call takes script[n] ('ok' after the script); a held call waits for
 * release(n). Every call is logged with its seqs, its checkpoints and how it ended.
 */
import type { ChainBatch } from '../../../../audit/chain.js';
import type { Checkpoint } from '../../../../audit/record.js';
import { StoreUnavailableError } from '../../../../store/port.js';
import { FakeAccessLogStore } from './fake-store.js';

/** 'failAfterCommit': committed, then the acknowledgement is lost; 'holdThenFail': held, then fails on release. */
export type Step = 'ok' | 'fail' | 'failAfterCommit' | 'hold' | 'holdThenFail';

export class ScriptedStore extends FakeAccessLogStore {
  script: Step[] = [];
  readonly calls: Array<{ seqs: number[]; checkpoints: Checkpoint[]; outcome: 'pending' | 'ok' | 'failed' }> = [];
  private readonly gates = new Map<number, () => void>();

  override release(n?: number): void {
    if (n === undefined) return super.release();
    this.gates.get(n)?.();
  }

  override async appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
    const n = this.calls.length;
    const firstSeq = batch.head.seq + 1;
    const call = { seqs: batch.records.map((_, i) => firstSeq + i), checkpoints: [...checkpoints], outcome: 'pending' as 'pending' | 'ok' | 'failed' };
    this.calls.push(call);
    const step = this.script[n] ?? 'ok';
    if (step === 'hold' || step === 'holdThenFail') await new Promise<void>((resolve) => this.gates.set(n, resolve));
    if (step === 'fail' || step === 'holdThenFail') {
      call.outcome = 'failed';
      throw new StoreUnavailableError('injected failure');
    }
    const hashes = await super.appendToChain(batch, checkpoints);
    if (step === 'failAfterCommit') {
      call.outcome = 'failed';
      throw new StoreUnavailableError('acknowledgement lost');
    }
    call.outcome = 'ok';
    return hashes;
  }
}
