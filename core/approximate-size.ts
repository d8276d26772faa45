/**
 * Approximate heap bytes of a cached value, for caches bounded by size (lru-cache `maxSize`).
 * A rough V8 model: 16 bytes a header, 8 a slot, 2 a character; shared objects counted once per
 * value; AST locations (`loc`, which link the whole token stream) skipped. The walk stops after
 * `budget` nodes and reports `Infinity`, so a pathological value is simply not cached.
 */
export function approximateBytes(value: unknown, budget = 100_000): number {
  const seen = new Set<object>();
  let nodes = 0;
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (++nodes > budget) return Number.POSITIVE_INFINITY;
    if (typeof v === 'string') {
      total += 16 + 2 * v.length;
      continue;
    }
    if (v === null || typeof v !== 'object') {
      total += 8;
      continue;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v)) {
      total += 16 + 8 * v.length;
      for (const item of v) stack.push(item);
    } else if (v instanceof Map) {
      total += 32 + 24 * v.size;
      for (const [k, item] of v) stack.push(k, item);
    } else if (v instanceof Set) {
      total += 32 + 16 * v.size;
      for (const item of v) stack.push(item);
    } else {
      const keys = Object.keys(v);
      total += 16 + 8 * keys.length;
      for (const k of keys) if (k !== 'loc') stack.push((v as Record<string, unknown>)[k]);
    }
  }
  return total;
}

/**
 * approximateBytes as an lru-cache entry size: a whole number of at least 1 (lru-cache refuses 0
 * and fractions) and at most Number.MAX_SAFE_INTEGER (Infinity, a value past the walk's budget,
 * becomes an entry too large to keep).
 */
export function cacheEntryBytes(value: unknown): number {
  return Math.max(1, Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(approximateBytes(value))));
}

export const MIB = 1_048_576;
