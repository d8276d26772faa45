import { denial } from '../../core/errors.js';
import type { DirectiveModule } from './types.js';

/** Passes when every data hosting location the product declared is in Australia. */
export const onshoreOnly: DirectiveModule<Record<string, never>> = {
  name: 'onshoreOnly',
  sdl: 'directive @onshoreOnly on FIELD_DEFINITION | OBJECT',
  readArgs: () => ({}),
  evaluate(_args, caller) {
    // Staff tokens carry no product: they are not hosting taxpayer data anywhere.
    if (caller.kind === 'staff') return null;
    return caller.product?.onshore ? null : denial('DATA_HOSTING_NOT_ONSHORE', 'This data may only go to products hosted in Australia.');
  },
};
