/** `npm run compose`: writes schema/supergraph.graphql, or lists the composition errors and exits 1. */
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { composableSubgraphs, composeSupergraph, CompositionError, SUPERGRAPH_PATH } from './compose-lib.js';

try {
  const names = composableSubgraphs();
  writeFileSync(SUPERGRAPH_PATH, composeSupergraph(names));
  process.stdout.write(`Composed ${names.join(', ')} into ${relative(process.cwd(), SUPERGRAPH_PATH)}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof CompositionError ? err.message : String((err as Error)?.stack ?? err)}\n`);
  process.exitCode = 1;
}
