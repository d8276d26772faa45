/** Runs `npm run audit:verify` as an operator would, against a given data directory and store. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface AuditVerifyRun {
  /** Exit status: 0 clean, 1 problems found, 2 could not verify. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The parsed `--json` output (null when stdout was not JSON). */
  json: { ok: boolean; chains: Array<{ chainId: string; ok: boolean; checked: number; problems: Array<{ seq: number; kind: string; detail: string }> }> } | null;
}

/**
 * `npm run --silent audit:verify -- --json` with DATA_DIR and STORE_URL set. NODE_OPTIONS is
 * cleared: jest's `--experimental-vm-modules` is not for the child.
 */
export function runAuditVerify(options: { dataDir: string; storeUrl: string; args?: string[]; timeoutMs?: number }): Promise<AuditVerifyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'audit:verify', '--', '--json', ...(options.args ?? [])], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '', NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: options.dataDir, STORE_URL: options.storeUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`audit:verify did not finish within ${options.timeoutMs ?? 30_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      let json: AuditVerifyRun['json'] = null;
      try {
        json = JSON.parse(stdout) as AuditVerifyRun['json'];
      } catch {
        /* left null: the caller's assertions say what was expected */
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}
