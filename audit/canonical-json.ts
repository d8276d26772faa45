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

function write(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`non-finite number ${value}`);
      // JSON.stringify gives the shortest round-trip form and turns -0 into 0.
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`a ${typeof value} cannot be canonicalised`);
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // As JSON.stringify does: an array keeps its length, so a hole or undefined is null.
      out += (i > 0 ? ',' : '') + write(item === undefined ? null : item);
    }
    return out + ']';
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + write(member);
    first = false;
  }
  return out + '}';
}

/** Serialises `value` canonically. Throws CanonicalJsonError on values JSON cannot carry. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) throw new CanonicalJsonError('undefined cannot be canonicalised');
  return write(value);
}
