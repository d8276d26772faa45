import { buildSchema, parse, Kind, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { DIRECTIVES } from '../../../authorisation/directives/index.js';
import { buildRequirementMap } from '../../../authorisation/requirement-map.js';
import { analyseOperation } from '../../../authorisation/operation-analysis.js';
import { isOneByte } from '../../helpers/string-representation.js';
import { oneByte } from '../../../core/one-byte.js';


/** A two-byte string of ASCII characters only, as a slice of a text with one character past Latin-1 is. */
function twoByteCopy(s: string): string {
  return `\u2014${s}`.slice(1);
}

describe('oneByte (core/one-byte.ts)', () => {
  it('tells the two forms apart (the check below can fail)', () => {
    expect(isOneByte('Client.tfnMasked')).toBe(true);
    expect(isOneByte(twoByteCopy('Client.tfnMasked'))).toBe(false);
  });

  it('copies a two-byte string whose characters fit into one byte per character, with the same text', () => {
    const two = twoByteCopy('Client.tfnMasked.and.more');
    const one = oneByte(two);
    expect(one).toBe(two);
    expect(isOneByte(one)).toBe(true);
    expect(isOneByte(oneByte(twoByteCopy('caf\u00e9 au lait, Latin-1 fits')))).toBe(true);
  });

  it('leaves a string with a character past Latin-1 as it is, every character kept', () => {
    const s = 'Nguy\u1ec5n \u2014 and an emoji \u{1f600}';
    expect(oneByte(s)).toBe(s);
  });
});

describe('an operation analysis hands records one-byte strings', () => {
  // A schema text and a request each with a character past Latin-1 (a description, a comment):
  // every name sliced from them is two-byte, and a coordinate built from one is too.
  const SDL = `
${DIRECTIVES.map((d) => d.sdl).join('\n')}
"""Clients \u2014 those of the practitioner's organisation."""
type Query {
  client(clientId: ID!): Client @requiresService(service: "clients.read.everything") @clientAccess(argument: "clientId")
}
type Client @requiresService(service: "clients.read.everything") {
  id: ID!
  "The TFN with all but the last three digits masked \u2014 never the whole TFN."
  tfnMaskedForDisplay: String @onshoreOnly
}
`;
  const schema = buildSchema(SDL);
  const map = buildRequirementMap(SDL);
  const document = parse('# client \u2014 masked\nquery ClientWithMaskedTfn($id: ID!) { client(clientId: $id) { id tfnMaskedForDisplay } }');
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;

  it('starts from two-byte names (the case this guards)', () => {
    const client = operation.selectionSet.selections[0] as FieldNode;
    const field = client.selectionSet!.selections[1] as FieldNode;
    expect(field.name.value).toBe('tfnMaskedForDisplay');
    expect(isOneByte(field.name.value)).toBe(false);
  });

  it('gives coordinates and services one byte per character', () => {
    const analysis = analyseOperation(schema, document, operation, map);
    expect(analysis.coordinates).toEqual(['Query.client', 'Client.id', 'Client.tfnMaskedForDisplay']);
    expect(analysis.services).toEqual(['clients.read.everything']);
    expect(analysis.coordinates.filter((c) => !isOneByte(c))).toEqual([]);
    expect(analysis.services.filter((s) => !isOneByte(s))).toEqual([]);
  });
});
