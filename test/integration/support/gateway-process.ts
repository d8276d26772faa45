/**
 * Runs `gateway/main.ts` as a child process (the way a deployment runs several gateways on one
 * machine) and waits for its "gateway listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface GatewayProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** The access-log chain this process writes (from its "gateway listening" line). */
  chainId: string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child wrote so far (for failure messages). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5000); resolves when the child has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** A port nothing listens on right now (listen on 0, read the port, close). */
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

export interface SpawnGatewayOptions {
  /** Environment for the child on top of the test's (NODE_OPTIONS is cleared: jest's flags are not the child's). */
  env: Record<string, string>;
  /** Longest wait for "gateway listening". Default 45 000 ms (tsx compiles the sources on start). */
  startTimeoutMs?: number;
}

export async function spawnGateway(options: SpawnGatewayOptions): Promise<GatewayProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...options.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let chainId = '';

  await new Promise<void>((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => fail(new Error(`gateway did not start within ${options.startTimeoutMs ?? 45_000} ms:\n${output.slice(-4000)}`)), options.startTimeoutMs ?? 45_000);
    const onExit = (code: number | null) => fail(new Error(`gateway exited (${code}) before listening:\n${output.slice(-4000)}`));
    function fail(err: Error) {
      clearTimeout(timer);
      child.off('exit', onExit);
      child.kill('SIGKILL');
      reject(err);
    }
    child.once('exit', onExit);
    child.stdout!.on('data', (chunk: string) => {
      output += chunk;
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; chainId?: string };
          if (entry.msg === 'gateway listening') {
            chainId = entry.chainId ?? '';
            clearTimeout(timer);
            child.off('exit', onExit);
            resolve();
          }
        } catch {
          /* not a log line */
        }
      }
    });
  });

  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    child,
    chainId,
    exited,
    output: () => output,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
