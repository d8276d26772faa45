import { denial } from '../../core/errors.js';
import type { DirectiveModule } from './types.js';

/** Passes only for products certified ENHANCED (independently assessed). */
export const restricted: DirectiveModule<Record<string, never>> = {
  name: 'restricted',
  sdl: 'directive @restricted on FIELD_DEFINITION | OBJECT',
  readArgs: () => ({}),
  evaluate(_args, caller) {
    return caller.product?.tier === 'ENHANCED' ? null : denial('RESTRICTED_DATA', 'Restricted data needs an ENHANCED certification.');
  },
};
