import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeCopyWithPageSize } from '../../../bench/store-copy.js';

const dir = mkdtempSync(join(tmpdir(), 'dsp-store-copy-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seeded = new Database(join(dir, 'dsp.db'));
seeded.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('seeded')");
seeded.close();
const read = (url: string) => {
  const db = new Database(url.replace(/^sqlite:/, ''), { readonly: true });
  try {
    return { pageSize: db.pragma('page_size', { simple: true }), rows: db.prepare('SELECT x FROM t').pluck().all() };
  } finally {
    db.close();
  }
};

describe('bench/store-copy.ts', () => {
  it('gives each tag a file of its own with the page size asked for, and one shared file without a tag', () => {
    const a = storeCopyWithPageSize(dir, 4096, 'v1');
    const b = storeCopyWithPageSize(dir, 4096, 'v2');
    const shared = storeCopyWithPageSize(dir, 4096);
    expect(new Set([a, b, shared]).size).toBe(3);
    expect(a).toBe(`sqlite:${join(dir, 'dsp-page4096-v1.db')}`);
    for (const url of [a, b, shared]) expect(read(url)).toEqual({ pageSize: 4096, rows: ['seeded'] });
    expect(storeCopyWithPageSize(dir, 4096, 'v1')).toBe(a);
  });

  it('makes the copy in another directory when asked (ablate -shm)', () => {
    const other = mkdtempSync(join(tmpdir(), 'dsp-store-copy-into-'));
    try {
      const url = storeCopyWithPageSize(dir, 8192, 'v9', other);
      expect(url).toBe(`sqlite:${join(other, 'dsp-page8192-v9.db')}`);
      expect(read(url)).toEqual({ pageSize: 8192, rows: ['seeded'] });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses a page size SQLite does not have and a tag that is not a plain name', () => {
    expect(() => storeCopyWithPageSize(dir, 5000)).toThrow(/power of two/);
    expect(() => storeCopyWithPageSize(dir, 4096, '../escape')).toThrow(/letters, digits/);
    expect(() => storeCopyWithPageSize(dir, 4096, '')).toThrow(/letters, digits/);
  });
});
