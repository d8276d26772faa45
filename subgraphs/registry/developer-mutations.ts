/** Developer registration (admin or developer staff) and the admin's developer lifecycle decisions. */
import { isDenial, type Outcome } from '../../registry/change-note.js';
import { approveDeveloper, completeAnnualReview, deregisterDeveloper, rejectDeveloper, reinstateDeveloper, suspendDeveloper, type ReviewDateRequest } from '../../registry/developer-lifecycle.js';
import { registerDeveloper, type DeveloperApplication } from '../../registry/developer-registration.js';
import { holdsRegistration, normaliseAbn } from '../../registry/eligibility.js';
import type { Developer } from '../../registry/model.js';
import type { Store } from '../../store/port.js';
import type { SubgraphContext } from '../shared/server.js';
import { adminActor, staffActor } from './access.js';
import { abnHeldError, applyChange, fail, oneAtATime, requireRevision, translateStoreError } from './apply-change.js';
import { changeRequestOf, type ChangeArgs } from './change-args.js';
import { CodedError } from '../../core/errors.js';

export interface DeveloperMutationDeps {
  store: Store;
  now: () => number;
  newDeveloperId: () => string;
}

/** Statuses in which a developer holds its ABN against an approval of another. */
const ABN_HOLDERS: readonly Developer['status'][] = ['ACTIVE', 'SUSPENDED'];

type DeveloperArgs = ChangeArgs & { developerId: string; reviewDueAt?: string | null };
type DeveloperCommand = (developer: Developer, request: ReviewDateRequest, actor: string, now: number) => Outcome<Developer>;

interface RegisterDeveloperArgs {
  input: DeveloperApplication & { reason?: string | null; ticket?: string | null };
}

export function developerMutations({ store, now, newDeveloperId }: DeveloperMutationDeps) {
  // Registrations in this process run one at a time, so two applications under one ABN cannot
  // both pass the duplicate check between its read and its write. (Across processes an admin's
  // approval is the backstop: approving also re-checks the ABN, in the store's transaction.)
  const registrations = oneAtATime();

  async function abnHeld(abn: string, by: (d: Developer) => boolean): Promise<boolean> {
    const wanted = normaliseAbn(abn);
    try {
      return (await store.listDevelopers()).some((d) => normaliseAbn(d.abn) === wanted && by(d));
    } catch (err) {
      throw translateStoreError(err);
    }
  }

  function lifecycle(command: DeveloperCommand, options: { recheckAbn?: boolean } = {}) {
    return async (_root: unknown, args: DeveloperArgs, context: SubgraphContext): Promise<Developer> => {
      const actor = adminActor(context.identity);
      if (isDenial(actor)) fail(actor);
      let developer: Developer | null;
      try {
        developer = await store.developerById(args.developerId);
      } catch (err) {
        throw translateStoreError(err);
      }
      if (!developer) throw new CodedError('NOT_FOUND', 'No developer has this id.', { details: { developerId: args.developerId } });
      requireRevision(developer, args.expectedRevision);
      const request: ReviewDateRequest = { ...changeRequestOf(args), reviewDueAt: args.reviewDueAt ?? null };
      const outcome = command(developer, request, actor, now());
      // Two applications under one ABN can both be pending (registered through different
      // processes at once); only one may become active. Pending ones do not block each other,
      // so the admin can still approve one and reject the other. The read here answers early; the
      // store checks again in the write's own transaction, so two approvals racing (in one
      // process or in two sharing the store) cannot both pass on a read of the other as PENDING.
      const self = developer;
      if (!isDenial(outcome) && options.recheckAbn && (await abnHeld(self.abn, (d) => d.id !== self.id && ABN_HOLDERS.includes(d.status)))) {
        throw abnHeldError();
      }
      return applyChange(store, 'DEVELOPER', args.expectedRevision, outcome, options.recheckAbn ? { abnExclusiveAmong: ABN_HOLDERS } : {});
    };
  }

  return {
    async registerDeveloper(_root: unknown, args: RegisterDeveloperArgs, context: SubgraphContext): Promise<Developer> {
      const actor = staffActor(context.identity, null);
      if (isDenial(actor)) fail(actor);
      return registrations(async () => {
        const abnAlreadyRegistered = await abnHeld(args.input.abn, holdsRegistration);
        const { reason, ticket, ...application } = args.input;
        const outcome = registerDeveloper(application, { id: newDeveloperId(), abnAlreadyRegistered, actor, now: now(), reason: reason ?? null, ticket: ticket ?? null });
        return applyChange(store, 'DEVELOPER', null, outcome);
      });
    },
    approveDeveloper: lifecycle(approveDeveloper, { recheckAbn: true }),
    rejectDeveloper: lifecycle(rejectDeveloper),
    suspendDeveloper: lifecycle(suspendDeveloper),
    reinstateDeveloper: lifecycle(reinstateDeveloper),
    deregisterDeveloper: lifecycle(deregisterDeveloper),
    completeAnnualReview: lifecycle(completeAnnualReview),
  };
}
