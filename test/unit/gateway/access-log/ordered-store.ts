/**
 * The fake store (fake-store.ts) working as the SQLite write thread does, for the tests of batches
 * sent ahead (send-ahead*.test.ts): appends run one after another in the order they were made,
 * each call can be scripted (held, failed, its acknowledgement lost, answered with too few
 * hashes), and a batch sent ahead (FollowingAppends) is refused, with nothing written, unless the
 * chain's head is where the batch was sent to follow. Every call is logged with its seqs and how
 * it ended, and every row written while the seq before it was not stored is noted in `gaps`.
 */
import { chainBatch, type ChainBatch } from '../../../../audit/chain.js';
import type { ChainedAccessRecord, Checkpoint } from '../../../../audit/record.js';
import { StoreUnavailableError, type FollowingAppends } from '../../../../store/port.js';
import { FakeAccessLogStore } from './fake-store.js';

/**
 * 'holdThenLoseAck': held, then committed, and the caller hears a failure (a lost acknowledgement);
 * 'wrongCount': a batch sent ahead is committed and answered with one hash too few.
 */
export type Step = 'ok' | 'fail' | 'hold' | 'holdThenFail' | 'holdThenLoseAck' | 'wrongCount';

export interface Call {
  kind: 'ordinary' | 'ahead';
  seqs: number[];
  /** The numbers of the checkpoints sent with it. */
  checkpoints: Array<number | undefined>;
  outcome: 'pending' | 'ok' | 'failed' | 'refused';
}

export class OrderedStore extends FakeAccessLogStore implements FollowingAppends {
  /** The nth call takes script[n] ('ok' after the script). */
  script: Step[] = [];
  readonly calls: Call[] = [];
  /** Rows written while the seq before them was not stored: must stay empty. */
  readonly gaps: number[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private readonly gates = new Map<number, () => void>();

  /** Releases the nth call if it is held (or, without n, everything held with hold()). */
  override release(n?: number): void {
    if (n === undefined) return super.release();
    this.gates.get(n)?.();
  }

  /** Runs `op` after every call made before it has finished, as the write thread does. */
  private inOrder<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op, op);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async step(n: number, call: Call): Promise<Step> {
    const step = this.script[n] ?? 'ok';
    if (step.startsWith('hold')) await new Promise<void>((resolve) => this.gates.set(n, resolve));
    if (step === 'fail' || step === 'holdThenFail') {
      call.outcome = 'failed';
      throw new StoreUnavailableError('injected failure');
    }
    return step;
  }

  private store(records: ChainedAccessRecord[], checkpoints: Checkpoint[]): Promise<void> {
    for (const r of records) {
      const stored = (seq: number) => this.rows.some((row) => row.chainId === r.chainId && row.seq === seq);
      if (!stored(r.seq) && r.seq > 1 && !stored(r.seq - 1) && !records.some((o) => o.seq === r.seq - 1)) this.gaps.push(r.seq);
    }
    return super.appendAccessRecords(records, checkpoints);
  }

  override appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
    const n = this.calls.length;
    const call: Call = { kind: 'ordinary', seqs: batch.records.map((_, i) => batch.head.seq + 1 + i), checkpoints: checkpoints.map((c) => c.n), outcome: 'pending' };
    this.calls.push(call);
    return this.inOrder(async () => {
      const step = await this.step(n, call);
      const records = chainBatch(batch);
      await this.store(records, checkpoints);
      call.outcome = step === 'holdThenLoseAck' ? 'failed' : 'ok';
      if (step === 'holdThenLoseAck') throw new StoreUnavailableError('acknowledgement lost');
      return records.map((r) => r.hash);
    });
  }

  appendToChainAfter(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<{ prevHash: string; hashes: string[] }> {
    const n = this.calls.length;
    const call: Call = { kind: 'ahead', seqs: batch.records.map((_, i) => batch.head.seq + 1 + i), checkpoints: checkpoints.map((c) => c.n), outcome: 'pending' };
    this.calls.push(call);
    return this.inOrder(async () => {
      const step = await this.step(n, call);
      const head = this.heads.get(batch.chainId);
      if (!head || head.lastSeq !== batch.head.seq) {
        call.outcome = 'refused';
        throw new Error('the chain is not where the batch follows');
      }
      const records = chainBatch({ ...batch, head: { seq: head.lastSeq, hash: head.lastHash } });
      await this.store(records, checkpoints);
      call.outcome = 'ok';
      const hashes = records.map((r) => r.hash);
      return { prevHash: head.lastHash, hashes: step === 'wrongCount' ? hashes.slice(1) : hashes };
    });
  }
}
