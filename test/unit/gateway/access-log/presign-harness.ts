/** Shared harness for the presign-*-attack tests (session 32's review of the writer's presign). */
import { jest } from '@jest/globals';
import type { ChainBatch } from '../../../../audit/chain.js';
import type { Checkpoint } from '../../../../audit/record.js';
import { verifyAccessLog } from '../../../../audit/verify-store.js';
import type { SigningKey } from '../../../../core/keys.js';
import { OrderedStore } from './ordered-store.js';
import type { FakeRow } from './fake-store.js';

export const CHAIN_KEY = Buffer.alloc(32, 9);
export const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
export const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

/** An OrderedStore that notes, after every write, how many committed records no stored checkpoint covers. */
export class WatchedStore extends OrderedStore {
  /** max(committed seq) - max(stored checkpoint seq), after each call settled, per chain. */
  readonly uncovered: number[] = [];
  /** Rows / checkpoints in the order they were written (for "nothing after the final"). */
  readonly writes: Array<{ what: 'row' | 'cp'; seq: number; n?: number; final?: boolean }> = [];
  chain = '';
  constructor() {
    super();
    const rowsPush = this.rows.push.bind(this.rows);
    (this.rows as { push: (...r: FakeRow[]) => number }).push = (...r) => {
      for (const x of r) if (x.chainId === this.chain) this.writes.push({ what: 'row', seq: x.seq });
      return rowsPush(...r);
    };
    const cpPush = this.checkpoints.push.bind(this.checkpoints);
    (this.checkpoints as { push: (...c: Checkpoint[]) => number }).push = (...c) => {
      for (const x of c) if (x.chainId === this.chain) this.writes.push({ what: 'cp', seq: x.seq, n: x.n, final: x.final });
      return cpPush(...c);
    };
  }
  measure(): void {
    const rows = this.rows.filter((r) => r.chainId === this.chain).map((r) => r.seq);
    const cps = this.checkpoints.filter((c) => c.chainId === this.chain).map((c) => c.seq);
    this.uncovered.push(Math.max(0, ...rows) - Math.max(0, ...cps));
  }
  override appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
    const p = super.appendToChain(batch, checkpoints);
    p.then(() => this.measure(), () => this.measure());
    return p;
  }
  override appendToChainAfter(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<{ prevHash: string; hashes: string[] }> {
    const p = super.appendToChainAfter(batch, checkpoints);
    p.then(() => this.measure(), () => this.measure());
    return p;
  }
}

export const verified = async (store: OrderedStore, key: SigningKey, chainId: string) =>
  (await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === chainId);

/** Captures the writer's setInterval callback so a test fires the interval when it chooses. */
export function captureInterval(): { ticks: Array<() => void> } {
  const captured = { ticks: [] as Array<() => void> };
  const realSetInterval = globalThis.setInterval;
  jest.spyOn(globalThis, 'setInterval').mockImplementation(((callback: () => void) => {
    captured.ticks.push(callback);
    const h = realSetInterval(() => undefined, 3_600_000);
    h.unref();
    return h;
  }) as unknown as typeof setInterval);
  return captured;
}
