// After `tsc`, copy the non-TypeScript files the compiled code reads at run time into dist/:
// the schemas, the dashboard's static files, the write thread's bootstrap, and package.json
// (the product version the subgraphs report; also marks dist/ as ES modules on its own).
import { cpSync } from 'node:fs';

for (const dir of ['schema', 'monitoring/dashboard/static']) {
  cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
cpSync('package.json', 'dist/package.json');
