/**
 * Records the clock's changes to the register (registry/lapses.ts) before the registry subgraph
 * reads or changes anything: a lapsed suspension, a certification taking effect or expiring, an
 * expired client authorisation each become one history entry by `system`, effective at the
 * instant it happened. So the stored status, the list filters, the allowed transitions and the
 * history agree at every instant, and the next editor is never credited with a lapse.
 *
 * Cost on the request path: one `changesSince` read of what changed since the last call (usually
 * nothing); records are read and written only when something is due. The index holds one entry
 * per record with a pending instant (at most the register's size). Several subgraph instances may
 * record the same lapse at once: the store's revision check lets one win; the others re-read.
 */
import { authorisationKey, type ClientAuthorisation, type Product } from '../../registry/model.js';
import { authorisationLapseInstant, nextAuthorisationLapse, nextProductLapse, productLapseInstant, type Lapse } from '../../registry/lapses.js';
import type { RegistryChange } from '../../registry/changes.js';
import { StoreConflictError, type RegistryStore } from '../../store/port.js';
import { oneAtATime } from './apply-change.js';

/** A record is re-read at most this often in one settle (a record changing under us on every try is a fault, not a race). */
const MAX_TRIES = 8;

export interface LapseSettler {
  /** Records every change the clock has made to the register by `now()`. */
  settleAll(): Promise<void>;
  /** The product with every change the clock made by `at` recorded. */
  settleProduct(product: Product, at: number): Promise<Product>;
  settleAuthorisation(authorisation: ClientAuthorisation, at: number): Promise<ClientAuthorisation>;
}

type Entity = 'PRODUCT' | 'CLIENT_AUTHORISATION';
type RecordOf<E extends Entity> = E extends 'PRODUCT' ? Product : ClientAuthorisation;

/** Records, one history entry each, every change the clock made to `record` by `at`; re-reads it when another writer got there first. */
async function settle<E extends Entity>(
  store: Pick<RegistryStore, 'applyRegistryChange'>,
  entity: E,
  record: RecordOf<E>,
  at: number,
  next: (r: RecordOf<E>, at: number) => Lapse<RecordOf<E>> | null,
  reread: (r: RecordOf<E>) => Promise<RecordOf<E> | null>,
): Promise<RecordOf<E>> {
  let current = record;
  for (let tries = 0; tries < MAX_TRIES; ) {
    const lapse = next(current, at);
    if (!lapse) return current;
    try {
      const change = { entity, expectedRevision: current.revision, next: lapse.next, note: lapse.note } as RegistryChange;
      const { revision } = await store.applyRegistryChange(change);
      current = { ...lapse.next, revision };
    } catch (err) {
      if (!(err instanceof StoreConflictError)) throw err;
      tries += 1; // someone else (another instance recording the same lapse, or an editor) got there first
      const fresh = await reread(current);
      if (!fresh) return current;
      current = fresh;
    }
  }
  throw new Error(`the register kept changing while the clock's changes to ${entity} were recorded`);
}

/**
 * The product with every change the clock made by `at` recorded (by `system`, at its instant):
 * what the registry subgraph does before any change, for another writer of the register (the
 * monitor's protective suspension), so it is never credited with a lapse.
 */
export function settleProductLapses(store: Pick<RegistryStore, 'applyRegistryChange' | 'productById'>, product: Product, at: number): Promise<Product> {
  return settle(store, 'PRODUCT', product, at, nextProductLapse, (r) => store.productById(r.id));
}

export function createLapseSettler(deps: { store: RegistryStore; now: () => number }): LapseSettler {
  const { store, now } = deps;
  /** `P|id` or `A|org|client` → the earliest pending instant of that record. */
  const pending = new Map<string, number>();
  let knownRevision = 0;
  const oneSettleAtATime = oneAtATime();

  const settleProduct = (p: Product, at: number) => settleProductLapses(store, p, at);
  const settleAuthorisation = (a: ClientAuthorisation, at: number) => settle(store, 'CLIENT_AUTHORISATION', a, at, nextAuthorisationLapse, (r) => store.clientAuthorisation(r.org, r.clientId));

  function track(key: string, instant: number | null): void {
    if (instant === null) pending.delete(key);
    else pending.set(key, instant);
  }

  async function catchUp(): Promise<void> {
    const changes = await store.changesSince(knownRevision);
    for (const p of changes.products) track(`P|${p.id}`, productLapseInstant(p));
    for (const a of changes.authorisations) track(`A|${authorisationKey(a.org, a.clientId)}`, authorisationLapseInstant(a));
    knownRevision = changes.revision;
  }

  async function settleDue(at: number): Promise<void> {
    await catchUp();
    const due = [...pending].filter(([, instant]) => instant <= at).map(([key]) => key);
    for (const key of due) {
      const [kind, ...rest] = key.split('|');
      if (kind === 'P') {
        const product = await store.productById(rest[0]!);
        if (product) await settleProduct(product, at);
      } else {
        const authorisation = await store.clientAuthorisation(rest[0]!, rest[1]!);
        if (authorisation) await settleAuthorisation(authorisation, at);
      }
    }
    if (due.length) await catchUp();
  }

  return {
    settleAll() {
      // One settle at a time in this process: two requests never record the same lapse twice here.
      return oneSettleAtATime(() => settleDue(now()));
    },
    settleProduct,
    settleAuthorisation,
  };
}
