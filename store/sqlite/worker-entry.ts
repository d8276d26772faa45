/** Where a worker thread of the SQLite store starts. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The entry of the worker beside `clientUrl` (its client module's import.meta.url): the compiled
 * `worker.js` when the client runs compiled, else `bootstrap.mjs`, which loads `worker.ts` through
 * tsx (a worker thread does not inherit a TypeScript loader in every setting).
 */
export function workerEntry(clientUrl: string): URL {
  const compiled = new URL('./worker.js', clientUrl);
  if (clientUrl.endsWith('.js') && existsSync(fileURLToPath(compiled))) return compiled;
  return new URL('./bootstrap.mjs', clientUrl);
}
