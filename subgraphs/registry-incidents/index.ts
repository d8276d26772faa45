/**
 * Incident and alert resolvers for the registry subgraph (schema/registry-incidents.graphql):
 * a fragment the registry subgraph merges into its own resolver map. Thin, like the registry's:
 * check the caller (access.ts), run the pure command from audit/incidents.ts, store the result
 * with the revision the caller expected.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { Alert, AlertFilter, Incident, IncidentStatus, Risk } from '../../monitoring/incident-model.js';
import { DUE_SOON_MS, incidentFromReport, isDueSoon, isOverdue, MAX_REPORT_PRODUCTS, newIncidentId as defaultIncidentId, transitionIncident } from '../../monitoring/incidents.js';
import { CodedError, denial, type Denial } from '../../core/errors.js';
import { isDenial } from '../../registry/change-note.js';
import type { Product } from '../../registry/model.js';
import { StoreConflictError, StoreUnavailableError, type Store } from '../../store/port.js';
import type { SubgraphContext } from '../shared/server.js';

/** What developer staff read in place of a detector incident's title and of monitoring's notes. */
export const DETECTOR_TITLE_FOR_DSP = 'Unusual activity detected by ATO monitoring';
export const MONITORING_NOTE_FOR_DSP = 'Recorded by ATO monitoring.';
const MONITORING_ACTOR = 'monitoring';
import { alertReadDenial, forbiddenIncident, incidentReadScope, mayReadIncident, notifier, triager, type IncidentScope } from './access.js';

export interface IncidentResolverDeps {
  store: Store;
  /** Clock for every decision and computed field. Default: `Date.now`. */
  now?: () => number;
  /** Id of a new incident. Default: `INC-` + 10 random base32 characters. */
  newIncidentId?: () => string;
  /** An open incident this close to its deadline is `dueSoon`. Default 4 h. */
  dueSoonMs?: number;
}

/** Largest page `first` may ask for. */
export const MAX_PAGE = 500;

function fail(d: Denial): never {
  throw CodedError.from(d);
}

function translate(err: unknown): unknown {
  if (err instanceof StoreConflictError) {
    return new CodedError('REVISION_CONFLICT', 'The incident changed since the revision you read; reload it and decide again.', { details: { expectedRevision: err.expectedRevision, actualRevision: err.actualRevision } });
  }
  if (err instanceof StoreUnavailableError) return new CodedError('REGISTRY_UNAVAILABLE', 'The register cannot be reached; try again.');
  return err;
}

async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw translate(err);
  }
}

function pageSize(first: number | null | undefined): number {
  const n = first ?? 100;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) fail(denial('BAD_USER_INPUT', `first must be between 1 and ${MAX_PAGE}.`, { field: 'first' }));
  return n;
}

function scopeOf(context: SubgraphContext): IncidentScope {
  const scope = incidentReadScope(context.identity);
  return isDenial(scope) ? fail(scope) : scope;
}

interface NotifyInput {
  whatHappened: string;
  occurredAt: string;
  productIds: string[];
  affectedRecords?: number | null;
  contact: string;
  risk?: Risk | null;
}

export function incidentResolvers(deps: IncidentResolverDeps): GraphQLResolverMap<SubgraphContext> {
  const { store } = deps;
  const now = deps.now ?? Date.now;
  const newIncidentId = deps.newIncidentId ?? defaultIncidentId;
  const dueSoonMs = deps.dueSoonMs ?? DUE_SOON_MS;

  /** The products of a notification, all of one developer the caller may notify for. */
  async function reportedProducts(productIds: string[], who: { developerId: string | null; admin: boolean }): Promise<Product[]> {
    const ids = [...new Set(productIds ?? [])];
    if (ids.length > MAX_REPORT_PRODUCTS) fail(denial('BAD_USER_INPUT', `Name at most ${MAX_REPORT_PRODUCTS} products.`, { field: 'productIds' }));
    const products: Product[] = [];
    for (const id of ids) {
      const product = await guarded(() => store.productById(id));
      // Developer staff get the same answer for an unknown product and another developer's, so ids cannot be probed.
      if (!who.admin && (!product || product.developerId !== who.developerId)) fail(forbiddenIncident());
      if (!product) fail(denial('NOT_FOUND', `Product ${id} is not on the register.`, { productId: id }));
      products.push(product);
    }
    if (new Set(products.map((p) => p.developerId)).size > 1) fail(denial('BAD_USER_INPUT', 'One notification covers the products of one developer.', { field: 'productIds' }));
    return products;
  }

  return {
    Query: {
      async incidents(_root: unknown, args: { status?: IncidentStatus | null; productId?: string | null; first?: number | null }, context: SubgraphContext): Promise<Incident[]> {
        const scope = scopeOf(context);
        const limit = pageSize(args.first);
        if (!scope.all && scope.developerId === null) return [];
        return guarded(() => store.listIncidents({ status: args.status ?? null, productId: args.productId ?? null, developerId: scope.all ? null : scope.developerId, limit }));
      },

      async incident(_root: unknown, args: { id: string }, context: SubgraphContext): Promise<Incident | null> {
        const scope = scopeOf(context);
        const incident = await guarded(() => store.incidentById(args.id));
        if (scope.all) return incident;
        if (!incident || !mayReadIncident(scope, incident)) fail(forbiddenIncident());
        return incident;
      },

      async alerts(_root: unknown, args: { status?: 'OPEN' | 'CLOSED' | null; productId?: string | null; first?: number | null }, context: SubgraphContext): Promise<Alert[]> {
        const refused = alertReadDenial(context.identity);
        if (refused) fail(refused);
        const filter: AlertFilter = { status: args.status ?? null, productId: args.productId ?? null, limit: pageSize(args.first) };
        return guarded(() => store.listAlerts(filter));
      },
    },

    Mutation: {
      async notifyIncident(_root: unknown, args: { input: NotifyInput }, context: SubgraphContext): Promise<Incident> {
        const who = notifier(context.identity);
        if (isDenial(who)) fail(who);
        const input = args.input;
        const products = await reportedProducts(input.productIds, who);
        const developerId = who.developerId ?? products[0]?.developerId ?? null;
        const incident = incidentFromReport(
          { whatHappened: input.whatHappened, occurredAt: input.occurredAt, productIds: products.map((p) => p.id), affectedRecords: input.affectedRecords ?? null, contact: input.contact, risk: input.risk ?? null },
          { id: newIncidentId(), now: now(), actor: who.actor, developerId },
        );
        if (isDenial(incident)) fail(incident);
        return guarded(() => store.saveIncident(incident, null));
      },

      async triageIncident(_root: unknown, args: { id: string; expectedRevision: number; status: IncidentStatus; note: string; risk?: Risk | null }, context: SubgraphContext): Promise<Incident> {
        const actor = triager(context.identity);
        if (isDenial(actor)) fail(actor);
        const current = await guarded(() => store.incidentById(args.id));
        if (!current) fail(denial('NOT_FOUND', `Incident ${args.id} does not exist.`, { incidentId: args.id }));
        // Judged against the state the admin saw: on a newer state the honest answer is "it changed", not that state's rules.
        if (current.revision !== args.expectedRevision) throw translate(new StoreConflictError('INCIDENT', current.id, args.expectedRevision, current.revision));
        const next = transitionIncident(current, { to: args.status, note: args.note, actor, risk: args.risk ?? null }, now());
        if (isDenial(next)) fail(next);
        return guarded(() => store.saveIncident(next, args.expectedRevision));
      },
    },

    Incident: {
      // Developer staff see that monitoring opened an incident, not how it detected it: the
      // detector, its threshold and window, and the alert's id and key are in the title and in
      // monitoring's notes, as they are in the alerts those staff may not read.
      title: (incident: Incident, _args: unknown, context: SubgraphContext) => (incident.source === 'DETECTOR' && alertReadDenial(context.identity) ? DETECTOR_TITLE_FOR_DSP : incident.title),
      notes: (incident: Incident, _args: unknown, context: SubgraphContext) =>
        alertReadDenial(context.identity) ? incident.notes.map((n) => (n.actor === MONITORING_ACTOR ? { ...n, note: MONITORING_NOTE_FOR_DSP } : n)) : incident.notes,
      dueSoon: (incident: Incident) => isDueSoon(incident, now(), dueSoonMs),
      overdue: (incident: Incident) => isOverdue(incident, now()),
      alertIds(incident: Incident, _args: unknown, context: SubgraphContext): string[] {
        const refused = alertReadDenial(context.identity);
        if (refused) fail(refused);
        return incident.alertIds;
      },
      async alerts(incident: Incident, _args: unknown, context: SubgraphContext): Promise<Alert[]> {
        const refused = alertReadDenial(context.identity);
        if (refused) fail(refused);
        const found = await guarded(() => Promise.all(incident.alertIds.map((id) => store.alertById(id))));
        return found.filter((a): a is Alert => a !== null);
      },
    },
  };
}
