import { randomUUID } from 'node:crypto';
import { isOneByte } from '../../../helpers/string-representation.js';
import { internSchemaNames } from '../../../../gateway/apollo/schema-names.js';

/** A name no other code has interned: made at run time, so no literal of any module holds it. */
function freshName(): string {
  return `field${randomUUID().replace(/-/g, '')}`;
}

/** What V8 interns for `s` when it is used as a property key (a two-byte copy of it, as a name parsed from two-byte text is). */
function internedFromTwoByte(s: string): string {
  const twoByte = `\u2014${s}`.slice(1);
  expect(isOneByte(twoByte)).toBe(false);
  return Object.keys({ [twoByte]: true })[0]!;
}

describe('internSchemaNames (gateway/apollo/schema-names.ts)', () => {
  it('without it, a name first interned from two-byte text stays two-byte (the case it prevents)', () => {
    const name = freshName();
    const interned = internedFromTwoByte(name);
    expect(interned).toBe(name);
    expect(isOneByte(interned)).toBe(false);
  });

  it('interns every name of the schema one-byte, so a later two-byte copy finds the one-byte string', () => {
    const type = freshName();
    const field = freshName();
    const argument = freshName();
    const release = internSchemaNames(`"""A description with a dash \u2014 and words."""\ntype ${type} {\n  ${field}(${argument}: ID!): String @requiresService(service: "clients.read")\n}`);
    try {
      for (const name of [type, field, argument]) {
        const interned = internedFromTwoByte(name);
        expect(interned).toBe(name);
        expect(isOneByte(interned)).toBe(true);
      }
    } finally {
      release();
    }
  });
});
