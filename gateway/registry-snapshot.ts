/**
 * The gateway's in-memory copy of the register. It asks the store for changes since its revision
 * every `pollMs` (default 250 ms), so a suspension made anywhere reaches every instance within
 * about a poll interval; the instance that carried a register mutation refreshes before it answers
 * (pipeline.ts, the execute stage). Reads on the request path are map lookups, never store I/O. When the
 * store has not answered for longer than `stalenessMs`, `fresh()` turns false and product checks
 * fail closed with REGISTRY_UNAVAILABLE.
 */
import type { Logger } from '../core/logger.js';
import { authorisationAnswerAt } from '../registry/authorisations.js';
import { authorisationKey, type ClientAuthorisation, type Developer, type DeveloperStatus, type Product } from '../registry/model.js';
import type { RegistryView } from '../authorisation/caller.js';
import type { RegistryChanges, RegistryStore } from '../store/port.js';

export interface RegistrySnapshotOptions {
  store: Pick<RegistryStore, 'changesSince'>;
  /** Poll interval in ms. Default 250. */
  pollMs?: number;
  /** Age after which the snapshot is stale and checks fail closed. Default 30000. */
  stalenessMs?: number;
  /** Clock. Default Date.now. */
  now?: () => number;
  logger?: Logger;
  /** Called after each applied change set (metrics, tests). */
  onRefresh?: (revision: number) => void;
}

export type { RegistryView };

export interface RegistrySnapshot extends RegistryView {
  start(): Promise<void>;
  stop(): void;
  /** Fetch changes now (also what the poll loop calls). */
  refresh(): Promise<void>;
  fresh(): boolean;
  /** Milliseconds since the store last answered. */
  ageMs(): number;
}

/**
 * The product as the gateway keeps it: without the text its developer's staff wrote that no
 * check reads (the self-certification's evidence, a manifest version still awaiting approval).
 * Up to a request body of it per product, in every instance's heap, for every product on the
 * register: kept, a developer could fill the gateway's heap (review s19a F1). The approved
 * manifest stays (the trusted-documents stage reads it).
 */
function asEnforced(product: Product): Product {
  if (!product.selfCertification && !product.pendingManifest) return product;
  return { ...product, selfCertification: null, pendingManifest: null };
}

/**
 * An application still PENDING, or REJECTED, is not kept: no product can belong to it (products
 * are registered under ACTIVE developers only), and a product whose developer is missing is refused
 * like one whose developer is not ACTIVE. Any staff member may apply, so kept, applications would
 * grow every instance's heap without bound.
 */
const NEVER_OWNS_PRODUCTS: ReadonlySet<DeveloperStatus> = new Set(['PENDING', 'REJECTED']);

export function createRegistrySnapshot(options: RegistrySnapshotOptions): RegistrySnapshot {
  const pollMs = options.pollMs ?? 250;
  const stalenessMs = options.stalenessMs ?? 30_000;
  const now = options.now ?? Date.now;
  const developers = new Map<string, Developer>();
  const products = new Map<string, Product>();
  const authorisations = new Map<string, ClientAuthorisation>();
  let revision = 0;
  let lastAnswerAt = Number.NEGATIVE_INFINITY;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let stopped = false;

  function apply(changes: RegistryChanges): void {
    for (const d of changes.developers) {
      if (NEVER_OWNS_PRODUCTS.has(d.status)) developers.delete(d.id);
      else developers.set(d.id, d);
    }
    for (const p of changes.products) products.set(p.id, asEnforced(p));
    for (const a of changes.authorisations) authorisations.set(authorisationKey(a.org, a.clientId), a);
    revision = Math.max(revision, changes.revision);
  }

  let followUp: Promise<void> | null = null;

  /** A refresh asked for while one is in flight runs again after it: the caller may know of a change the running one started too early to see. */
  async function refresh(): Promise<void> {
    if (inFlight) {
      followUp ??= inFlight.then(() => {
        followUp = null;
        return refreshNow();
      });
      return followUp;
    }
    return refreshNow();
  }

  async function refreshNow(): Promise<void> {
    if (inFlight) return inFlight;
    inFlight = (async () => {
      // The state read is as old as the read's start: a slow answer (on MongoDB one poll is
      // several reads, each allowed its own timeout) must not extend how long it is trusted.
      const askedAt = now();
      try {
        const changes = await options.store.changesSince(revision);
        apply(changes);
        lastAnswerAt = Math.max(lastAnswerAt, askedAt);
        options.onRefresh?.(revision);
      } catch (err) {
        options.logger?.warn({ err, ageMs: now() - lastAnswerAt }, 'registry refresh failed');
      } finally {
        inFlight = null;
      }
    })();
    return inFlight;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      void refresh().finally(schedule);
    }, pollMs);
    timer.unref();
  }

  return {
    async start() {
      stopped = false;
      await refresh();
      schedule();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
    refresh,
    fresh: () => now() - lastAnswerAt <= stalenessMs,
    ageMs: () => now() - lastAnswerAt,
    revision: () => revision,
    product: (id) => products.get(id),
    developer: (id) => developers.get(id),
    products: () => products.values(),
    clientAuthorisation(org, clientId, at) {
      // An org acting for itself (a company reading its own record) is recorded on the register
      // as an authorisation too, so one lookup answers both cases. Expiry is the domain's rule.
      return authorisationAnswerAt(authorisations.get(authorisationKey(org, clientId)), at);
    },
  };
}

