/**
 * A copy of the benchmark's seeded SQLite store with another page size (SQLite's VACUUM INTO
 * writes the copy with the connection's page_size), so gateway variants can be compared on page
 * size side by side: each variant gets its own file, seeded identically.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The store URL of `dsp-page<pageSize>[-<tag>].db` beside `dsp.db` in `dataDir` (or in `intoDir`),
 * made on first use; a tag gives a variant a file of its own, so that no other gateway's writes
 * or checkpoints land in it.
 */
export function storeCopyWithPageSize(dataDir: string, pageSize: number, tag?: string, intoDir: string = dataDir): string {
  if (![1024, 2048, 4096, 8192, 16384, 32768, 65536].includes(pageSize)) throw new Error(`page size ${pageSize}: a power of two from 1024 to 65536`);
  if (tag !== undefined && !/^[A-Za-z0-9_-]{1,40}$/.test(tag)) throw new Error(`store copy tag ${JSON.stringify(tag)}: letters, digits, - and _ only`);
  const path = join(intoDir, `dsp-page${pageSize}${tag === undefined ? '' : `-${tag}`}.db`);
  if (!existsSync(path)) {
    const db = new Database(join(dataDir, 'dsp.db'));
    try {
      db.pragma(`page_size = ${pageSize}`);
      db.prepare('VACUUM INTO ?').run(path);
    } finally {
      db.close();
    }
    const copy = new Database(path);
    try {
      const got = copy.pragma('page_size', { simple: true });
      if (got !== pageSize) throw new Error(`${path}: page size ${String(got)}, not ${pageSize}`);
    } finally {
      copy.close();
    }
  }
  return `sqlite:${path}`;
}
