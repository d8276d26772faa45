/**
 * Entry of the process the access-log ingest figure is measured in (bench/micro/access-log-ingest.ts,
 * `measureIngestInGatewayRuntime`): forked with the gateway's own Node flags (GATEWAY_NODE_FLAGS,
 * core/runtime-flags.ts), so that the writer is measured under the heap the gateway runs with,
 * not the benchmark's. Reads its IngestChildSpec from BENCH_INGEST_SPEC, pins itself to each
 * placement's CPUs in turn, says each round's line (`progress`), then the results (`done`).
 */
import { ensureKeys } from '../../core/keys.js';
import { measureIngestMatrix, type IngestChildMessage, type IngestChildSpec } from '../micro/access-log-ingest.js';
import { pin } from '../pinning.js';

const send = (m: IngestChildMessage) => process.send?.(m);

try {
  const spec = JSON.parse(process.env.BENCH_INGEST_SPEC ?? 'null') as IngestChildSpec;
  const keys = await ensureKeys(spec.dir, { hmacKeyBase64: spec.hmacKeyBase64 });
  const results = await measureIngestMatrix({
    dir: spec.dir,
    signingKey: keys.gateway,
    durationMs: spec.durationMs,
    rounds: spec.rounds,
    placements: spec.placements.map((p) => ({ cpus: p.cpus, place: () => pin(process.pid, p.cpuList) })),
    ...(spec.configs ? { configs: spec.configs } : {}),
    onProgress: (line) => send({ type: 'progress', line }),
  });
  send({ type: 'done', results, execArgv: process.execArgv });
} catch (err) {
  send({ type: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
}
process.disconnect?.();
