/** Granting and revoking client authorisations (admin only); these drive `@clientAccess` at the gateway. */
import { CodedError } from '../../core/errors.js';
import { grantClientAuthorisation, revokeClientAuthorisation } from '../../registry/authorisations.js';
import { isDenial } from '../../registry/change-note.js';
import type { ClientAuthorisation } from '../../registry/model.js';
import type { Store } from '../../store/port.js';
import type { SubgraphContext } from '../shared/server.js';
import { adminActor } from './access.js';
import { applyChange, fail, requireRevision, translateStoreError } from './apply-change.js';
import { changeRequestOf, type ChangeArgs } from './change-args.js';

interface AuthorisationArgs extends Omit<ChangeArgs, 'expectedRevision'> {
  org: string;
  clientId: string;
}

export function authorisationMutations({ store, now }: { store: Store; now: () => number }) {
  async function load(org: string, clientId: string): Promise<ClientAuthorisation | null> {
    try {
      return await store.clientAuthorisation(org.replace(/\s+/g, ''), clientId);
    } catch (err) {
      throw translateStoreError(err);
    }
  }

  return {
    async grantClientAuthorisation(_root: unknown, args: AuthorisationArgs & { expectedRevision?: number | null; expiresAt?: string | null }, context: SubgraphContext): Promise<ClientAuthorisation> {
      const actor = adminActor(context.identity);
      if (isDenial(actor)) fail(actor);
      const existing = await load(args.org, args.clientId);
      const expected = args.expectedRevision ?? null;
      requireRevision(existing, expected);
      const outcome = grantClientAuthorisation(existing, { org: args.org, clientId: args.clientId, expiresAt: args.expiresAt ?? null }, changeRequestOf(args), actor, now());
      return applyChange(store, 'CLIENT_AUTHORISATION', expected, outcome);
    },

    async revokeClientAuthorisation(_root: unknown, args: AuthorisationArgs & { expectedRevision: number }, context: SubgraphContext): Promise<ClientAuthorisation> {
      const actor = adminActor(context.identity);
      if (isDenial(actor)) fail(actor);
      const existing = await load(args.org, args.clientId);
      if (!existing) throw new CodedError('NOT_FOUND', 'No authorisation exists for this org and client.', { details: { org: args.org, clientId: args.clientId } });
      requireRevision(existing, args.expectedRevision);
      return applyChange(store, 'CLIENT_AUTHORISATION', args.expectedRevision, revokeClientAuthorisation(existing, changeRequestOf(args), actor, now()));
    },
  };
}
