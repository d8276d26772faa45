/**
 * A released migration's SQL never changes: a file it already migrated keeps the old schema, and
 * the whole-log verification's storage check (store/sqlite/integrity.ts) compares a file's schema
 * with what this build's migrations create, so an edited migration would make every existing
 * file fail verification. A change to the schema is a new migration, with the next version.
 */
import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { MIGRATIONS } from '../../../store/sqlite/migrations.js';

const RELEASED: Array<[number, string, string]> = [
  [1, 'registry', '3f7d8fadb04700f1'],
  [2, 'access-log', '02dbe7bde6abf19f'],
  [3, 'alerts-and-incidents', '50c66955464e998f'],
  [4, 'rate-limits', '18763e7da0770f27'],
  [5, 'chain-ledger', '9f4130d4af673ab2'],
  [6, 'access-staged', '0901cd7588b1582c'],
];

describe('released SQLite migrations', () => {
  it('keep their version, name and SQL (add a migration instead of editing one)', () => {
    const now = MIGRATIONS.slice(0, RELEASED.length).map((m) => [m.version, m.name, createHash('sha256').update(m.sql).digest('hex').slice(0, 16)]);
    expect(now).toEqual(RELEASED);
  });
});
