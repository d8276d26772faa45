/**
 * Every name of the supergraph, interned by V8 as a one-byte string before @apollo/gateway loads
 * the schema, and held for as long as the gateway runs.
 *
 * V8 stores a string one byte per character when it can, but some operations write a two-byte
 * string from one-byte characters: Array.prototype.join does whenever an element is a ThinString
 * (a string V8 interned in place after it was used as a property key), and @apollo/gateway's
 * schema printer joins such strings as it prints the supergraph and parses the text again. The
 * names parsed from that text were interned two-byte, and V8 hands the interned string back for
 * every equal name later used as a key: each answer's field names, the subgraph operations built
 * from them, the fields of every request's document once validated. Whole texts built from them
 * came out two-byte: twice the bytes to copy, and a slower encoding to UTF-8 for every response
 * (docs/performance.md, thirty-second pass). With one-byte copies interned first, V8 finds those.
 */
import { oneByte } from '../../core/one-byte.js';

/** A GraphQL name, and any word of a description: interning those too costs a few kilobytes. */
const NAME = /[_A-Za-z][_0-9A-Za-z]*/g;

/** The names of each gateway running in this process, as an object's keys (V8 forgets an interned string nothing refers to). */
const held = new Set<object>();

/** Interns a one-byte copy of every name in `sdl` and holds them until the returned function is called. */
export function internSchemaNames(sdl: string): () => void {
  const names: Record<string, true> = Object.create(null);
  for (const [name] of sdl.matchAll(NAME)) names[oneByte(name)] = true;
  held.add(names);
  return () => {
    held.delete(names);
  };
}
