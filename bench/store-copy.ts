/**
 * A copy of the benchmark's seeded SQLite store with another page size (SQLite's VACUUM INTO
 * writes the copy with the connection's page_size), so gateway variants can be compared on page
 * size side by side: each variant gets its own file, seeded identically.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** The store URL of `dsp-page<pageSize>.db` beside `dsp.db` in `dataDir`, made on first use. */
export function storeCopyWithPageSize(dataDir: string, pageSize: number): string {
  if (![1024, 2048, 4096, 8192, 16384, 32768, 65536].includes(pageSize)) throw new Error(`page size ${pageSize}: a power of two from 1024 to 65536`);
  const path = join(dataDir, `dsp-page${pageSize}.db`);
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
