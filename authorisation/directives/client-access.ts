import { denial } from '../../core/errors.js';
import { stringArg, type DirectiveModule } from './types.js';

export interface ClientAccessArgs {
  /** Name of the field argument that holds the client id. */
  argument: string;
}

const denied = () => denial('CLIENT_NOT_AUTHORISED', 'The organisation is not authorised to act for this client.');

/** Passes when the org on the token may act for the client named in the argument. */
export const clientAccess: DirectiveModule<ClientAccessArgs> = {
  name: 'clientAccess',
  sdl: 'directive @clientAccess(argument: String!) on FIELD_DEFINITION',
  readArgs: (node) => ({ argument: stringArg(node, 'argument') }),
  argumentOf: (args) => args.argument,
  evaluate(_args, caller, { argumentValue, now, holdsUntil }) {
    if (typeof argumentValue !== 'string' || !caller.org) return denied();
    const answer = caller.clientAuthorisation(argumentValue, now);
    // The verdict is only as durable as the authorisation behind it (its expiresAt).
    holdsUntil?.(answer.holdsUntil);
    return answer.authorised ? null : denied();
  },
};
