/** Forks a server process (bench/child/server-child.ts) and talks to it over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GATEWAY_NODE_FLAGS } from '../../core/runtime-flags.js';
import type { ChildMemory, ChildMessage, ChildSpec, ChildStats, ParentMessage } from './protocol.js';

const ENTRY = fileURLToPath(new URL('./server-child.ts', import.meta.url));

export interface ServerChild {
  readonly name: string;
  readonly pid: number;
  readonly urls: Record<string, string>;
  /** The Node flags the process runs with, as it reports them (its process.execArgv after tsx's own). */
  readonly nodeFlags: readonly string[];
  /** Starts a new measurement window (CPU baseline, RSS peak). */
  reset(): Promise<void>;
  /** Resource use since the last reset. */
  stats(): Promise<ChildStats>;
  /** Where the process's memory is now (RSS, V8 heap, external, malloc). */
  memory(): Promise<ChildMemory>;
  /** A full collection, when the child runs with --expose-gc (diagnosis only; otherwise nothing). */
  gc(): Promise<void>;
  /** Writes a V8 heap snapshot to `path` (diagnosis only). */
  heapSnapshot(path: string): Promise<void>;
  /** Starts V8's sampling heap profiler, a sample per `intervalBytes` allocated, freed objects kept (or with `survivorsOnly` those that outlived the young generation; diagnosis only: bench/allocations.ts). */
  startAllocations(intervalBytes: number, survivorsOnly?: boolean): Promise<void>;
  /** Stops it and writes the profile (a CDP SamplingHeapProfile, JSON) to `path`. */
  stopAllocations(path: string): Promise<void>;
  /** Closes the servers and waits for the process to exit (a --cpu-prof profile is written then). */
  stop(): Promise<void>;
}

export interface ForkOptions {
  /** The server-child.ts to run: another work tree's, to measure another revision (bench/revision-tree.ts). Default this tree's. */
  entry?: string;
  /** The node flags, instead of the role's own (nodeFlagsFor): the memory soak's heap choices. */
  nodeFlags?: readonly string[];
  /** Node flags added after the role's own (e.g. --cpu-prof). */
  extraNodeFlags?: readonly string[];
  /** Extra environment for the child (e.g. MALLOC_ARENA_MAX). */
  env?: Record<string, string>;
  /** A program that runs node with the child (its path, then its options), e.g. valgrind for instruction counts (bench/instructions.ts). */
  wrapper?: readonly string[];
  /** Longest wait for `ready`, ms. Default 60000. */
  readyTimeoutMs?: number;
}

/**
 * The Node flags a server of the benchmark runs with. A gateway under test, the bare ones
 * included, runs with the gateway's production flags (GATEWAY_NODE_FLAGS: the Dockerfile's
 * NODE_OPTIONS), so the load phase measures the heap the gateway is deployed with and compares
 * like with like. The subgraphs' process keeps Node's defaults: it stands in for services that
 * are not the gateway.
 */
export function nodeFlagsFor(spec: Pick<ChildSpec, 'role'>, extra: readonly string[] = []): string[] {
  return [...(spec.role === 'subgraphs' ? [] : GATEWAY_NODE_FLAGS), ...extra];
}

/**
 * The process environment a server of the benchmark gets beside this process's own. A gateway
 * under test, the bare ones included, runs with NODE_ENV=production, as the Dockerfile sets it:
 * @apollo/server and @apollo/gateway read it from the process, not from the configuration the
 * enforced gateway is given, and outside production they run otherwise than deployed (the
 * gateway validates the supergraph as it loads; Apollo Server puts stack traces in errors). The
 * subgraphs' process keeps this process's environment.
 */
export function processEnvFor(spec: Pick<ChildSpec, 'role'>): Record<string, string> {
  return spec.role === 'subgraphs' ? {} : { NODE_ENV: 'production' };
}

/**
 * Forks a TypeScript entry of the benchmark with an IPC channel: tsx runs the sources, as `npm run
 * bench` does for the benchmark itself, then `nodeFlags`; NODE_OPTIONS is cleared, so the child
 * runs with exactly these flags; `env` is added to this process's environment.
 */
export function forkTypeScript(entry: string, nodeFlags: readonly string[], env: Record<string, string>, wrapper: readonly string[] = []): ChildProcess {
  const node = ['--import', 'tsx', ...nodeFlags];
  return fork(entry, [], {
    // A wrapper (valgrind and its options) runs node itself: fork starts `execPath execArgv entry`.
    ...(wrapper.length ? { execPath: wrapper[0]!, execArgv: [...wrapper.slice(1), process.execPath, ...node] } : { execArgv: node }),
    env: { ...process.env, ...env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** A child's execArgv without the `--import tsx` forkTypeScript puts first (a revision's tree may pass its loader's path). */
function flagsAfterTsx(execArgv: readonly string[]): string[] {
  const at = execArgv.indexOf('--import');
  return at === -1 ? [...execArgv] : [...execArgv.slice(0, at), ...execArgv.slice(at + 2)];
}

export async function forkServer(name: string, spec: ChildSpec, options: ForkOptions = {}): Promise<ServerChild> {
  const child = forkTypeScript(options.entry ?? ENTRY, options.nodeFlags ?? nodeFlagsFor(spec, options.extraNodeFlags), { ...processEnvFor(spec), ...options.env, BENCH_CHILD_SPEC: JSON.stringify(spec) }, options.wrapper);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waiting = new Map<number, (m: ChildMessage) => void>();
  let nextId = 1;

  const { urls, nodeFlags } = await new Promise<{ urls: Record<string, string>; nodeFlags: string[] }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready within ${options.readyTimeoutMs ?? 60_000} ms`)), options.readyTimeoutMs ?? 60_000);
    child.on('message', (raw) => {
      const m = raw as ChildMessage;
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve({ urls: m.urls, nodeFlags: flagsAfterTsx(m.execArgv ?? []) });
      } else if (m.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name} failed to start:\n${m.error}`));
      } else if ('id' in m) {
        waiting.get(m.id)?.(m);
        waiting.delete(m.id);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${code}) before it was ready`));
    });
  });

  function ask(type: ParentMessage['type'], extra: object = {}): Promise<ChildMessage> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, resolve);
      child.send({ id, type, ...extra } as ParentMessage, (err) => {
        if (err) {
          waiting.delete(id);
          reject(err);
        }
      });
    });
  }

  return {
    name,
    pid: child.pid!,
    urls,
    nodeFlags,
    async reset() {
      await ask('reset');
    },
    async stats() {
      const m = await ask('stats');
      if (m.type !== 'stats') throw new Error(`${name}: unexpected reply ${m.type}`);
      return m.stats;
    },
    async memory() {
      const m = await ask('memory');
      if (m.type !== 'memory') throw new Error(`${name}: unexpected reply ${m.type}`);
      return m.memory;
    },
    async gc() {
      await ask('gc');
    },
    async heapSnapshot(path: string) {
      await ask('heapsnapshot', { path });
    },
    async startAllocations(intervalBytes: number, survivorsOnly = false) {
      const m = await ask('allocations-start', { intervalBytes, survivorsOnly });
      if (m.type === 'error') throw new Error(`${name}: ${m.error}`);
    },
    async stopAllocations(path: string) {
      const m = await ask('allocations-stop', { path });
      if (m.type === 'error') throw new Error(`${name}: ${m.error}`);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ id: nextId++, type: 'stop' } satisfies ParentMessage);
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
