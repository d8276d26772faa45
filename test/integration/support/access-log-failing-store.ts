/**
 * A store whose access-log writes fail on demand: wraps a real store and makes
 * `appendAccessRecords` and `appendCheckpoint` reject while `failing` is set. Everything else
 * (register, rate limits, reads) passes through, so only the access log is "unwritable".
 */
import type { ChainedAccessRecord } from '../../../audit/record.js';
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

const WRITES = new Set<PropertyKey>(['appendAccessRecords', 'appendCheckpoint']);

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
        await bound(...args);
        if (prop === 'appendAccessRecords') {
          const at = Date.now();
          for (const r of args[0] as ChainedAccessRecord[]) state.committedAt.set(r.requestId, at);
        }
      };
    },
  });
  return state;
}
