/** Subgraph SDL = the enforcement preamble (from directives/) + the subgraph's own schema/<name>.graphql. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';
import { enforcementPreamble } from '../../authorisation/directives/index.js';

export const SUBGRAPH_NAMES = ['clients', 'lodgments', 'accounts', 'registry', 'audit'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

const FEDERATION_IMPORTS = ['@shareable', '@external', '@requires', '@provides', '@inaccessible', '@listSize'];

/** The subgraph's files: `<name>.graphql` plus any `<name>-<part>.graphql` (e.g. registry-incidents.graphql), in name order. */
export function subgraphSchemaFiles(name: SubgraphName): string[] {
  const parts = readdirSync(SCHEMA_DIR)
    .filter((f) => f.startsWith(`${name}-`) && f.endsWith('.graphql'))
    .sort();
  return [`${name}.graphql`, ...parts];
}

export function subgraphSdl(name: SubgraphName): string {
  const body = subgraphSchemaFiles(name).map((f) => readFileSync(`${SCHEMA_DIR}${f}`, 'utf8'));
  return `${enforcementPreamble(FEDERATION_IMPORTS)}\n${body.join('\n')}`;
}

export function subgraphTypeDefs(name: SubgraphName): DocumentNode {
  return parse(subgraphSdl(name));
}
