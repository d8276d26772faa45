import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kind, parse, type ObjectTypeDefinitionNode } from 'graphql';
import { isOneByte } from '../../helpers/string-representation.js';

const SCHEMA_DIR = fileURLToPath(new URL('../../../schema/', import.meta.url));

/**
 * The schema files hold ASCII only. The gateway reads the supergraph as one string, and one
 * character past Latin-1 anywhere in it (a dash in a description) makes V8 hold the whole text,
 * and every type, field and argument name sliced from it, two bytes per character: the names the
 * query planner, the subgraph requests and the access records are built from (core/one-byte.ts,
 * docs/performance.md). Write -, ->, ... and "section" instead.
 */
describe('schema files', () => {
  const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.graphql'));

  it('are all found', () => {
    expect(files).toEqual(expect.arrayContaining(['supergraph.graphql', 'clients.graphql', 'registry.graphql']));
  });

  it.each(files)('%s holds ASCII only', (file) => {
    const lines = readFileSync(`${SCHEMA_DIR}${file}`, 'utf8').split('\n');
    const offending = lines.flatMap((line, i) => (/[^\x00-\x7f]/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
    expect(offending).toEqual([]);
  });

  it('the supergraph as the gateway reads it gives one-byte names', () => {
    const doc = parse(readFileSync(`${SCHEMA_DIR}supergraph.graphql`, 'utf8'), { noLocation: true });
    const client = doc.definitions.find((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Client');
    const name = client!.fields!.find((f) => f.name.value.length >= 9)!.name.value;
    expect(isOneByte(name)).toBe(true);
  });
});
