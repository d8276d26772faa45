/**
 * Protective suspension: what the monitor calls when a HIGH alert concerns a product and
 * PROTECTIVE_SUSPENSION=on. It goes through the normal registry transition (the same pure command
 * the registry subgraph uses, the same store change with history), with actor "monitoring", so
 * an admin sees it in the product's history and can reinstate it.
 */
import type { Logger } from '../core/logger.js';
import { isDenial } from '../registry/change-note.js';
import { suspendProduct } from '../registry/product-lifecycle.js';
import { currentProductStatus } from '../registry/effective-status.js';
import { StoreConflictError } from '../core/store-errors.js';
import type { ProductRegister } from './ports.js';
import { settleProductLapses } from '../subgraphs/registry/lapses.js';

export const MONITORING_ACTOR = 'monitoring';

export function createProtectiveSuspension(deps: { store: ProductRegister; now: () => number; logger: Logger; onSuspended?: () => void }) {
  return async function suspend(productId: string, reason: string, evidence: string[]): Promise<void> {
    // A concurrent admin change may win the revision race: read again and retry a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await deps.store.productById(productId);
      if (!read) return;
      const at = deps.now();
      // What the clock changed (a lapsed suspension, a certification that ended) is recorded
      // first, by `system` at its instant, as the registry subgraph does before any change (it
      // re-reads the product itself when another writer gets there first): the monitor is never
      // credited with a lapse, and the history stays in time order (review s19a F3).
      const product = await settleProductLapses(deps.store, read, at);
      // A suspension in force until reinstated (an admin's, with its own reason) is not replaced:
      // the product is refused already, and the alert holds the monitor's reason. One with an end
      // is: that refusal lapses by the clock, and the alert asks for one until an admin reinstates
      // the product (the replacement keeps when the suspension began and what it resumes to; the
      // admin's reason stays in the history).
      if (currentProductStatus(product, at) === 'SUSPENDED' && !product.suspension?.until) {
        deps.logger.info({ productId }, 'protective suspension not applicable: already suspended');
        return;
      }
      // The evidence (access-record ids) stays in the alert and the log, not in the reason the
      // product's developer staff read.
      const outcome = suspendProduct(product, { reason, ticket: null }, MONITORING_ACTOR, at);
      if (isDenial(outcome)) {
        // Revoked or never certified: nothing to protect.
        deps.logger.info({ productId, code: outcome.code }, 'protective suspension not applicable');
        return;
      }
      try {
        await deps.store.applyRegistryChange({ entity: 'PRODUCT', expectedRevision: product.revision, next: outcome.next, note: outcome.note });
        deps.logger.warn({ productId, reason, evidence: evidence.slice(0, 20) }, 'product suspended protectively');
        deps.onSuspended?.();
        return;
      } catch (err) {
        if (!(err instanceof StoreConflictError)) throw err;
      }
    }
  };
}
