/**
 * Event-loop turns, counted, for the writer's gathering tests (gather.test.ts, gather-attack.test.ts):
 * a ticker that re-arms itself with setImmediate, and the scripted store noting the ticker's count
 * as each call reaches it. No timers, no sleeps.
 */
import type { ChainBatch } from '../../../../audit/chain.js';
import type { Checkpoint } from '../../../../audit/record.js';
import { ScriptedStore } from './scripted-store.js';

/** Counts event-loop turns from start() until stop(). */
export class Ticker {
  ticks = 0;
  private running = false;
  /** Called at every tick (before it re-arms). */
  onTick: (() => void) | null = null;
  start(): void {
    this.running = true;
    const tick = () => {
      if (!this.running) return;
      this.ticks += 1;
      this.onTick?.();
      setImmediate(tick);
    };
    setImmediate(tick);
  }
  stop(): void {
    this.running = false;
  }
}

/** The scripted store, noting the ticker's count as each call arrives. */
export class TurnStore extends ScriptedStore {
  readonly ticksAtCall: number[] = [];
  constructor(private readonly ticker: Ticker) {
    super();
  }
  override appendToChain(batch: ChainBatch, checkpoints: Checkpoint[] = []): Promise<string[]> {
    this.ticksAtCall.push(this.ticker.ticks);
    return super.appendToChain(batch, checkpoints);
  }
}
