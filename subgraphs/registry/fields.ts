/**
 * Computed fields: effective status, the product check's verdict, certification expiry,
 * authorisation activity, review overdue. Computed from the clock on every read, never stored,
 * so they cannot go stale. A field's parent was already authorised by the resolver that
 * returned it, so these only read.
 */
import { authorisationStateAt } from '../../registry/authorisations.js';
import { allowedServices } from '../../registry/certification-rules.js';
import { reviewOverdue } from '../../registry/developer-lifecycle.js';
import { currentProductStatus, productDenialAt } from '../../registry/effective-status.js';
import type { Certification, ClientAuthorisation, Developer, Product } from '../../registry/model.js';
import { trustedDocumentsModeOf } from '../../registry/operation-manifest.js';
import type { Store } from '../../store/port.js';
import type { SubgraphContext } from '../shared/server.js';
import { guardedRead } from './apply-change.js';

/** One developer lookup per request however many products name it. */
const developersByRequest = new WeakMap<SubgraphContext, Map<string, Promise<Developer | null>>>();

function developerFor(store: Store, context: SubgraphContext, id: string): Promise<Developer | null> {
  let cache = developersByRequest.get(context);
  if (!cache) developersByRequest.set(context, (cache = new Map()));
  let hit = cache.get(id);
  if (!hit) cache.set(id, (hit = guardedRead(() => store.developerById(id))));
  return hit;
}

export function fieldResolvers(store: Store, now: () => number) {
  return {
    Developer: {
      reviewOverdue: (d: Developer) => reviewOverdue(d, now()),
      products: (d: Developer) => guardedRead(() => store.listProducts({ developerId: d.id })),
    },
    Product: {
      developer: (p: Product, _args: unknown, context: SubgraphContext) => developerFor(store, context, p.developerId),
      effectiveStatus: (p: Product) => currentProductStatus(p, now()),
      // Judged at the minimum version, so the verdict is about the product, not one release of it.
      async blockedBy(p: Product, _args: unknown, context: SubgraphContext): Promise<string | null> {
        const developer = await developerFor(store, context, p.developerId);
        return productDenialAt(p, developer, p.minimumVersion, now())?.code ?? null;
      },
      allowedServices: (p: Product) => (p.selfCertification ? allowedServices(p.selfCertification) : []),
      effectiveTrustedDocuments: (p: Product) => trustedDocumentsModeOf(p),
    },
    ProductCertification: {
      expired: (c: Certification) => Date.parse(c.validUntil) <= now(),
    },
    ClientAuthorisation: {
      active: (a: ClientAuthorisation) => authorisationStateAt(a, now()) === 'ACTIVE',
    },
  };
}
