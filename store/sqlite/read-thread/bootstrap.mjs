// Entry point of the SQLite read thread when the gateway runs from its TypeScript sources (see
// ../write-thread/bootstrap.mjs for why). A compiled build starts worker.js directly instead.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
