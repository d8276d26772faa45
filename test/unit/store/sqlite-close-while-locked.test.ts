/**
 * Review s20f: closing the SQLite store while its read thread or its whole-file consistency check
 * waits for a lock another connection holds. A worker thread cannot be stopped inside SQLite: the
 * consistency check's went on (close did not even stop it) and held the process's exit, even
 * process.exit's, until its check ended; the read thread, terminated in SQLite's busy wait,
 * aborted the whole process when the wait ended (v8 FATAL ERROR, exit 134).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStore } from '../../../store/sqlite/index.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/close-while-locked.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dsp-close-locked-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the script; its exit code and output, or 'still running' once `boundMs` passed. The lock's
 * busy timeout is 60 s, so a bound of 30 s tells "exits at once" from "waits for the lock" and
 * leaves room for a child's tsx start on a loaded machine (5 s was once not enough).
 */
async function run(mode: 'read' | 'integrity', boundMs: number): Promise<{ code: number | string | null; out: string }> {
  const path = join(dir, `${mode}.db`);
  const store = createSqliteStore({ path });
  await store.init();
  await store.close();
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, mode, path], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    new Promise<number | string | null>((resolve) => child.once('exit', (c, signal) => resolve(signal ?? c))),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), boundMs))),
  ]);
  clearTimeout(timer);
  if (code === 'still running') child.kill('SIGKILL');
  return { code, out };
}

describe('closing the SQLite store while another connection holds the lock', () => {
  it('stops a whole-file consistency check waiting for it, so the process exits at once', async () => {
    const { code, out } = await run('integrity', 30_000);
    expect({ code, closed: out.includes('closed') }).toEqual({ code: 0, closed: true });
  }, 45_000);

  it('stops an auditor read waiting for it on the read thread without aborting the process', async () => {
    const { code, out } = await run('read', 30_000);
    expect({ code, closed: out.includes('closed'), fatal: out.includes('FATAL') }).toEqual({ code: 0, closed: true, fatal: false });
  }, 45_000);
});
