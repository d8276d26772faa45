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
import type { LapseSettler } from './lapses.js';

interface AuthorisationArgs extends Omit<ChangeArgs, 'expectedRevision'> {
  org: string;
  clientId: string;
}

export function authorisationMutations({ store, now, lapses }: { store: Store; now: () => number; lapses: LapseSettler }) {
  /** The authorisation with the clock's changes up to `at` recorded (an expiry is on file before anyone acts on it). */
  async function load(org: string, clientId: string, at: number): Promise<ClientAuthorisation | null> {
    try {
      const found = await store.clientAuthorisation(org.replace(/\s+/g, ''), clientId);
      return found && (await lapses.settleAuthorisation(found, at));
    } catch (err) {
      throw translateStoreError(err);
    }
  }

  return {
    async grantClientAuthorisation(_root: unknown, args: AuthorisationArgs & { expectedRevision?: number | null; expiresAt?: string | null }, context: SubgraphContext): Promise<ClientAuthorisation> {
      const actor = adminActor(context.identity);
      if (isDenial(actor)) fail(actor);
      const at = now();
      const existing = await load(args.org, args.clientId, at);
      const expected = args.expectedRevision ?? null;
      requireRevision(existing, expected);
      const outcome = grantClientAuthorisation(existing, { org: args.org, clientId: args.clientId, expiresAt: args.expiresAt ?? null }, changeRequestOf(args), actor, at);
      return applyChange(store, 'CLIENT_AUTHORISATION', expected, outcome);
    },

    async revokeClientAuthorisation(_root: unknown, args: AuthorisationArgs & { expectedRevision: number }, context: SubgraphContext): Promise<ClientAuthorisation> {
      const actor = adminActor(context.identity);
      if (isDenial(actor)) fail(actor);
      const at = now();
      const existing = await load(args.org, args.clientId, at);
      if (!existing) throw new CodedError('NOT_FOUND', 'No authorisation exists for this org and client.', { details: { org: args.org, clientId: args.clientId } });
      requireRevision(existing, args.expectedRevision);
      return applyChange(store, 'CLIENT_AUTHORISATION', args.expectedRevision, revokeClientAuthorisation(existing, changeRequestOf(args), actor, at));
    },
  };
}
