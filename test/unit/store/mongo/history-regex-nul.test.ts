/**
 * Review (mongo adapter): queryRegistryHistory's actor prefix match. MongoDB refuses a $regex
 * whose pattern holds a NUL byte ("Regular expression cannot contain an embedded null byte",
 * BadValue: mongo src/mongo/db/matcher/expression_leaf.cpp, RegexMatchExpression), so an actor
 * containing U+0000 turns a query that SQLite answers (no match) into a server error. The escaped
 * pattern must spell NUL as PCRE's \x00 instead of carrying the byte.
 */
import { jest } from '@jest/globals';
import mongoose, { type Query } from 'mongoose';
import { MongoRegistry } from '../../../../store/mongo/registry-store.js';
import { registerModels, type Models } from '../../../../store/mongo/models/index.js';

const models: Models = registerModels(new mongoose.Mongoose());

describe('registry history actor filter', () => {
  it('sends no NUL byte inside $regex, and the pattern still matches the actor followed by " ("', async () => {
    const filters: Array<Record<string, unknown>> = [];
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const exec = jest.spyOn(mongoose.Query.prototype, 'exec').mockImplementation(async function (this: Query<any, any>) {
      filters.push(this.getFilter());
      return [];
    });
    try {
      const registry = new MongoRegistry({ startSession: async () => ({}) as never }, models);
      await registry.queryRegistryHistory({ actor: 'a\u0000b.c' }, { first: 10 });
    } finally {
      exec.mockRestore();
    }
    const or = filters[0]!.$or as Array<{ actor: string | { $regex: string } }>;
    const pattern = (or.find((c) => typeof c.actor === 'object')!.actor as { $regex: string }).$regex;
    expect(pattern.includes('\u0000')).toBe(false);
    // What the server's PCRE would do with the pattern, approximated with a JS RegExp (\x00 means NUL in both).
    expect(new RegExp(pattern).test('a\u0000b.c (ADMIN)')).toBe(true);
    expect(new RegExp(pattern).test('a\u0000bxc (ADMIN)')).toBe(false);
  });
});
