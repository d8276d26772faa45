/**
 * Another revision of this repository as a work tree of its own (`git worktree add --detach`),
 * sharing this tree's node_modules, so that a benchmark can run that revision's gateway beside
 * this one's: each in its own process, same harness, same rounds (bench/ablate.ts `@rev`).
 * Comparing two versions this way, rather than a switch inside one tree, is what session 10's
 * eighth pass in docs/performance.md found necessary. The other revision's bench child must
 * speak this tree's child protocol (bench/child/protocol.ts); revisions since session 9 do.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface RevisionTree {
  /** The full commit id checked out. */
  commit: string;
  dir: string;
  /** That tree's bench/child/server-child.ts, for forkServer's `entry`. */
  entry: string;
  /** Removes the work tree (and its registration in the repository). */
  dispose(): void;
}

const git = (repo: string, args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** Checks out `revision` (anything `git rev-parse` names a commit by) of the repository at `repo` (default: the current directory's). */
export function checkoutRevision(revision: string, options: { repo?: string } = {}): RevisionTree {
  // Passed to git as one argument, never through a shell; a leading '-' would read as an option.
  if (!/^[A-Za-z0-9][A-Za-z0-9._\/~^@{}-]{0,99}$/.test(revision)) throw new Error(`revision ${JSON.stringify(revision)}: not a revision name`);
  const repo = git(options.repo ?? process.cwd(), ['rev-parse', '--show-toplevel']);
  let commit: string;
  try {
    commit = git(repo, ['rev-parse', '--verify', '--quiet', `${revision}^{commit}`]);
  } catch {
    throw new Error(`revision ${JSON.stringify(revision)}: no such commit in ${repo}`);
  }
  const dir = join(mkdtempSync(join(tmpdir(), 'dsp-rev-')), commit.slice(0, 12));
  git(repo, ['worktree', 'add', '--detach', '--quiet', dir, commit]);
  const dispose = () => {
    try {
      git(repo, ['worktree', 'remove', '--force', dir]);
    } catch {
      rmSync(dir, { recursive: true, force: true });
      git(repo, ['worktree', 'prune']);
    }
    rmSync(dirname(dir), { recursive: true, force: true });
  };
  try {
    const modules = join(repo, 'node_modules');
    if (existsSync(modules)) symlinkSync(modules, join(dir, 'node_modules'), 'dir');
    const entry = join(dir, 'bench', 'child', 'server-child.ts');
    if (!existsSync(entry)) throw new Error(`revision ${revision} (${commit.slice(0, 12)}) has no bench/child/server-child.ts`);
    return { commit, dir, entry, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}
