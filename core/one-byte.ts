/**
 * One-byte copies of strings that end up in every access record.
 *
 * V8 stores a string with one byte per character when it can, and with two otherwise; but a
 * string made from a two-byte string (a slice of a text that holds one character past Latin-1
 * anywhere, a concatenation with such a piece, a property name V8 first met in such a text) stays
 * two-byte even when every character of it is ASCII. One such string among a record's facts makes
 * the record's whole canonical text two-byte: twice the bytes copied to the SQLite write thread,
 * and a slower hash and insert there (docs/performance.md, thirty-second pass: 43,000 against
 * 51,000 records/s). The strings a cached operation analysis hands every request's record (field
 * coordinates, service names) are copied once, when the analysis is made.
 */

const BEYOND_LATIN1 = /[^\x00-\xff]/;

/** `s` as a flat one-byte string when every character fits in one byte; `s` itself otherwise. */
export function oneByte(s: string): string {
  return BEYOND_LATIN1.test(s) ? s : Buffer.from(s, 'latin1').toString('latin1');
}
