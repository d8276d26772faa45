import { describe, expect, it } from '@jest/globals';
import { buildSchema, type GraphQLObjectType } from 'graphql';
import { whyUnpresentable } from '../../../../subgraphs/audit/presentable.js';

const schema = buildSchema(`
  enum Decision { ALLOWED DENIED }
  type Reason { code: String! coordinate: String }
  type Rec { seq: Int! decision: Decision! roles: [String!]! reasons: [Reason!]! note: String nested: Rec }
  type Query { rec: Rec }
`);
const Rec = schema.getType('Rec') as GraphQLObjectType;
const good = { seq: 1, decision: 'ALLOWED', roles: ['a'], reasons: [{ code: 'X' }], note: null };

describe('whether a stored value can be served as its GraphQL type', () => {
  it('accepts a value that fits, nullable fields absent included', () => {
    expect(whyUnpresentable(Rec, good)).toBeNull();
    expect(whyUnpresentable(Rec, { ...good, nested: good })).toBeNull();
  });

  it('names the field and why for each way a value can fail to fit', () => {
    expect(whyUnpresentable(Rec, { ...good, seq: 'x' })).toMatch(/^seq: Int cannot represent non-integer value/);
    expect(whyUnpresentable(Rec, { ...good, seq: 2 ** 31 })).toMatch(/^seq: Int cannot represent non 32-bit signed integer/);
    expect(whyUnpresentable(Rec, { ...good, decision: 'MAYBE' })).toMatch(/^decision: Enum "Decision" cannot represent value/);
    expect(whyUnpresentable(Rec, { ...good, roles: 'a' })).toBe('roles: not a list');
    expect(whyUnpresentable(Rec, { ...good, roles: ['a', null] })).toBe('roles[1]: missing');
    expect(whyUnpresentable(Rec, { ...good, reasons: [{ coordinate: 'Q.x' }] })).toBe('reasons[0].code: missing');
    expect(whyUnpresentable(Rec, { ...good, note: { an: 'object' } })).toMatch(/^note: String cannot represent value/);
    expect(whyUnpresentable(Rec, { ...good, nested: 5 })).toBe('nested: not an object');
    expect(whyUnpresentable(Rec, [good])).toBe('the record: not an object');
    const { seq: _seq, ...noSeq } = good;
    expect(whyUnpresentable(Rec, noSeq)).toBe('seq: missing');
  });

  it('applies the type\'s own field resolvers first, and a resolver that throws means the value does not fit', () => {
    const resolvers = { Rec: { reasons: (r: { reasons?: unknown[] }) => (r.reasons ?? []).map((x) => ({ code: (x as { code: string }).code })) } };
    const { reasons: _reasons, ...noReasons } = good;
    expect(whyUnpresentable(Rec, noReasons, resolvers)).toBeNull();
    expect(whyUnpresentable(Rec, noReasons)).toBe('reasons: missing');
    expect(whyUnpresentable(Rec, { ...good, reasons: [null] }, resolvers)).toBe('reasons: not of its type');
  });

  it('stops at a depth no record of the gateway reaches', () => {
    let deep: Record<string, unknown> = { ...good };
    for (let i = 0; i < 20; i++) deep = { ...good, nested: deep };
    expect(whyUnpresentable(Rec, deep)).toMatch(/nested too deeply$/);
  });
});
