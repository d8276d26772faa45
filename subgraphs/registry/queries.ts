/**
 * Registry reads. Admins and auditors read everything; developer staff read only their own
 * developer, its products and their history. For developer staff an unknown product id is
 * FORBIDDEN like another developer's product, so ids cannot be probed for existence.
 */
import { authorisationKey, type ClientAuthorisation, type Developer, type DeveloperStatus, type Product, type ProductStatus } from '../../registry/model.js';
import { isDenial } from '../../registry/change-note.js';
import type { RegistryHistoryFilter, Store } from '../../store/port.js';
import { CodedError } from '../../core/errors.js';
import { productDenialAt } from '../../registry/effective-status.js';
import { INSTANT_EXAMPLE, parseInstant, toIso } from '../../registry/instants.js';
import { cleanText, TEXT_RULES, type TextRule } from '../../registry/text.js';
import type { SubgraphContext } from '../shared/server.js';
import { forbidden, mayReadDeveloper, readScope, type ReadScope } from './access.js';
import { fail, guardedRead } from './apply-change.js';
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

/** The product if the caller may read it (null only for admins and auditors asking for an unknown id). */
export async function readableProduct(store: Store, scope: ReadScope, productId: string): Promise<Product | null> {
  const product = await guardedRead(() => store.productById(productId));
  if (scope.all) return product;
  if (!product || !mayReadDeveloper(scope, product.developerId)) fail(forbidden('products'));
  return product;
}

/** Longest horizon for the "due within N days" queries (ten years). */
export const MAX_WITHIN_DAYS = 3660;
/** Largest page of registryHistory. */
export const MAX_HISTORY_PAGE = 500;
const DAY_MS = 86_400_000;

function withinDays(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_WITHIN_DAYS) throw new CodedError('BAD_USER_INPUT', `withinDays must be a whole number from 1 to ${MAX_WITHIN_DAYS}.`, { details: { field: 'withinDays' } });
  return value * DAY_MS;
}

interface HistoryFilterInput {
  actor?: string | null;
  ticket?: string | null;
  entityType?: RegistryHistoryFilter['entityType'];
  from?: string | null;
  to?: string | null;
}

function historyFilter(input: HistoryFilterInput | null | undefined): RegistryHistoryFilter {
  const f = input ?? {};
  const text = (value: string | null | undefined, field: string, rule: TextRule): string | null => {
    if (value == null) return null;
    const clean = cleanText(value, rule, field);
    if (isDenial(clean)) fail(clean);
    return clean;
  };
  const instant = (value: string | null | undefined, field: string): string | null => {
    if (value == null) return null;
    const at = parseInstant(value);
    if (at === null) throw new CodedError('BAD_USER_INPUT', `filter.${field} must be an RFC 3339 date-time with an offset, e.g. ${INSTANT_EXAMPLE}.`, { details: { field } });
    return toIso(at);
  };
  return { actor: text(f.actor, 'actor', TEXT_RULES.actor), ticket: text(f.ticket, 'ticket', TEXT_RULES.ticket), entityType: f.entityType ?? null, from: instant(f.from, 'from'), to: instant(f.to, 'to') };
}

export function queryResolvers(store: Store, now: () => number) {
  /** The product check's verdict on each product now (one developer read per developer). */
  async function blockedByOf(products: Product[]): Promise<Map<string, string | null>> {
    const developers = new Map<string, Developer | null>();
    for (const id of new Set(products.map((p) => p.developerId))) developers.set(id, await guardedRead(() => store.developerById(id)));
    const at = now();
    return new Map(products.map((p) => [p.id, productDenialAt(p, developers.get(p.developerId), p.minimumVersion, at)?.code ?? null]));
  }

  return {
    async developer(_root: unknown, args: { id: string }, context: SubgraphContext): Promise<Developer | null> {
      const scope = scopeOf(context);
      if (!mayReadDeveloper(scope, args.id)) fail(forbidden('records'));
      return guardedRead(() => store.developerById(args.id));
    },

    async developers(_root: unknown, args: { status?: DeveloperStatus | null; refused?: boolean | null }, context: SubgraphContext): Promise<Developer[]> {
      const scope = scopeOf(context);
      let list: Developer[];
      if (scope.all) list = await guardedRead(() => store.listDevelopers());
      else {
        const own = scope.developerId ? await guardedRead(() => store.developerById(scope.developerId!)) : null;
        list = own ? [own] : [];
      }
      if (args.status) list = list.filter((d) => d.status === args.status);
      // A developer's products are refused whenever it is not ACTIVE (DEVELOPER_NOT_IN_GOOD_STANDING).
      if (args.refused != null) list = list.filter((d) => (d.status !== 'ACTIVE') === args.refused);
      return list;
    },

    async product(_root: unknown, args: { id: string }, context: SubgraphContext): Promise<Product | null> {
      return readableProduct(store, scopeOf(context), args.id);
    },

    async products(_root: unknown, args: { developerId?: string | null; status?: ProductStatus | null; refused?: boolean | null; blockedBy?: string | null }, context: SubgraphContext): Promise<Product[]> {
      const scope = scopeOf(context);
      let developerId = args.developerId ?? null;
      if (!scope.all) {
        if (developerId !== null && !mayReadDeveloper(scope, developerId)) fail(forbidden('products'));
        if (scope.developerId === null) return [];
        developerId = scope.developerId;
      }
      let list = await guardedRead(() => store.listProducts({ developerId }));
      if (args.status) list = list.filter((p) => p.status === args.status);
      if (args.refused == null && args.blockedBy == null) return list;
      const verdicts = await blockedByOf(list);
      if (args.refused != null) list = list.filter((p) => (verdicts.get(p.id) !== null) === args.refused);
      if (args.blockedBy != null) list = list.filter((p) => verdicts.get(p.id) === args.blockedBy);
      return list;
    },

    async certificationsExpiring(_root: unknown, args: { withinDays: number }, context: SubgraphContext): Promise<Product[]> {
      requireFullScope(context);
      const horizon = withinDays(args.withinDays);
      const at = now();
      const ending = (p: Product) => (p.certification ? Date.parse(p.certification.validUntil) : Number.NaN);
      const list = await guardedRead(() => store.listProducts());
      return list
        .filter((p) => (p.status === 'CERTIFIED' || p.status === 'SUSPENDED') && ending(p) > at && ending(p) <= at + horizon)
        .sort((a, b) => ending(a) - ending(b) || a.id.localeCompare(b.id));
    },

    async reviewsDue(_root: unknown, args: { withinDays: number }, context: SubgraphContext): Promise<Developer[]> {
      requireFullScope(context);
      const horizon = withinDays(args.withinDays);
      const due = (d: Developer) => Date.parse(d.reviewDueAt);
      const list = await guardedRead(() => store.listDevelopers());
      return list
        .filter((d) => (d.status === 'ACTIVE' || d.status === 'SUSPENDED') && due(d) <= now() + horizon)
        .sort((a, b) => due(a) - due(b) || a.id.localeCompare(b.id));
    },

    async registryHistory(_root: unknown, args: { filter?: HistoryFilterInput | null; first?: number | null; beforeRevision?: number | null }, context: SubgraphContext): Promise<HistoryView[]> {
      requireFullScope(context);
      const first = args.first ?? 100;
      if (first < 1) throw new CodedError('BAD_USER_INPUT', '`first` must be at least 1.', { details: { field: 'first' } });
      const filter = historyFilter(args.filter);
      const entries = await guardedRead(() => store.queryRegistryHistory(filter, { first: Math.min(first, MAX_HISTORY_PAGE), beforeRevision: args.beforeRevision ?? null }));
      return entries.map(historyView);
    },

    async productHistory(_root: unknown, args: { productId: string }, context: SubgraphContext): Promise<HistoryView[]> {
      await readableProduct(store, scopeOf(context), args.productId);
      return (await guardedRead(() => store.historyOf('PRODUCT', args.productId))).map(historyView);
    },

    async developerHistory(_root: unknown, args: { developerId: string }, context: SubgraphContext): Promise<HistoryView[]> {
      if (!mayReadDeveloper(scopeOf(context), args.developerId)) fail(forbidden('records'));
      return (await guardedRead(() => store.historyOf('DEVELOPER', args.developerId))).map(historyView);
    },

    async clientAuthorisations(_root: unknown, args: { org?: string | null; clientId?: string | null }, context: SubgraphContext): Promise<ClientAuthorisation[]> {
      requireFullScope(context);
      const org = args.org ? args.org.replace(/\s+/g, '') : null;
      return guardedRead(() => store.listClientAuthorisations({ org, clientId: args.clientId ?? null }));
    },

    async clientAuthorisationHistory(_root: unknown, args: { org: string; clientId: string }, context: SubgraphContext): Promise<HistoryView[]> {
      requireFullScope(context);
      const key = authorisationKey(args.org.replace(/\s+/g, ''), args.clientId);
      return (await guardedRead(() => store.historyOf('CLIENT_AUTHORISATION', key))).map(historyView);
    },
  };
}
