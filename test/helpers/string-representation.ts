import { serialize } from 'node:v8';

/**
 * Whether V8 holds `s` one byte per character (core/one-byte.ts). Its serialised form says so:
 * the characters plus a few bytes of header, tag and length for a one-byte string; twice the
 * characters' length for a two-byte one.
 */
export function isOneByte(s: string): boolean {
  return serialize(s).length < s.length * 2;
}
