import type { DirectiveModule } from './types.js';

/** Always passes: marks a field as deliberately open (e.g. service status), so it counts as covered. */
export const publicAccess: DirectiveModule<Record<string, never>> = {
  name: 'public',
  sdl: 'directive @public on FIELD_DEFINITION | OBJECT',
  readArgs: () => ({}),
  evaluate: () => null,
};
