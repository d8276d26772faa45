import { denial } from '../../core/errors.js';
import { stringArg, type DirectiveModule } from './types.js';

export interface RequiresRoleArgs {
  role: string;
}

/** Passes when the (staff) token has the role. */
export const requiresRole: DirectiveModule<RequiresRoleArgs> = {
  name: 'requiresRole',
  sdl: 'directive @requiresRole(role: String!) on FIELD_DEFINITION | OBJECT',
  readArgs: (node) => ({ role: stringArg(node, 'role') }),
  evaluate({ role }, caller) {
    return caller.roles.has(role) ? null : denial('ROLE_REQUIRED', `This needs the ${role} role.`, { role });
  },
};
