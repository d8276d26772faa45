/** Messages between the benchmark and the server processes it starts (over the fork IPC channel). */

/** What a child runs. Each child runs one server under test (or the shared subgraphs). */
export type ChildSpec =
  | { role: 'subgraphs'; dataDir: string; storeUrl: string; hmacKeyBase64: string }
  | { role: 'bare'; dataDir: string; hmacKeyBase64: string; subgraphUrls: Record<string, string>; assertion: AssertedIdentity; transport?: 'apollo-default' | 'node-http' }
  | {
      role: 'enforced';
      dataDir: string;
      /** Environment the gateway's configuration is loaded from (core/config.ts ENV_VARS). */
      env: Record<string, string>;
      /** 'durable': the writer startGateway builds (SQLite, group commit); 'off': appends resolve at once, nothing stored. */
      accessLog: 'durable' | 'off';
    };

/** The identity the bare gateway asserts to subgraphs (what the enforced one asserts for the bench token). */
export interface AssertedIdentity {
  sub: string;
  org: string;
  softwareId: string;
  softwareVersion: string;
  developerId: string;
  tier: 'STANDARD' | 'ENHANCED';
}

/** Resource use since the last reset, as the child sees it. */
export interface ChildStats {
  /** process.cpuUsage() delta, µs. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Highest RSS sampled (every 50 ms) since the reset, bytes. */
  rssPeakBytes: number;
  /** Lifetime peak RSS (getrusage maxrss), bytes. */
  maxRssBytes: number;
  /** process.hrtime in µs at the reset and at this read (the CPU profile's clock). */
  sinceUs: number;
  atUs: number;
  /** The event loop's delay since the reset (perf_hooks.monitorEventLoopDelay, 5 ms resolution): p99 and max, ms. */
  loopDelayP99Ms?: number;
  loopDelayMaxMs?: number;
  /** Garbage-collection pauses since the reset (PerformanceObserver 'gc'): count, total and longest, ms; major = mark-compact. */
  gc?: { count: number; totalMs: number; maxMs: number; majorCount: number; majorMaxMs: number };
  /**
   * POST /graphql requests this server answered since the reset, timed inside it (from the
   * request's arrival to its response's last byte handed to the kernel, node:http diagnostics
   * channels): the load generator's own stalls are not in these. ms.
   */
  served?: { n: number; p50Ms: number; p99Ms: number; maxMs: number };
  /**
   * The access-log writer's commits since the reset (the durable gateway only), as the writer
   * times each (gateway/access-log/writer.ts onCommit: the batch handed to the store until it
   * answered, fsync included): a request's tail that is its record's wait shows here. ms.
   */
  commits?: { n: number; p50Ms: number; p99Ms: number; maxMs: number };
}

/** Where this process's memory is, now (the soak's breakdown: bench/soak.ts). */
export interface ChildMemory {
  /** process.memoryUsage(), bytes: rss; V8's heap reserved (heapTotal) and live (heapUsed); external (Buffers, native); arrayBuffers (within external). */
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  /** /proc/self/status, bytes (Linux; 0 elsewhere): anonymous memory (heaps, malloc) and file-backed pages (the node binary, shared libraries). */
  rssAnon: number;
  rssFile: number;
  /** v8.getHeapStatistics(): pages V8 holds resident, and what it has malloc'ed outside the heap. */
  heapPhysical: number;
  mallocedMemory: number;
  /** Old space alone: size, used (live plus garbage not yet collected). */
  oldSpaceSize: number;
  oldSpaceUsed: number;
}

export type ParentMessage = { id: number; type: 'reset' } | { id: number; type: 'stats' } | { id: number; type: 'memory' } | { id: number; type: 'gc' } | { id: number; type: 'heapsnapshot'; path: string } | { id: number; type: 'allocations-start'; intervalBytes: number; survivorsOnly?: boolean } | { id: number; type: 'allocations-stop'; path: string } | { id: number; type: 'stop' };

export type ChildMessage =
  /** execArgv: the child's process.execArgv (absent from a revision's tree older than it). */
  | { type: 'ready'; urls: Record<string, string>; execArgv?: string[] }
  | { type: 'failed'; error: string }
  | { id: number; type: 'ok' }
  | { id: number; type: 'error'; error: string }
  | { id: number; type: 'stats'; stats: ChildStats }
  | { id: number; type: 'memory'; memory: ChildMemory };
