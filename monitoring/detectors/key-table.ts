/**
 * Per-key detector state with a hard cap on the number of keys: the least recently seen key is
 * forgotten first (LRU, lru-cache). A flood of new keys (a new source IP or product id per
 * request) therefore costs at most `maxKeys` states, and the keys still active stay tracked.
 */
import { LRUCache } from 'lru-cache';

export class KeyTable<S extends object> {
  private readonly cache: LRUCache<string, S>;

  constructor(
    maxKeys: number,
    private readonly create: (key: string) => S,
  ) {
    this.cache = new LRUCache<string, S>({ max: Math.max(1, Math.floor(maxKeys)) });
  }

  /** The key's state, created when absent; marks the key as recently seen. */
  get(key: string): S {
    let state = this.cache.get(key);
    if (!state) {
      state = this.create(key);
      this.cache.set(key, state);
    }
    return state;
  }

  get size(): number {
    return this.cache.size;
  }
}
