/**
 * Access-log ingest: records per second the writer (gateway/access-log/writer.ts) commits to a
 * fresh SQLite file store with group commit, under many concurrent appends — each "request"
 * awaits its own record's commit, as the gateway does before releasing a response.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { newAccessRecordId } from '../../audit/ids.js';
import type { AccessRecord } from '../../audit/record.js';
import { onExitAfterMessages } from '../../core/child-exit.js';
import type { SigningKey } from '../../core/keys.js';
import { GATEWAY_NODE_FLAGS } from '../../core/runtime-flags.js';
import { forkTypeScript } from '../child/children.js';
import { createAccessLogWriter } from '../../gateway/access-log/writer.js';
import { createStore } from '../../store/index.js';
import { median } from '../stats.js';

export interface IngestResult {
  /** The Node flags of the process measured (the gateway's, GATEWAY_NODE_FLAGS); absent in results from before they were used: the benchmark's own defaults. */
  nodeFlags?: string[];
  /** The CPUs the process (its event loop and the SQLite write thread) could use, e.g. "CPU 0" or "CPUs 0-1". */
  cpus?: string;
  /** Records/s of each round, in order; `recordsPerS` and the other figures are those of the median round. */
  roundsPerS?: number[];
  sync: 'full' | 'normal';
  /** The checkpoint window: the defaults (every 1000 records or 1 s), or 'sparse' (every 10 s only, as before the window). */
  checkpoints: 'window' | 'sparse';
  /** The records' indexed values: all alike (`same`, every record the three-subgraph request's), or drawn from many products, organisations, operations and clients (`varied`, see variedRecord). Absent in results from before the choice: `same`. */
  keys?: 'same' | 'varied';
  /** Checkpoints the writer signed during the run. */
  checkpointsSigned: number;
  /** Appends in flight at any time. */
  concurrency: number;
  records: number;
  recordsPerS: number;
  batches: number;
  meanBatch: number;
  meanCommitMs: number;
  /** The event loop's busy time per record, µs (eventLoopUtilization; includes building the sample record): what the access log costs the gateway's own thread. */
  eventLoopUsPerRecord: number;
  /** CPU time of the whole process per record, µs (process.cpuUsage: the event loop, the SQLite write thread, GC and the sample records' making): on a busy machine this stays put where records/s does not. */
  cpuUsPerRecord: number;
  /** Append to commit, per record, ms. */
  p50AppendMs: number;
  p99AppendMs: number;
}

/** A record shaped like one three-subgraph request's. */
/** A record like the three-subgraph workload's, fresh ids and the current time; `overrides` replace fields (bench/micro/verification.ts numbers its own). */
export function sampleRecord(overrides: Partial<AccessRecord> = {}): AccessRecord {
  return {
    id: newAccessRecordId(Date.now()),
    time: new Date().toISOString(),
    requestId: randomUUID(),
    instanceId: 'bench-gw',
    productId: 'PRD-CERTIFIED',
    productVersion: '2.1.0',
    developerId: 'DEV-GOOD',
    sub: 'bench-user',
    org: '12345679016',
    jti: randomUUID(),
    roles: [],
    operationName: 'ThreeSubgraphs',
    operationType: 'query',
    documentHash: 'b'.repeat(64),
    coordinates: ['Query.client', 'Client.id', 'Client.name', 'Client.tfnMasked', 'Client.lodgments', 'Lodgment.period', 'Lodgment.formType', 'Lodgment.status', 'Client.account', 'Account.balance'],
    services: ['clients.read', 'lodgments.read', 'accounts.read'],
    clientDigests: ['d'.repeat(43)],
    decision: 'ALLOWED',
    reasons: [],
    errorCodes: [],
    httpStatus: 200,
    subgraphs: ['clients', 'lodgments', 'accounts'],
    latencyMs: 3.21,
    clientIp: '127.0.0.1',
    userAgent: 'bench',
    ...overrides,
  };
}

/** MurmurHash3's finaliser: a well-spread unsigned 32-bit value from any 32-bit input. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A record whose indexed values vary as a busy gateway's do: one of 50 products (and their 10
 * developers), 500 organisations, 20 operation names and 100,000 clients, one in twenty denied
 * with an error code. Each index then takes its entries at many places instead of one, and the
 * client index (keyed by a digest, i.e. at random) dirties a page per record, as in production;
 * the file is still fresh, so its indexes are small and more entries share a page than in a log
 * of millions of records. `n` picks the values (a counter, so runs are alike).
 */
export function variedRecord(n: number): AccessRecord {
  const pick = (count: number, salt: number) => mix32(Math.imul(n, 0x9e3779b1) ^ salt) % count;
  const product = pick(50, 0x51);
  const denied = pick(20, 0x77) === 0;
  return sampleRecord({
    productId: `PRD-${product}`,
    developerId: `DEV-${product % 10}`,
    org: String(10_000_000_000 + pick(500, 0x23)),
    operationName: `Operation${pick(20, 0x39)}`,
    clientDigests: [createHash('sha256').update(`client-${pick(100_000, 0x4d)}`).digest('base64url')],
    decision: denied ? 'DENIED' : 'ALLOWED',
    errorCodes: denied ? ['CLIENT_NOT_AUTHORISED'] : [],
    httpStatus: denied ? 403 : 200,
  });
}

export async function measureAccessLogIngest(options: { dir: string; signingKey: SigningKey; sync: 'full' | 'normal'; concurrency: number; durationMs: number; checkpointEvery?: number; checkpointIntervalMs?: number; maxBatch?: number; keys?: 'same' | 'varied' }): Promise<IngestResult> {
  const store = await createStore(`sqlite:${join(options.dir, `ingest-${options.sync}-${options.concurrency}-${randomUUID()}.db`)}`, { sqliteSync: options.sync });
  let batches = 0;
  let commitMs = 0;
  const writer = createAccessLogWriter({
    store,
    chainId: `bench-ingest:${randomUUID()}`,
    instanceId: 'bench-ingest',
    signingKey: options.signingKey,
    chainKey: randomBytes(32),
    ...(options.checkpointEvery ? { checkpointEvery: options.checkpointEvery } : {}),
    ...(options.checkpointIntervalMs ? { checkpointIntervalMs: options.checkpointIntervalMs } : {}),
    ...(options.maxBatch ? { maxBatch: options.maxBatch } : {}),
    onCommit(_records, ms) {
      batches += 1;
      commitMs += ms;
    },
  });
  await writer.start();
  const appendMs: number[] = [];
  const varied = options.keys === 'varied';
  let made = 0;
  let records = 0;
  const started = performance.now();
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const deadline = started + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await writer.append(varied ? variedRecord(made++) : sampleRecord());
        appendMs.push(performance.now() - t);
        records += 1;
      }
    }),
  );
  const elapsed = performance.now() - started;
  const busyMs = performance.eventLoopUtilization(elu).active;
  const cpuUsed = process.cpuUsage(cpu);
  const checkpointsSigned = writer.stats().checkpoints;
  await writer.flushAndClose();
  await store.close();
  appendMs.sort((a, b) => a - b);
  const pct = (p: number) => appendMs[Math.min(appendMs.length - 1, Math.ceil((p / 100) * appendMs.length) - 1)] ?? Number.NaN;
  return {
    sync: options.sync,
    checkpoints: options.checkpointEvery && options.checkpointEvery > 1_000_000 ? 'sparse' : 'window',
    keys: varied ? 'varied' : 'same',
    checkpointsSigned,
    concurrency: options.concurrency,
    records,
    recordsPerS: (records * 1000) / elapsed,
    batches,
    meanBatch: records / Math.max(1, batches),
    meanCommitMs: commitMs / Math.max(1, batches),
    eventLoopUsPerRecord: (busyMs * 1000) / Math.max(1, records),
    cpuUsPerRecord: (cpuUsed.user + cpuUsed.system) / Math.max(1, records),
    p50AppendMs: pct(50),
    p99AppendMs: pct(99),
  };
}

/** One ingest configuration of the matrix below. */
export interface IngestConfig {
  sync: 'full' | 'normal';
  concurrency: number;
  /** Signed checkpoints every 10 s only (as before the checkpoint window) instead of the defaults. */
  sparse?: boolean;
  /** Records with varied indexed values (variedRecord) instead of alike ones. */
  varied?: boolean;
}

/** The configurations `npm run bench` measures on each CPU placement. */
export const INGEST_CONFIGS: readonly IngestConfig[] = [
  { sync: 'full', concurrency: 50 },
  { sync: 'full', concurrency: 1000 },
  { sync: 'normal', concurrency: 1000 },
  // The unprotected window's cost: the same with checkpoints every 10 s only.
  { sync: 'full', concurrency: 50, sparse: true },
  { sync: 'full', concurrency: 1000, sparse: true },
  // What the indexes cost when their keys vary as in production (not judged: the target's figure is the alike records').
  { sync: 'full', concurrency: 1000, varied: true },
];

/**
 * Every configuration on every placement, `rounds` times, interleaved (round 1 of each, then
 * round 2 of each…), so that a slow spell of a shared machine lands on all of them; each result
 * is its median round. `place` moves this process (every thread, and the write threads started
 * later) onto a placement's CPUs before its runs.
 */
export async function measureIngestMatrix(options: {
  dir: string;
  signingKey: SigningKey;
  durationMs: number;
  rounds: number;
  placements: ReadonlyArray<{ cpus: string; place: () => void }>;
  configs?: readonly IngestConfig[];
  onProgress?: (line: string) => void;
}): Promise<IngestResult[]> {
  const configs = options.configs ?? INGEST_CONFIGS;
  const runs = new Map<string, IngestResult[]>();
  const keyOf = (cpus: string, c: IngestConfig) => `${cpus}|${c.sync}|${c.concurrency}|${c.sparse ? 'sparse' : 'window'}|${c.varied ? 'varied' : 'same'}`;
  for (let round = 0; round < options.rounds; round++) {
    for (const placement of options.placements) {
      placement.place();
      for (const c of configs) {
        const r = await measureAccessLogIngest({ dir: options.dir, signingKey: options.signingKey, sync: c.sync, concurrency: c.concurrency, durationMs: options.durationMs, ...(c.sparse ? { checkpointEvery: 1e9, checkpointIntervalMs: 10_000 } : {}), ...(c.varied ? { keys: 'varied' as const } : {}) });
        const key = keyOf(placement.cpus, c);
        runs.set(key, [...(runs.get(key) ?? []), { ...r, cpus: placement.cpus }]);
        options.onProgress?.(`ingest round ${round + 1}, ${placement.cpus}, ${c.sync}${c.sparse ? ' sparse' : ''}${c.varied ? ' varied' : ''}, ${c.concurrency} in flight: ${Math.round(r.recordsPerS)} records/s`);
      }
    }
  }
  const results: IngestResult[] = [];
  for (const placement of options.placements) {
    for (const c of configs) {
      const rounds = runs.get(keyOf(placement.cpus, c))!;
      const mid = median(rounds.map((r) => r.recordsPerS));
      // The median round itself (for an even count, the round nearest the median).
      const chosen = rounds.reduce((best, r) => (Math.abs(r.recordsPerS - mid) < Math.abs(best.recordsPerS - mid) ? r : best));
      results.push({ ...chosen, recordsPerS: mid, roundsPerS: rounds.map((r) => r.recordsPerS) });
    }
  }
  return results;
}

/** What the ingest process (bench/child/ingest-child.ts) is asked to measure. */
export interface IngestChildSpec {
  dir: string;
  /** The bench's HMAC key, so the child loads the keys in `dir` rather than making others. */
  hmacKeyBase64: string;
  durationMs: number;
  rounds: number;
  /** Each placement's name and the CPU list the child pins itself to (null: not pinned). */
  placements: ReadonlyArray<{ cpus: string; cpuList: string | null }>;
  /** The configurations (default INGEST_CONFIGS). */
  configs?: readonly IngestConfig[];
}

export type IngestChildMessage =
  | { type: 'progress'; line: string }
  | { type: 'done'; results: IngestResult[]; execArgv: string[] }
  | { type: 'failed'; error: string };

const INGEST_CHILD = fileURLToPath(new URL('../child/ingest-child.ts', import.meta.url));

/**
 * measureIngestMatrix in a process of its own started with the gateway's Node flags: the figure
 * is what the gateway's writer ingests under the heap it runs with (its old-space bound makes
 * V8 collect more often; its young generation decides how much of the records in flight is
 * copied and promoted), not under the benchmark process's defaults. The child pins itself to each
 * placement's CPUs, as the benchmark pins itself for measureIngestMatrix.
 */
export function measureIngestInGatewayRuntime(spec: IngestChildSpec, onProgress?: (line: string) => void): Promise<IngestResult[]> {
  const child = forkTypeScript(INGEST_CHILD, GATEWAY_NODE_FLAGS, { BENCH_INGEST_SPEC: JSON.stringify(spec) });
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        fn();
      }
    };
    child.on('message', (raw) => {
      const m = raw as IngestChildMessage;
      if (m.type === 'progress') onProgress?.(m.line);
      else if (m.type === 'failed') settle(() => reject(new Error(`ingest process failed:\n${m.error}`)));
      else if (m.type === 'done') settle(() => resolve(m.results.map((r) => ({ ...r, nodeFlags: m.execArgv.filter((f) => f !== '--import' && f !== 'tsx') }))));
    });
    child.once('error', (err) => settle(() => reject(err)));
    // After its results, should the exit be seen first (core/child-exit.ts).
    onExitAfterMessages(child, (code) => settle(() => reject(new Error(`ingest process exited (code ${code}) before its results`))));
  });
}
