/**
 * The gateway as its own process (gateway/main.ts), so a test can SIGKILL it: nothing in the
 * test process then flushes anything on its behalf.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from './access-log-cli.js';

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface GatewayProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  chainId: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the process wrote to stderr so far (for failure messages). */
  stderr(): string;
}

/**
 * Spawns `node --import tsx gateway/main.ts` with `env` added to the test's environment
 * (NODE_OPTIONS cleared), and resolves once it logs "gateway listening".
 */
export function spawnGateway(env: Record<string, string>, options: { startTimeoutMs?: number } = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'info', HOST: '127.0.0.1', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let buffered = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within ${options.startTimeoutMs ?? 30_000} ms; stderr: ${err.slice(-2000)}`));
    }, options.startTimeoutMs ?? 30_000);
    // Keep reading stdout for the process's whole life: a full pipe would block its logging.
    child.stdout.on('data', (d: Buffer) => {
      if (started) return;
      buffered += d.toString();
      let nl: number;
      while (!started && (nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let entry: { msg?: string; port?: number; chainId?: string };
        try {
          entry = JSON.parse(line) as typeof entry;
        } catch {
          continue;
        }
        if (entry.msg === 'gateway listening' && entry.port && entry.chainId) {
          started = true;
          clearTimeout(timer);
          resolve({ child, url: `http://127.0.0.1:${entry.port}/graphql`, port: entry.port, chainId: entry.chainId, exited, stderr: () => err });
        }
      }
    });
    void exited.then(({ code, signal }) => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`gateway exited before listening (code ${code}, signal ${signal}); stderr: ${err.slice(-2000)}`));
    });
  });
}
