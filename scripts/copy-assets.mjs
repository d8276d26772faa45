// After `tsc`, copy the non-TypeScript files the compiled code reads at run time into dist/.
import { cpSync } from 'node:fs';

for (const dir of ['schema', 'monitoring/dashboard/static']) {
  cpSync(dir, `dist/${dir}`, { recursive: true, filter: (src) => !src.endsWith('.ts') });
}
