/**
 * Entry of a server process the benchmark forks (bench/child/children.ts): reads its ChildSpec
 * from BENCH_CHILD_SPEC, starts the subgraphs, the bare gateway or DSP Gateway, says `ready`, then
 * answers resource-use questions and `stop` over IPC. Servers under test run in their own
 * process so the load generator never shares their event loop.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { getHeapSpaceStatistics, getHeapStatistics, writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../../core/config.js';
import { ensureKeys, keysFor, subgraphKeysOf } from '../../core/keys.js';
import { createLogger } from '../../core/logger.js';
import { SUPERGRAPH_PATH, startGateway } from '../../gateway/server.js';
import { createStore } from '../../store/index.js';
import { SUBGRAPH_NAMES, startSubgraph } from '../../subgraphs/catalog.js';
import { startBareGateway } from '../bare-gateway.js';
import { createNullAccessLogWriter } from '../null-access-log-writer.js';
import type { ChildMemory, ChildMessage, ChildSpec, ParentMessage } from './protocol.js';
import { createResourceSampler } from './resource-sampler.js';

interface Running {
  urls: Record<string, string>;
  close(): Promise<void>;
}

const send = (m: ChildMessage) => process.send?.(m);

async function start(spec: ChildSpec): Promise<Running> {
  const logger = createLogger({ level: 'warn', name: `bench-${spec.role}` });
  switch (spec.role) {
    case 'subgraphs': {
      const keys = await ensureKeys(spec.dataDir, { hmacKeyBase64: spec.hmacKeyBase64 });
      const store = await createStore(spec.storeUrl, { sqliteSync: 'full' });
      const subgraphKeys = subgraphKeysOf(keys);
      const running = await Promise.all(SUBGRAPH_NAMES.map((name) => startSubgraph(name, { store, keys: subgraphKeys, host: '127.0.0.1', port: 0, logger })));
      return {
        urls: Object.fromEntries(SUBGRAPH_NAMES.map((n, i) => [n, running[i]!.url])),
        async close() {
          await Promise.all(running.map((r) => r.close()));
          await store.close();
        },
      };
    }
    case 'bare': {
      const keys = await ensureKeys(spec.dataDir, { hmacKeyBase64: spec.hmacKeyBase64 });
      const bare = await startBareGateway({ supergraphSdl: readFileSync(SUPERGRAPH_PATH, 'utf8'), subgraphUrls: spec.subgraphUrls, gatewayKey: keys.gateway, subgraphMacKey: keys.subgraphMacKey, identity: spec.assertion, transport: spec.transport ?? 'apollo-default' });
      return { urls: { graphql: bare.url }, close: bare.close };
    }
    case 'enforced': {
      // Exactly what gateway/main.ts does, with the benchmark's environment (and optionally the
      // logging-off writer), so the figure is the product's own path.
      const config = loadConfig(spec.env);
      const keys = await keysFor(config);
      const store = await createStore(config.storeUrl, { sqliteSync: config.audit.sqliteSync, retentionDays: config.audit.retentionDays });
      const gateway = await startGateway({
        config,
        store,
        keys,
        logger: createLogger({ level: config.logLevel, name: 'gateway' }),
        ...(spec.accessLog === 'off' ? { accessLogWriter: createNullAccessLogWriter(undefined, spec.env.BENCH_NULL_LOG_BATCH === '1') } : {}),
        // Each commit's time, per round (the durable log's part in a tail: fixed-rate.ts).
        onRecordsCommitted: (_records, commitMs) => sampler.noteCommit(commitMs),
      });
      return {
        urls: { graphql: gateway.url },
        async close() {
          await gateway.close();
          await store.close();
        },
      };
    }
  }
}

function procStatusBytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

function memoryNow(): ChildMemory {
  const u = process.memoryUsage();
  const h = getHeapStatistics();
  const old = getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // Not Linux: the two fields stay 0.
  }
  return {
    rss: u.rss,
    heapTotal: u.heapTotal,
    heapUsed: u.heapUsed,
    external: u.external,
    arrayBuffers: u.arrayBuffers,
    rssAnon: procStatusBytes(status, 'RssAnon'),
    rssFile: procStatusBytes(status, 'RssFile'),
    heapPhysical: h.total_physical_size,
    mallocedMemory: h.malloced_memory,
    oldSpaceSize: old?.space_size ?? 0,
    oldSpaceUsed: old?.space_used_size ?? 0,
  };
}

let inspector: Session | null = null;
/**
 * V8's sampling heap profiler over the inspector, in this process: a sample every `intervalBytes`
 * allocated on average, kept whether or not a collection has freed the object since, so the
 * profile is what was allocated, not what is still alive. With `survivorsOnly` the samples of
 * objects a scavenge freed are dropped: what is left is what lived long enough to be promoted to
 * the old generation (or is still young at the end), the garbage a full collection must mark.
 */
async function allocations(m: Extract<ParentMessage, { type: 'allocations-start' | 'allocations-stop' }>): Promise<void> {
  if (m.type === 'allocations-start') {
    inspector ??= new Session();
    inspector.connect();
    await inspector.post('HeapProfiler.startSampling', { samplingInterval: m.intervalBytes, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !m.survivorsOnly } as object);
    return;
  }
  if (!inspector) throw new Error('allocations-stop before allocations-start');
  const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as { profile: unknown };
  writeFileSync(m.path, JSON.stringify(profile));
  inspector.disconnect();
  inspector = null;
}

const sampler = createResourceSampler();
let running: Running | null = null;

process.on('message', (raw: unknown) => {
  const m = raw as ParentMessage;
  switch (m.type) {
    case 'reset':
      sampler.reset();
      send({ id: m.id, type: 'ok' });
      return;
    case 'stats':
      send({ id: m.id, type: 'stats', stats: sampler.read() });
      return;
    case 'memory':
      send({ id: m.id, type: 'memory', memory: memoryNow() });
      return;
    case 'gc':
      // Diagnosis only (the soak's --diagnose, with --expose-gc): what a full collection would give back.
      (globalThis as { gc?: () => void }).gc?.();
      send({ id: m.id, type: 'ok' });
      return;
    case 'heapsnapshot':
      // Diagnosis only (the soak's --snapshot): where the retained heap is.
      writeHeapSnapshot(m.path);
      send({ id: m.id, type: 'ok' });
      return;
    case 'allocations-start':
    case 'allocations-stop':
      // Diagnosis only (bench/allocations.ts): where the heap is allocated, collected objects included.
      void allocations(m).then(
        () => send({ id: m.id, type: 'ok' }),
        (err: unknown) => send({ id: m.id, type: 'error', error: String(err) }),
      );
      return;
    case 'stop':
      sampler.stop();
      void (running?.close() ?? Promise.resolve())
        .catch((err: unknown) => console.error('bench child: close failed', err))
        .finally(() => {
          send({ id: m.id, type: 'ok' });
          // Exiting normally lets --cpu-prof write its profile.
          process.exit(0);
        });
      return;
  }
});
// The benchmark died: do not linger.
process.on('disconnect', () => process.exit(0));

try {
  const spec = JSON.parse(process.env.BENCH_CHILD_SPEC ?? 'null') as ChildSpec | null;
  if (!spec) throw new Error('BENCH_CHILD_SPEC is not set');
  running = await start(spec);
  send({ type: 'ready', urls: running.urls, execArgv: process.execArgv });
} catch (err) {
  send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exit(1);
}
