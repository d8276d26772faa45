/**
 * The one path every registry mutation takes to the store: refuse a stale revision early, turn
 * a command's denial into its coded error, apply the change atomically, and translate store
 * errors (a lost race becomes REVISION_CONFLICT; an unreachable store, REGISTRY_UNAVAILABLE).
 */
import { CodedError, type Denial } from '../../core/errors.js';
import { isDenial, type Outcome } from '../../registry/change-note.js';
import type { ClientAuthorisation, Developer, Product } from '../../registry/model.js';
import { StoreAbnHeldError, StoreConflictError, StoreUnavailableError, type Store } from '../../store/port.js';

type EntityOf = { DEVELOPER: Developer; PRODUCT: Product; CLIENT_AUTHORISATION: ClientAuthorisation };

export function fail(d: Denial): never {
  throw CodedError.from(d);
}

export function conflict(expectedRevision: number | null, actualRevision: number | null): CodedError {
  return new CodedError('REVISION_CONFLICT', 'The record changed since the revision you read; reload it and decide again.', { details: { expectedRevision, actualRevision } });
}

/**
 * Checked before the command runs as well as in the store's transaction: judging a transition
 * on a newer state than the caller saw would answer with that state's rules (say, an illegal
 * transition) when the true answer is "someone changed it first".
 */
export function requireRevision(current: { revision: number } | null, expectedRevision: number | null): void {
  const actual = current?.revision ?? null;
  if (actual !== expectedRevision) throw conflict(expectedRevision, actual);
}

/** The ELIGIBILITY_FAILED answer when another developer already holds the ABN. */
export function abnHeldError(): CodedError {
  return new CodedError('ELIGIBILITY_FAILED', 'Another developer already holds a registration under this ABN.', { details: { check: 'abnUnique' } });
}

/** Conditions the store checks in the change's own transaction (see RegistryChange). */
export interface ChangeGuard {
  abnExclusiveAmong?: readonly Developer['status'][];
}

export async function applyChange<E extends keyof EntityOf>(store: Store, entity: E, expectedRevision: number | null, outcome: Outcome<EntityOf[E]>, guard: ChangeGuard = {}): Promise<EntityOf[E]> {
  if (isDenial(outcome)) fail(outcome);
  try {
    const { revision } = await store.applyRegistryChange({ entity, expectedRevision, next: outcome.next, note: outcome.note, ...guard } as Parameters<Store['applyRegistryChange']>[0]);
    return { ...outcome.next, revision };
  } catch (err) {
    throw translateStoreError(err);
  }
}

/** A store read whose errors become coded ones (translateStoreError): an outage is REGISTRY_UNAVAILABLE, not an uncoded error. */
export async function guardedRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw translateStoreError(err);
  }
}

/** Store errors as coded errors; anything unknown is rethrown (and masked by the server). */
export function translateStoreError(err: unknown): unknown {
  if (err instanceof StoreConflictError) return conflict(err.expectedRevision, err.actualRevision);
  if (err instanceof StoreAbnHeldError) return abnHeldError();
  if (err instanceof StoreUnavailableError) return new CodedError('REGISTRY_UNAVAILABLE', 'The register cannot be reached; try again.');
  return err;
}

/**
 * A queue for this process: each task given to it starts when the one before has settled (a
 * failed task does not stop the next), so a read-then-write cannot interleave with another.
 */
export function oneAtATime(): <T>(task: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return (task) => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };
}
