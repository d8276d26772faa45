/**
 * Composes the subgraph SDLs in schema/ into the supergraph, as a pure function the
 * `npm run compose` script and the staleness test share (the test recomposes and compares with
 * the committed file, so the two can never disagree on how composition is done).
 */
import { existsSync } from 'node:fs';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SCHEMA_DIR, SUBGRAPH_NAMES, subgraphSdl, type SubgraphName } from '../subgraphs/shared/sdl.js';

/** Where the committed supergraph lives. */
export const SUPERGRAPH_PATH = `${SCHEMA_DIR}supergraph.graphql`;

/** Default port per subgraph (4001–4005, in SUBGRAPH_NAMES order); the gateway overrides the URLs from config. */
export function defaultSubgraphUrl(name: SubgraphName): string {
  return `http://127.0.0.1:${4001 + SUBGRAPH_NAMES.indexOf(name)}/graphql`;
}

/** The subgraphs that have an SDL file in schema/, in SUBGRAPH_NAMES order (registry and audit join once they exist). */
export function composableSubgraphs(): SubgraphName[] {
  return SUBGRAPH_NAMES.filter((name) => existsSync(`${SCHEMA_DIR}${name}.graphql`));
}

export class CompositionError extends Error {
  override readonly name = 'CompositionError';
  constructor(readonly problems: string[]) {
    super(`Supergraph composition failed:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The supergraph SDL, exactly as written to schema/supergraph.graphql. Throws CompositionError
 * listing every problem.
 * @param names subgraphs to compose (default: those with an SDL file in schema/).
 * @param sdlOf a subgraph's full SDL (default: `subgraphSdl`, preamble + schema/<name>.graphql); tests substitute it.
 */
export function composeSupergraph(names: readonly SubgraphName[] = composableSubgraphs(), sdlOf: (name: SubgraphName) => string = subgraphSdl): string {
  const problems: string[] = [];
  const services = [];
  for (const name of names) {
    try {
      services.push({ name, url: defaultSubgraphUrl(name), typeDefs: parse(sdlOf(name)) });
    } catch (err) {
      problems.push(`${name}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new CompositionError(problems);
  const result = composeServices(services);
  if (result.errors) throw new CompositionError(result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`));
  return `${result.supergraphSdl.trimEnd()}\n`;
}
