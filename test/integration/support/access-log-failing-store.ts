/**
 * A store whose access-log writes fail on demand: wraps a real store and makes
 * `appendAccessRecords`, `appendToChain` (the writer's path) and `appendCheckpoint` reject while
 * `failing` is set. Everything else
 * (register, rate limits, reads) passes through, so only the access log is "unwritable".
 */
import type { ChainBatch } from '../../../audit/chain.js';
import type { AccessRecord, ChainedAccessRecord } from '../../../audit/record.js';
import { StoreUnavailableError, type Store } from '../../../store/port.js';

export interface SwitchableStore {
  store: Store;
  /** While true, access-log writes reject with StoreUnavailableError. */
  failing: boolean;
  /** Access-log writes refused so far. */
  refusedWrites: number;
  /** requestId → the moment (ms) its record's transaction committed (resolved). */
  committedAt: Map<string, number>;
}

const WRITES = new Set<PropertyKey>(['appendAccessRecords', 'appendToChain', 'appendCheckpoint']);

export function createSwitchableStore(inner: Store): SwitchableStore {
  const state: SwitchableStore = { store: inner, failing: false, refusedWrites: 0, committedAt: new Map() };
  state.store = new Proxy(inner, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...args: unknown[]) => unknown).bind(target);
      if (!WRITES.has(prop)) return bound;
      return async (...args: unknown[]) => {
        if (state.failing) {
          state.refusedWrites += 1;
          throw new StoreUnavailableError('injected: the access log is unwritable');
        }
        const result = await bound(...args);
        const at = Date.now();
        if (prop === 'appendAccessRecords') for (const r of args[0] as ChainedAccessRecord[]) state.committedAt.set(r.requestId, at);
        if (prop === 'appendToChain') for (const facts of (args[0] as ChainBatch).records) state.committedAt.set((JSON.parse(facts) as AccessRecord).requestId, at);
        return result;
      };
    },
  });
  return state;
}
