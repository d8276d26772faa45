/**
 * The lock file installs everywhere: `npm ci` refuses a lock that lacks another platform's
 * optional binaries (@swc/core-*, @unrs/resolver-binding-*), which breaks the Docker image and
 * any macOS or Windows clone while this machine's own install still works.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface LockPackage {
  version?: string;
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockPackage> };

describe('package-lock.json', () => {
  it('lists every optional platform binary of every locked package', () => {
    const missing: string[] = [];
    for (const [path, pkg] of Object.entries(lock.packages)) {
      for (const name of Object.keys(pkg.optionalDependencies ?? {})) {
        // npm places an optional dependency next to its parent or hoists it to the top.
        const nested = `${path}/node_modules/${name}`;
        if (!lock.packages[nested] && !lock.packages[`node_modules/${name}`]) missing.push(`${name} (of ${path || 'the root'})`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('is accepted by `npm ci --dry-run`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-check-'));
    try {
      copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
      copyFileSync(join(root, 'package-lock.json'), join(dir, 'package-lock.json'));
      const result = spawnSync('npm', ['ci', '--dry-run', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
      expect({ status: result.status, refusal: result.status === 0 ? '' : result.stderr.split('\n').filter((l) => /error/i.test(l)).slice(0, 5).join('\n') }).toEqual({ status: 0, refusal: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
