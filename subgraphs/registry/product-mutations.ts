/**
 * Product registration and self-certification (admin, or developer staff for their own
 * developer) and the admin's certification and lifecycle decisions.
 */
import { CodedError } from '../../core/errors.js';
import { isDenial, type ChangeRequest, type Outcome } from '../../registry/change-note.js';
import type { CertificationTier, Product, RequirementAssessment, TrustedDocumentsMode } from '../../registry/model.js';
import { approveOperationManifest, setTrustedDocuments, submitOperationManifest } from '../../registry/operation-manifest.js';
import { certifyProduct, removeServices, whitelistServices } from '../../registry/product-certification.js';
import { reinstateProduct, rejectCertification, revokeProduct, setMinimumVersion, suspendProduct } from '../../registry/product-lifecycle.js';
import { registerProduct, type ProductApplication } from '../../registry/product-registration.js';
import { submitSelfCertification } from '../../registry/self-certification.js';
import { setKeyBinding, type KeyBindingInput } from '../../registry/key-binding.js';
import type { Store } from '../../store/port.js';
import type { SubgraphContext } from '../shared/server.js';
import { ADMIN } from '../../core/roles.js';
import { adminActor, forbidden, staffActor } from './access.js';
import { applyChange, fail, oneAtATime, requireRevision, translateStoreError } from './apply-change.js';
import { changeRequestOf, type ChangeArgs } from './change-args.js';
import type { LapseSettler } from './lapses.js';

export interface ProductMutationDeps {
  store: Store;
  now: () => number;
  newProductId: () => string;
  /** Rate tier of newly registered products. */
  rateTier: string;
  /** Records the clock's changes to a product before anyone acts on it. */
  lapses: LapseSettler;
}

type ProductArgs = ChangeArgs & { productId: string };
type ProductCommand<A> = (product: Product, args: A, request: ChangeRequest, actor: string, now: number) => Outcome<Product>;

interface RegisterProductArgs {
  input: ProductApplication & { reason?: string | null; ticket?: string | null };
}

export function productMutations({ store, now, newProductId, rateTier, lapses }: ProductMutationDeps) {
  const registrations = oneAtATime();
  async function load(productId: string): Promise<Product | null> {
    try {
      return await store.productById(productId);
    } catch (err) {
      throw translateStoreError(err);
    }
  }

  async function change<A extends ProductArgs>(product: Product | null, args: A, actor: string, command: ProductCommand<A>): Promise<Product> {
    if (!product) throw new CodedError('NOT_FOUND', 'No product has this id.', { details: { productId: args.productId } });
    // The command is judged on the record as the clock has left it at this instant (a lapsed
    // suspension recorded by `system` first), so it is never credited with the lapse.
    const at = now();
    let settled: Product;
    try {
      settled = await lapses.settleProduct(product, at);
    } catch (err) {
      throw translateStoreError(err);
    }
    requireRevision(settled, args.expectedRevision);
    return applyChange(store, 'PRODUCT', args.expectedRevision, command(settled, args, changeRequestOf(args), actor, at));
  }

  /** An admin-only product mutation: the role is checked before anything is read. */
  function admin<A extends ProductArgs>(command: ProductCommand<A>) {
    return async (_root: unknown, args: A, context: SubgraphContext): Promise<Product> => {
      const actor = adminActor(context.identity);
      if (isDenial(actor)) fail(actor);
      return change(await load(args.productId), args, actor, command);
    };
  }

  /** A mutation for an admin, or for developer staff on their own developer's product. */
  function ownOrAdmin<A extends ProductArgs>(command: ProductCommand<A>) {
    return async (_root: unknown, args: A, context: SubgraphContext): Promise<Product> => {
      const product = await load(args.productId);
      // Developer staff learn nothing about products that are not theirs, not even whether they exist.
      if (!product && !context.identity.roles.includes(ADMIN)) fail(forbidden('products'));
      const actor = staffActor(context.identity, product?.developerId ?? null);
      if (isDenial(actor)) fail(actor);
      return change(product, args, actor, command);
    };
  }

  return {
    async registerProduct(_root: unknown, args: RegisterProductArgs, context: SubgraphContext): Promise<Product> {
      const actor = staffActor(context.identity, args.input.developerId);
      if (isDenial(actor)) fail(actor);
      let developer;
      try {
        developer = await store.developerById(args.input.developerId);
      } catch (err) {
        throw translateStoreError(err);
      }
      if (!developer) throw new CodedError('NOT_FOUND', 'No developer has this id.', { details: { developerId: args.input.developerId } });
      const found = developer;
      // One at a time in this process, so concurrent registrations cannot all pass the count.
      return registrations(async () => {
        let held: number;
        try {
          held = (await store.listProducts({ developerId: found.id })).filter((p) => p.status !== 'REVOKED').length;
        } catch (err) {
          throw translateStoreError(err);
        }
        if (held >= MAX_PRODUCTS_PER_DEVELOPER) {
          throw new CodedError('BAD_USER_INPUT', `A developer holds at most ${MAX_PRODUCTS_PER_DEVELOPER} products that are not revoked.`, { details: { field: 'input.developerId', problem: 'TOO_MANY_PRODUCTS', maxProducts: MAX_PRODUCTS_PER_DEVELOPER } });
        }
        const { reason, ticket, ...application } = args.input;
        const outcome = registerProduct(application, found, { id: newProductId(), actor, now: now(), rateTier, reason: reason ?? null, ticket: ticket ?? null });
        return applyChange(store, 'PRODUCT', null, outcome);
      });
    },

    submitSelfCertification: ownOrAdmin<ProductArgs & { assessments: RequirementAssessment[] }>((p, a, request, actor, at) => submitSelfCertification(p, a.assessments, request, actor, at)),
    submitOperationManifest: ownOrAdmin<ProductArgs & { documents: string[] }>((p, a, request, actor, at) => submitOperationManifest(p, a.documents, request, actor, at)),
    approveOperationManifest: admin<ProductArgs & { manifestVersion: number }>((p, a, request, actor, at) => approveOperationManifest(p, a.manifestVersion, request, actor, at)),
    setTrustedDocuments: admin<ProductArgs & { mode?: TrustedDocumentsMode | null }>((p, a, request, actor, at) => setTrustedDocuments(p, a.mode ?? null, request, actor, at)),

    certifyProduct: admin<ProductArgs & { tier: CertificationTier; validFrom: string; validUntil: string; services: string[]; manifestVersion?: number | null }>((p, a, request, actor, at) =>
      certifyProduct(p, { tier: a.tier, validFrom: a.validFrom, validUntil: a.validUntil, services: a.services, manifestVersion: a.manifestVersion ?? null }, request, actor, at),
    ),
    rejectCertification: admin<ProductArgs>((p, _a, request, actor, at) => rejectCertification(p, request, actor, at)),
    whitelistServices: admin<ProductArgs & { services: string[] }>((p, a, request, actor, at) => whitelistServices(p, a.services, request, actor, at)),
    removeServices: admin<ProductArgs & { services: string[] }>((p, a, request, actor, at) => removeServices(p, a.services, request, actor, at)),
    setMinimumVersion: admin<ProductArgs & { minimumVersion: string }>((p, a, request, actor, at) => setMinimumVersion(p, a.minimumVersion, request, actor, at)),
    suspendProduct: admin<ProductArgs & { until?: string | null }>((p, a, request, actor, at) => suspendProduct(p, { ...request, until: a.until ?? null }, actor, at)),
    reinstateProduct: admin<ProductArgs>((p, _a, request, actor, at) => reinstateProduct(p, request, actor, at)),
    revokeProduct: admin<ProductArgs>((p, _a, request, actor, at) => revokeProduct(p, request, actor, at)),
    // DPoP key binding (schema/registry-key-binding.graphql): admin only, registry/key-binding.ts says why.
    setKeyBinding: admin<ProductArgs & KeyBindingInput>((p, a, request, actor, at) => setKeyBinding(p, { required: a.required, thumbprints: a.thumbprints }, request, actor, at)),

    /**
     * One decision for several products: each is judged on its own record and revision and gets
     * its own history entry, so a stale revision (or an illegal transition) refuses that product
     * alone and the rest are applied. A store outage stops the batch (what was applied stays applied
     * and is on record).
     */
    async changeProducts(_root: unknown, args: BatchArgs, context: SubgraphContext): Promise<BatchResult[]> {
      const actor = adminActor(context.identity);
      if (isDenial(actor)) fail(actor);
      const ids = args.products.map((p) => p.productId);
      if (ids.length === 0 || ids.length > MAX_BATCH) throw new CodedError('BAD_USER_INPUT', `Give from 1 to ${MAX_BATCH} products.`, { details: { field: 'products' } });
      if (new Set(ids).size !== ids.length) throw new CodedError('BAD_USER_INPUT', 'A product appears twice in the batch.', { details: { field: 'products' } });
      if (args.until != null && args.action !== 'SUSPEND') throw new CodedError('BAD_USER_INPUT', '`until` applies to SUSPEND only.', { details: { field: 'until' } });
      const command = BATCH_COMMANDS[args.action];
      if (!command) throw new CodedError('BAD_USER_INPUT', 'Unknown batch action.', { details: { field: 'action' } });
      const results: BatchResult[] = [];
      for (const target of args.products) {
        const one = { ...args, productId: target.productId, expectedRevision: target.expectedRevision };
        try {
          results.push({ productId: target.productId, product: await change(await load(target.productId), one, actor, command), code: null, message: null });
        } catch (err) {
          const code = err instanceof CodedError ? (err.extensions['code'] as string) : null;
          if (!code || code === 'REGISTRY_UNAVAILABLE') throw err;
          results.push({ productId: target.productId, product: null, code, message: err instanceof Error ? err.message : null });
        }
      }
      return results;
    },
  };
}

/**
 * Most products one developer may hold that are not revoked (review s19a F1): every gateway keeps
 * every product in memory, so a developer's staff must not be able to add them without end. Past
 * it, an admin revoking products is what makes room.
 */
export const MAX_PRODUCTS_PER_DEVELOPER = 100;

/** Most products one batch change may name. */
export const MAX_BATCH = 100;

type BatchAction = 'SUSPEND' | 'REINSTATE' | 'REVOKE';
type BatchArgs = ChangeArgs & { action: BatchAction; products: Array<{ productId: string; expectedRevision: number }>; until?: string | null };
interface BatchResult {
  productId: string;
  product: Product | null;
  code: string | null;
  message: string | null;
}

const BATCH_COMMANDS: Record<BatchAction, ProductCommand<BatchArgs & { productId: string }>> = {
  SUSPEND: (p, a, request, actor, at) => suspendProduct(p, { ...request, until: a.until ?? null }, actor, at),
  REINSTATE: (p, _a, request, actor, at) => reinstateProduct(p, request, actor, at),
  REVOKE: (p, _a, request, actor, at) => revokeProduct(p, request, actor, at),
};
