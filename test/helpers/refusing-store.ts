import type { Store } from '../../store/port.js';

/**
 * A real store whose access-log writes (appendToChain, appendCheckpoint) throw what `refusal()`
 * returns while it returns an error, as an unwritable database would; every other call, reads and
 * the ping included, goes through.
 */
export function withRefusedWrites(real: Store, refusal: () => Error | null): Store {
  return new Proxy(real, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (prop === 'appendToChain' || prop === 'appendCheckpoint') {
        return async (...args: unknown[]) => {
          const err = refusal();
          if (err) throw err;
          return (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
