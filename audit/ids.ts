/**
 * Access record ids: ULID-shaped (26 Crockford base32 characters: 48-bit millisecond time, then
 * 80 random bits), so ids sort by time as text and are unique without coordination between
 * gateway instances. Within one millisecond the random part is incremented rather than redrawn,
 * so ids from one process are strictly increasing (ULID's monotonic mode).
 */
import { randomBytes, randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

let lastTime = -1;
/** 16 base32 digits (5 bits each) of the random part, most significant first. */
let lastRandom: number[] = [];

function encodeTime(time: number): string {
  let out = '';
  let t = time;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[t % 32]! + out;
    t = Math.floor(t / 32);
  }
  return out;
}

/** Random bytes drawn 4 KiB at a time (one CSPRNG call per 256 ids rather than one per id). */
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function freshRandom(): number[] {
  if (poolAt + RANDOM_CHARS > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const digits = new Array<number>(RANDOM_CHARS);
  for (let i = 0; i < RANDOM_CHARS; i++) digits[i] = pool[poolAt + i]! & 31;
  poolAt += RANDOM_CHARS;
  return digits;
}

/** Adds one to the base32 digits; false on overflow (2^80 ids in one millisecond). */
function increment(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]! += 1;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

/** A new time-sortable unique id. `now` is injectable for tests (default Date.now). */
export function newAccessRecordId(now: number = Date.now()): string {
  if (!Number.isInteger(now) || now < 0 || now > MAX_TIME) throw new RangeError('newAccessRecordId: time out of range');
  // A clock that steps back keeps the last time, so ids stay increasing within the process.
  const time = Math.max(now, lastTime);
  if (time === lastTime && increment(lastRandom)) {
    // same millisecond: monotonic increment
  } else {
    lastRandom = freshRandom();
  }
  lastTime = time;
  return encodeTime(time) + lastRandom.map((d) => ALPHABET[d]).join('');
}

/** The millisecond time encoded in an id (for tests and diagnostics). */
export function timeOfAccessRecordId(id: string): number {
  let t = 0;
  for (const ch of id.slice(0, TIME_CHARS)) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error('timeOfAccessRecordId: not an access record id');
    t = t * 32 + v;
  }
  return t;
}

/**
 * A chain id for one writer: the gateway instance, its start time and a random suffix, so two
 * writers (a restart within the same millisecond, two test gateways) never share a chain.
 */
export function newChainId(instanceId: string, startedAtMs: number = Date.now()): string {
  return `${instanceId}:${startedAtMs}:${randomBytes(3).toString('hex')}`;
}
