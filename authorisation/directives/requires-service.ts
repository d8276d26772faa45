import { denial } from '../../core/errors.js';
import { stringArg, type DirectiveModule } from './types.js';

export interface RequiresServiceArgs {
  service: string;
}

/** Passes when the product is whitelisted for the service and the token's scope includes it. */
export const requiresService: DirectiveModule<RequiresServiceArgs> = {
  name: 'requiresService',
  sdl: 'directive @requiresService(service: String!) on FIELD_DEFINITION | OBJECT',
  readArgs: (node) => ({ service: stringArg(node, 'service') }),
  evaluate({ service }, caller) {
    if (!caller.product || !caller.product.services.has(service)) {
      return denial('SERVICE_NOT_WHITELISTED', `The product is not whitelisted for ${service}.`, { service });
    }
    if (!caller.scopes.has(service)) return denial('SCOPE_NOT_GRANTED', `The token scope does not include ${service}.`, { service });
    return null;
  },
};
