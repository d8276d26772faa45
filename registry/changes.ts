/**
 * A register change as the domain describes it (what the store must apply atomically), and the
 * changes a reader catches up on. Pure types, owned by the domain: the store port implements them.
 */
import type { ClientAuthorisation, Developer, DeveloperStatus, Product } from './model.js';

/** Everything in the register that changed after a revision, for gateway snapshots. */
export interface RegistryChanges {
  /** The highest revision included (the current revision when nothing changed). */
  revision: number;
  developers: Developer[];
  products: Product[];
  authorisations: ClientAuthorisation[];
}

/** What a history entry says about a change; the store adds id, revision and the before/after states. */
export interface ChangeNote {
  action: string;
  actor: string;
  reason: string;
  ticket?: string | null;
  effectiveAt: string;
}

/**
 * One atomic register change. `expectedRevision` is the entity revision the caller read
 * (optimistic concurrency), or null to create a new entity (which must not exist yet).
 * The store assigns the next global revision to the entity, stores it and appends the history
 * entry, all in one transaction; a mismatch throws StoreConflictError and changes nothing.
 *
 * A developer change may also name `abnExclusiveAmong`: the store refuses it (StoreAbnHeldError,
 * nothing changed) when another developer with `next.abn` is in one of those statuses, checked in
 * the same transaction as the write. A read of the register before the change cannot promise
 * that: two approvals under one ABN, racing, would each read the other still PENDING.
 */
export type RegistryChange =
  | { entity: 'DEVELOPER'; expectedRevision: number | null; next: Developer; note: ChangeNote; abnExclusiveAmong?: readonly DeveloperStatus[] }
  | { entity: 'PRODUCT'; expectedRevision: number | null; next: Product; note: ChangeNote }
  | { entity: 'CLIENT_AUTHORISATION'; expectedRevision: number | null; next: ClientAuthorisation; note: ChangeNote };

/** A search of the history across entities; every given criterion must match. */
export interface RegistryHistoryFilter {
  /** The verified sub (matches `sub (role)`) or the whole recorded actor (`system`, `jane (ato:admin)`). */
  actor?: string | null;
  ticket?: string | null;
  entityType?: 'DEVELOPER' | 'PRODUCT' | 'CLIENT_AUTHORISATION' | null;
  /** [from, to) on `effectiveAt`, as ISO instants in UTC (toIso form, so they compare as text). */
  from?: string | null;
  to?: string | null;
}
