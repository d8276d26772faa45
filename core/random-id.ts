/**
 * Every id the product mints, from one place and one library (`ulid`): time-ordered ids for
 * access records (ULID: 48-bit millisecond time, 80 random bits, Crockford base32, monotonic
 * within a millisecond and when the clock steps back), and readable random ids with a prefix for
 * register entries, incidents and alerts (Crockford base32: no I, L, O or U, so an id read aloud
 * or typed into a ticket is never ambiguous).
 *
 * Random characters come from a 4 KiB pool refilled by the CSPRNG (one system call per 4,096
 * characters rather than one per character, which is ulid's default for Node).
 */
import { randomFillSync } from 'node:crypto';
import { decodeTime, monotonicFactory, ulid } from 'ulid';

const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A uniform fraction in [0, 1) from one pooled random byte (ulid maps it onto 32 characters: 8 byte values each). */
function pooledRandom(): number {
  if (poolAt >= pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  return pool[poolAt++]! / 256;
}

const monotonic = monotonicFactory(pooledRandom);

/** A new time-ordered id (26 characters) for the instant `now` (ms). Ids from one process only increase. */
export function newTimeOrderedId(now: number): string {
  return monotonic(now);
}

/** The millisecond time encoded in a time-ordered id. */
export function timeOfId(id: string): number {
  return decodeTime(id);
}

/**
 * `<prefix>-` + `length` (at most 16) random Crockford base32 characters (5 bits each), e.g.
 * `DEV-7K2M9QX4D1`: the random part of a fresh ULID.
 */
export function newPrefixedId(prefix: string, length = 10): string {
  if (!Number.isInteger(length) || length < 1 || length > 16) throw new RangeError('newPrefixedId: length must be 1 to 16');
  return `${prefix}-${ulid(0, pooledRandom).slice(26 - length)}`;
}
