/**
 * Text from the store (a forger's seq, a chain id) shown to auditors and written to a terminal:
 * control characters (C0, DEL, C1), line and paragraph separators and bidirectional controls are
 * written as \u escapes, so such text cannot erase or fake a line of the report.
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
