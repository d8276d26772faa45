/**
 * Canonical JSON: the one byte string a value hashes and signs as, whoever serialises it.
 * Object keys sorted by UTF-16 code unit (as RFC 8785 JCS does), no whitespace, numbers in
 * ECMAScript shortest round-trip form (what JSON.stringify already emits, `-0` as `0`), object
 * members whose value is `undefined` dropped. Values JSON cannot represent faithfully
 * (NaN, Infinity, bigint, functions, symbols) throw instead of silently becoming `null`, so a
 * hash never covers something other than what the caller thought it did.
 */

export class CanonicalJsonError extends Error {
  override readonly name = 'CanonicalJsonError';
}

function write(value: unknown, out: string[], path: string): void {
  if (value === null) {
    out.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${path || '(root)'}: non-finite number`);
      // JSON.stringify gives the shortest round-trip form and turns -0 into 0.
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${path || '(root)'}: ${typeof value} cannot be canonicalised`);
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') {
    write(withToJson.toJSON(), out, path);
    return;
  }
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item: unknown = value[i];
      // As JSON.stringify does: an array keeps its length, so a hole or undefined is null.
      write(item === undefined ? null : item, out, `${path}[${i}]`);
    }
    out.push(']');
    return;
  }
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  out.push('{');
  entries.forEach((key, i) => {
    if (i > 0) out.push(',');
    out.push(JSON.stringify(key), ':');
    write((value as Record<string, unknown>)[key], out, path ? `${path}.${key}` : key);
  });
  out.push('}');
}

/** Serialises `value` canonically. Throws CanonicalJsonError on values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) throw new CanonicalJsonError('(root): undefined cannot be canonicalised');
  const out: string[] = [];
  write(value, out, '');
  return out.join('');
}
