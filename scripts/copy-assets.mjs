// After `tsc`, copy the non-TypeScript files the compiled code reads at run time into dist/:
// the schemas, the dashboard's and the console's static files, the console's operations (docs/operations), the write thread's bootstrap, and package.json
// (the product version the subgraphs report; also marks dist/ as ES modules on its own).
import { cpSync } from 'node:fs';

for (const dir of ['schema', 'monitoring/dashboard/static', 'console/static', 'docs/operations']) {
  cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
cpSync('package.json', 'dist/package.json');
