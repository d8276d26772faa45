import { denial } from '../../core/errors.js';
import type { DirectiveModule } from './types.js';

/** Passes when the token's `amr` contains `mfa`. */
export const requiresMfa: DirectiveModule<Record<string, never>> = {
  name: 'requiresMfa',
  sdl: 'directive @requiresMfa on FIELD_DEFINITION | OBJECT',
  readArgs: () => ({}),
  evaluate(_args, caller) {
    return caller.mfa ? null : denial('MFA_REQUIRED', 'This needs multi-factor authentication.');
  },
};
