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

/**
 * A KeyTable whose source-address keys (`ip:…`, which any caller makes anew by sending from a new
 * address) and the other keys (`product:…`, `org:…`, from verified tokens) are held in two halves
 * of `maxKeys` each forgetting its own least recently seen: a flood of new source addresses
 * cannot evict a product's or an org's state and so reset its counts (review s19c F3).
 */
export class SplitKeyTable<S extends object> {
  private readonly sources: KeyTable<S>;
  private readonly others: KeyTable<S>;

  constructor(maxKeys: number, create: (key: string) => S) {
    const half = Math.max(1, Math.floor(maxKeys / 2));
    this.sources = new KeyTable(half, create);
    this.others = new KeyTable(Math.max(1, Math.floor(maxKeys) - half), create);
  }

  get(key: string): S {
    return (key.startsWith('ip:') ? this.sources : this.others).get(key);
  }

  get size(): number {
    return this.sources.size + this.others.size;
  }
}
