import { readFileSync } from 'node:fs';
import { ENV_VARS, loadConfig } from '../../../core/config.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
const rows = new Map([...section.matchAll(/^\| `([A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()]));

describe('README configuration table', () => {
  it('lists every environment variable the code reads', () => {
    for (const [name] of ENV_VARS) expect([name, rows.has(name)]).toEqual([name, true]);
  });
  it('gives the real default for scalar settings', () => {
    const config = loadConfig({}) as unknown as Record<string, unknown>;
    const get = (path: string) => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], config);
    for (const [name, path] of ENV_VARS) {
      const value = get(path);
      if (name === 'INSTANCE_ID' || value === null || typeof value === 'object' && !Array.isArray(value)) continue;
      if (Array.isArray(value) && value.length === 0) {
        expect([name, rows.get(name)]).toEqual([name, '(none)']);
        continue;
      }
      const shown = Array.isArray(value) ? value.join(',') : String(value);
      expect([name, rows.get(name)]).toEqual([name, `\`${shown}\``]);
    }
  });
  it('names the two commands and the test command', () => {
    expect(readme).toContain('npm install');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });
});
