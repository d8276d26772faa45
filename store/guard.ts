/**
 * The one guard every adapter puts between its parts and the port: each method of the part is
 * called through, and whatever the driver throws is translated into the port's errors
 * (StoreUnavailableError, StoreConflictError) by the adapter's own translator. The part is looked
 * up on every call, so a store that is closed (or not yet opened) fails like one.
 */
export function guardedPort<T extends object, K extends keyof T & string>(methods: readonly K[], part: () => T, translate: (err: unknown) => unknown): Pick<T, K> {
  const port = {} as Record<string, unknown>;
  for (const name of methods) {
    port[name] = async (...args: unknown[]) => {
      try {
        const target = part();
        return await (target[name] as (...a: unknown[]) => unknown).apply(target, args);
      } catch (err) {
        throw translate(err);
      }
    };
  }
  return port as Pick<T, K>;
}
