import { readFileSync } from 'node:fs';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { buildSchema, isObjectType } from 'graphql';
import { DIRECTIVES } from '../../../../authorisation/directives/index.js';
import { buildRequirementMap, uncoveredFields } from '../../../../authorisation/requirement-map.js';
import { composeSupergraph, composableSubgraphs } from '../../../../scripts/compose-lib.js';
import { SCHEMA_DIR } from '../../../../subgraphs/shared/sdl.js';
import { registrySubgraph } from '../../../../subgraphs/registry/index.js';
import type { Store } from '../../../../store/port.js';

const SDL = `${DIRECTIVES.map((d) => d.sdl).join('\n')}\n${readFileSync(`${SCHEMA_DIR}registry.graphql`, 'utf8').replace(/@key\([^)]*\)/g, '')}`;
const schema = buildSchema(SDL);
const map = buildRequirementMap(SDL);

describe('registry schema', () => {
  test('every reachable field is covered by an enforcement directive (the gateway refuses to start otherwise)', () => {
    expect(uncoveredFields(schema, map)).toEqual([]);
  });

  test('every mutation needs MFA and a staff role; admin decisions need ato:admin', () => {
    const STAFF_MUTATIONS = new Set(['registerDeveloper', 'registerProduct', 'submitSelfCertification', 'submitOperationManifest']);
    for (const field of Object.keys(schema.getMutationType()!.getFields())) {
      const names = map.byCoordinate.get(`Mutation.${field}`)!.map((r) => r.directive.name);
      expect([field, names.includes('requiresMfa')]).toEqual([field, true]);
      if (STAFF_MUTATIONS.has(field)) expect([field, names]).toEqual([field, ['requiresAnyRole', 'requiresMfa']]);
      else expect([field, map.byCoordinate.get(`Mutation.${field}`)!.find((r) => r.directive.name === 'requiresRole')?.args]).toEqual([field, { role: 'ato:admin' }]);
    }
  });

  test('every mutation on an existing record takes expectedRevision and a required reason', () => {
    const CREATES = new Set(['registerDeveloper', 'registerProduct']);
    for (const field of Object.values(schema.getMutationType()!.getFields())) {
      if (CREATES.has(field.name)) continue;
      const args = Object.fromEntries(field.args.map((a) => [a.name, String(a.type)]));
      expect([field.name, args['reason']]).toEqual([field.name, 'String!']);
      // A batch names each record with the revision it was read at.
      if (field.name === 'changeProducts') {
        expect(args['products']).toBe('[ProductRevisionInput!]!');
        continue;
      }
      expect([field.name, args['expectedRevision']?.startsWith('Int')]).toEqual([field.name, true]);
    }
  });

  test('every root field of the whole registry subgraph (incidents part included) has a resolver', () => {
    const def = registrySubgraph({ store: {} as Store });
    const whole = buildSubgraphSchema({ typeDefs: def.typeDefs });
    for (const root of ['Query', 'Mutation'] as const) {
      const type = whole.getType(root);
      if (!isObjectType(type)) throw new Error(`${root} missing`);
      const fields = Object.keys(type.getFields()).filter((f) => !f.startsWith('_'));
      expect(fields.filter((f) => !(f in (def.resolvers[root] as object))).map((f) => `${root}.${f}`)).toEqual([]);
    }
  });

  test('composes with the other subgraphs into one supergraph', () => {
    expect(composableSubgraphs()).toContain('registry');
    expect(composeSupergraph()).toContain('type Product');
  });
});
