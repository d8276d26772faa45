/**
 * Registry reads. Admins and auditors read everything; developer staff read only their own
 * developer, its products and their history. For developer staff an unknown product id is
 * FORBIDDEN like another developer's product, so ids cannot be probed for existence.
 */
import { authorisationKey, type ClientAuthorisation, type Developer, type DeveloperStatus, type Product, type ProductStatus } from '../../registry/model.js';
import { isDenial } from '../../registry/change-note.js';
import type { Store } from '../../store/port.js';
import type { SubgraphContext } from '../shared/server.js';
import { forbidden, mayReadDeveloper, readScope, type ReadScope } from './access.js';
import { fail, translateStoreError } from './apply-change.js';
import { historyView, type HistoryView } from './history-view.js';

function scopeOf(context: SubgraphContext): ReadScope {
  const scope = readScope(context.identity);
  return isDenial(scope) ? fail(scope) : scope;
}

/** Auditor-level reads (client authorisations): developer staff have no business there. */
function requireFullScope(context: SubgraphContext): void {
  const scope = scopeOf(context);
  if (!scope.all) fail(forbidden('records; client authorisations are for ATO staff only'));
}

async function guarded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    throw translateStoreError(err);
  }
}

/** The product if the caller may read it (null only for admins and auditors asking for an unknown id). */
export async function readableProduct(store: Store, scope: ReadScope, productId: string): Promise<Product | null> {
  const product = await guarded(() => store.productById(productId));
  if (scope.all) return product;
  if (!product || !mayReadDeveloper(scope, product.developerId)) fail(forbidden('products'));
  return product;
}

export function queryResolvers(store: Store) {
  return {
    async developer(_root: unknown, args: { id: string }, context: SubgraphContext): Promise<Developer | null> {
      const scope = scopeOf(context);
      if (!mayReadDeveloper(scope, args.id)) fail(forbidden('records'));
      return guarded(() => store.developerById(args.id));
    },

    async developers(_root: unknown, args: { status?: DeveloperStatus | null }, context: SubgraphContext): Promise<Developer[]> {
      const scope = scopeOf(context);
      let list: Developer[];
      if (scope.all) list = await guarded(() => store.listDevelopers());
      else {
        const own = scope.developerId ? await guarded(() => store.developerById(scope.developerId!)) : null;
        list = own ? [own] : [];
      }
      return args.status ? list.filter((d) => d.status === args.status) : list;
    },

    async product(_root: unknown, args: { id: string }, context: SubgraphContext): Promise<Product | null> {
      return readableProduct(store, scopeOf(context), args.id);
    },

    async products(_root: unknown, args: { developerId?: string | null; status?: ProductStatus | null }, context: SubgraphContext): Promise<Product[]> {
      const scope = scopeOf(context);
      let developerId = args.developerId ?? null;
      if (!scope.all) {
        if (developerId !== null && !mayReadDeveloper(scope, developerId)) fail(forbidden('products'));
        if (scope.developerId === null) return [];
        developerId = scope.developerId;
      }
      const list = await guarded(() => store.listProducts({ developerId }));
      return args.status ? list.filter((p) => p.status === args.status) : list;
    },

    async productHistory(_root: unknown, args: { productId: string }, context: SubgraphContext): Promise<HistoryView[]> {
      await readableProduct(store, scopeOf(context), args.productId);
      return (await guarded(() => store.historyOf('PRODUCT', args.productId))).map(historyView);
    },

    async developerHistory(_root: unknown, args: { developerId: string }, context: SubgraphContext): Promise<HistoryView[]> {
      if (!mayReadDeveloper(scopeOf(context), args.developerId)) fail(forbidden('records'));
      return (await guarded(() => store.historyOf('DEVELOPER', args.developerId))).map(historyView);
    },

    async clientAuthorisations(_root: unknown, args: { org?: string | null; clientId?: string | null }, context: SubgraphContext): Promise<ClientAuthorisation[]> {
      requireFullScope(context);
      const org = args.org ? args.org.replace(/\s+/g, '') : null;
      return guarded(() => store.listClientAuthorisations({ org, clientId: args.clientId ?? null }));
    },

    async clientAuthorisationHistory(_root: unknown, args: { org: string; clientId: string }, context: SubgraphContext): Promise<HistoryView[]> {
      requireFullScope(context);
      const key = authorisationKey(args.org.replace(/\s+/g, ''), args.clientId);
      return (await guarded(() => store.historyOf('CLIENT_AUTHORISATION', key))).map(historyView);
    },
  };
}
