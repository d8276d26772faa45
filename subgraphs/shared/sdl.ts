/** Subgraph SDL = the enforcement preamble (from directives/) + the subgraph's own schema/<name>.graphql. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';
import { enforcementPreamble } from '../../directives/index.js';

export const SUBGRAPH_NAMES = ['clients', 'lodgments', 'accounts', 'registry', 'audit'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

const FEDERATION_IMPORTS = ['@shareable', '@external', '@requires', '@provides', '@inaccessible'];

export function subgraphSdl(name: SubgraphName): string {
  return `${enforcementPreamble(FEDERATION_IMPORTS)}\n${readFileSync(`${SCHEMA_DIR}${name}.graphql`, 'utf8')}`;
}

export function subgraphTypeDefs(name: SubgraphName): DocumentNode {
  return parse(subgraphSdl(name));
}
