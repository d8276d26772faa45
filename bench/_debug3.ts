import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureRateLimitCheck } from './micro/rate-limit.js';
console.log(await measureRateLimitCheck({ dir: mkdtempSync(join(tmpdir(), 'rl-')), budgetMs: 1000 }));
