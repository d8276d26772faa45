/**
 * The two failures every store adapter translates its driver's errors into, so the domain can
 * react to them (retry a conflict, fail closed when unavailable) without knowing any store.
 */

/** The entity changed since the revision the caller expected, or already exists on create. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError';
  constructor(
    readonly entity: string,
    readonly entityId: string,
    readonly expectedRevision: number | null,
    readonly actualRevision: number | null,
  ) {
    super(`${entity} ${entityId}: expected revision ${expectedRevision ?? 'none (create)'}, found ${actualRevision ?? 'none'}`);
  }
}

/**
 * A developer change that named `abnExclusiveAmong` (registry/changes.ts) would give `developerId`
 * an ABN that `heldBy` holds in one of those statuses; nothing was changed.
 */
export class StoreAbnHeldError extends Error {
  override readonly name = 'StoreAbnHeldError';
  constructor(
    readonly developerId: string,
    readonly heldBy: string,
  ) {
    super(`DEVELOPER ${developerId}: the ABN is held by developer ${heldBy}`);
  }
}

/** The store could not be reached or refused the operation (callers fail closed). */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}
