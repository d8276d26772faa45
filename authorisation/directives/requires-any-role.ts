import { denial } from '../../core/errors.js';
import { stringListArg, type DirectiveModule } from './types.js';

export interface RequiresAnyRoleArgs {
  roles: string[];
}

/** Passes when the (staff) token has at least one of the roles (e.g. registry reads: admin, auditor or developer staff). */
export const requiresAnyRole: DirectiveModule<RequiresAnyRoleArgs> = {
  name: 'requiresAnyRole',
  sdl: 'directive @requiresAnyRole(roles: [String!]!) on FIELD_DEFINITION | OBJECT',
  readArgs: (node) => ({ roles: stringListArg(node, 'roles') }),
  evaluate({ roles }, caller) {
    return roles.some((r) => caller.roles.has(r)) ? null : denial('ROLE_REQUIRED', `This needs one of the roles ${roles.join(', ')}.`, { roles });
  },
};
