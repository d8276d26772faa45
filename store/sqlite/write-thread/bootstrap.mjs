// Entry point of the SQLite write thread when the gateway runs from its TypeScript sources
// (`npm start`, tests): a worker thread does not inherit a TypeScript loader in every setting
// (jest runs the main thread through its own transform), so tsx's scoped importer loads the
// worker here. A compiled build (`npm run build`) starts worker.js directly instead.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
