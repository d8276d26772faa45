/**
 * Protective suspension: what the monitor calls when a HIGH alert concerns a product and
 * PROTECTIVE_SUSPENSION=on. It goes through the normal registry transition (the same pure command
 * the registry subgraph uses, the same store change with history), with actor "monitoring", so
 * an admin sees it in the product's history and can reinstate it.
 */
import type { Logger } from '../core/logger.js';
import { isDenial } from '../registry/change-note.js';
import { suspendProduct } from '../registry/product-lifecycle.js';
import { StoreConflictError } from '../core/store-errors.js';
import type { ProductRegister } from './ports.js';

export const MONITORING_ACTOR = 'monitoring';

export function createProtectiveSuspension(deps: { store: ProductRegister; now: () => number; logger: Logger; onSuspended?: () => void }) {
  return async function suspend(productId: string, reason: string, evidence: string[]): Promise<void> {
    // A concurrent admin change may win the revision race: read again and retry a few times.
    for (let attempt = 0; attempt < 3; attempt++) {
      const product = await deps.store.productById(productId);
      if (!product) return;
      // The evidence (access-record ids) stays in the alert and the log, not in the reason the
      // product's developer staff read.
      const outcome = suspendProduct(product, { reason, ticket: null }, MONITORING_ACTOR, deps.now());
      if (isDenial(outcome)) {
        // Already suspended, revoked or never certified: nothing to protect.
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
