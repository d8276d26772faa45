/** The enforcement directives, in one list the subgraph schemas and the gateway both read. */
import { clientAccess } from './client-access.js';
import { onshoreOnly } from './onshore-only.js';
import { publicAccess } from './public.js';
import { requiresAnyRole } from './requires-any-role.js';
import { requiresMfa } from './requires-mfa.js';
import { requiresRole } from './requires-role.js';
import { requiresService } from './requires-service.js';
import { restricted } from './restricted.js';
import type { DirectiveModule } from './types.js';

export const DIRECTIVES: ReadonlyArray<DirectiveModule<any>> = [requiresService, clientAccess, restricted, onshoreOnly, requiresRole, requiresAnyRole, requiresMfa, publicAccess];

export const DIRECTIVES_BY_NAME: ReadonlyMap<string, DirectiveModule<any>> = new Map(DIRECTIVES.map((d) => [d.name, d]));

/** The @link spec under which the directives are imported and composed. */
export const ENFORCEMENT_SPEC_URL = 'https://dsp-gateway.ato.gov.au/enforcement/v1.0';

/** SDL preamble every subgraph schema starts with: federation and enforcement links, compose instructions, definitions. */
export function enforcementPreamble(federationImports: readonly string[]): string {
  const names = DIRECTIVES.map((d) => `"@${d.name}"`).join(', ');
  const fed = ['@key', '@composeDirective', ...federationImports].map((n) => `"${n}"`).join(', ');
  return [
    'extend schema',
    `  @link(url: "https://specs.apollo.dev/federation/v2.9", import: [${fed}])`,
    `  @link(url: "${ENFORCEMENT_SPEC_URL}", import: [${names}])`,
    ...DIRECTIVES.map((d) => `  @composeDirective(name: "@${d.name}")`),
    '',
    ...DIRECTIVES.map((d) => d.sdl),
    '',
  ].join('\n');
}

export { clientAccess, onshoreOnly, publicAccess, requiresAnyRole, requiresMfa, requiresRole, requiresService, restricted };
export type { DirectiveModule } from './types.js';
export type { Caller, CallerProduct } from './caller.js';
