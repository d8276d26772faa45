/**
 * The console's GraphQL operations: the files under docs/operations/<folder>/<Name>.graphql, read
 * once at start-up. They are the only operations the console sends, so the documented examples
 * and the console cannot drift apart, and a test runs every file against the real system.
 *
 * Each file holds one named operation whose name is the file's name, after three header lines:
 *   # <what it does>
 *   # Users: admin, auditor, developer, product (who may run it)
 *   # Example variables: {json}
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';

export const OPERATIONS_DIR = fileURLToPath(new URL('../docs/operations/', import.meta.url));

export const OPERATION_USERS = ['admin', 'auditor', 'developer', 'product'] as const;
export type OperationUser = (typeof OPERATION_USERS)[number];

export interface ConsoleOperation {
  /** `folder/Name`, e.g. `register/Product`. */
  id: string;
  /** The operation's name (the file's). */
  name: string;
  type: 'query' | 'mutation';
  summary: string;
  users: OperationUser[];
  /** The example's values name demo products and clients: served only beside the development tools (console/index.ts). */
  exampleVariables: Record<string, unknown>;
  /** The file's text, comments included (GraphQL ignores them), but for the example-variables line. */
  document: string;
}

function header(text: string, label: string, file: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`# ${label}:`));
  if (line === undefined) throw new Error(`${file}: no "# ${label}:" header line`);
  return line.slice(label.length + 3).trim();
}

/** Parses and checks one operation file; throws naming the file when it breaks the convention. */
export function parseOperationFile(id: string, text: string): ConsoleOperation {
  const file = `docs/operations/${id}.graphql`;
  const name = id.split('/').pop()!;
  const definitions = parse(text).definitions;
  const operations = definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1 || definitions.length !== 1) throw new Error(`${file}: must hold exactly one operation and nothing else`);
  const operation = operations[0]!;
  if (operation.name?.value !== name) throw new Error(`${file}: the operation must be named ${name}`);
  if (operation.operation === 'subscription') throw new Error(`${file}: subscriptions are not served`);
  const users = header(text, 'Users', file).split(',').map((u) => u.trim());
  for (const u of users) if (!(OPERATION_USERS as readonly string[]).includes(u)) throw new Error(`${file}: unknown user ${u}`);
  const summary = text.split('\n')[0]!.replace(/^#\s*/, '');
  let exampleVariables: unknown;
  try {
    exampleVariables = JSON.parse(header(text, 'Example variables', file));
  } catch (err) {
    throw new Error(`${file}: Example variables are not JSON (${(err as Error).message})`);
  }
  if (exampleVariables === null || typeof exampleVariables !== 'object' || Array.isArray(exampleVariables)) throw new Error(`${file}: Example variables must be a JSON object`);
  // The document the console sends (and an anonymous caller can read in operations.json) names no
  // demo product or client: the example line stays in the file, for its readers and the explorer.
  const document = text
    .split('\n')
    .filter((l) => !l.startsWith('# Example variables:'))
    .join('\n');
  return { id, name, type: operation.operation, summary, users: users as OperationUser[], exampleVariables: exampleVariables as Record<string, unknown>, document };
}

/** Every operation under `dir`, by id, sorted. Throws on the first file that breaks the convention. */
export function loadOperations(dir: string = OPERATIONS_DIR): Map<string, ConsoleOperation> {
  const out = new Map<string, ConsoleOperation>();
  for (const folder of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const file of readdirSync(join(dir, folder)).filter((f) => f.endsWith('.graphql')).sort()) {
      const id = `${folder}/${file.slice(0, -'.graphql'.length)}`;
      out.set(id, parseOperationFile(id, readFileSync(join(dir, folder, file), 'utf8')));
    }
  }
  const names = new Map<string, string>();
  for (const op of out.values()) {
    const other = names.get(op.name);
    if (other) throw new Error(`docs/operations: ${op.id} and ${other} share the operation name ${op.name}`);
    names.set(op.name, op.id);
  }
  return out;
}
