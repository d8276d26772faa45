import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkoutRevision } from '../../../bench/revision-tree.js';

// A repository of its own: three commits, the first without a bench child.
const repo = mkdtempSync(join(tmpdir(), 'dsp-revtree-test-'));
const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { encoding: 'utf8' }).trim();
git('init', '--quiet');
writeFileSync(join(repo, 'README'), 'no bench yet\n');
writeFileSync(join(repo, '.gitignore'), 'node_modules/\n');
git('add', '.');
git('commit', '--quiet', '-m', 'zero');
mkdirSync(join(repo, 'bench', 'child'), { recursive: true });
for (const version of ['v1', 'v2']) {
  writeFileSync(join(repo, 'bench', 'child', 'server-child.ts'), `// ${version}\n`);
  git('add', '.');
  git('commit', '--quiet', '-m', version);
}
mkdirSync(join(repo, 'node_modules'));
const worktrees = () => git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length;
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('bench/revision-tree.ts', () => {
  it('checks out an earlier revision beside this one, sharing node_modules, and removes it again', () => {
    const tree = checkoutRevision('HEAD~1', { repo });
    try {
      expect(tree.commit).toBe(git('rev-parse', 'HEAD~1'));
      expect(readFileSync(tree.entry, 'utf8')).toBe('// v1\n');
      expect(realpathSync(join(tree.dir, 'node_modules'))).toBe(realpathSync(join(repo, 'node_modules')));
      expect(worktrees()).toBe(2);
    } finally {
      tree.dispose();
    }
    expect(existsSync(dirname(tree.dir))).toBe(false);
    expect(worktrees()).toBe(1);
    // This tree is untouched.
    expect(readFileSync(join(repo, 'bench', 'child', 'server-child.ts'), 'utf8')).toBe('// v2\n');
  });

  it('refuses an unknown commit, a name git would read as an option, and a revision without a bench child (leaving no work tree)', () => {
    expect(() => checkoutRevision('no-such-branch', { repo })).toThrow(/no such commit/);
    expect(() => checkoutRevision('--output=/tmp/x', { repo })).toThrow(/not a revision name/);
    expect(() => checkoutRevision('HEAD;rm -rf /', { repo })).toThrow(/not a revision name/);
    expect(() => checkoutRevision('HEAD~2', { repo })).toThrow(/has no bench\/child\/server-child\.ts/);
    expect(worktrees()).toBe(1);
  });
});
