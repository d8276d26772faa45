/**
 * Access record ids: ULID-shaped (26 Crockford base32 characters: 48-bit millisecond time, then
 * 80 random bits), so ids sort by time as text and are unique without coordination between
 * gateway instances. Within one millisecond the random part is incremented rather than redrawn,
 * so ids from one process are strictly increasing (ULID's monotonic mode).
 */
import { randomBytes } from 'node:crypto';
import { newTimeOrderedId, timeOfId } from '../core/random-id.js';

/** A new access record id for a request that arrived at `now` (ms): ULID-shaped, time-sortable, unique. */
export function newAccessRecordId(now: number): string {
  return newTimeOrderedId(now);
}

/** The millisecond time encoded in an access record id. */
export const timeOfAccessRecordId = timeOfId;

/**
 * A chain id for one writer: the gateway instance, its start time and a random suffix, so two
 * writers (a restart within the same millisecond, two test gateways) never share a chain.
 */
export function newChainId(instanceId: string, startedAtMs: number = Date.now()): string {
  return `${instanceId}:${startedAtMs}:${randomBytes(3).toString('hex')}`;
}
