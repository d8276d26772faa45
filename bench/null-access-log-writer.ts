/**
 * The benchmark's "access logging off": an AccessLogWriter whose append resolves at once, with no
 * chain hashing and no store. Passed to startGateway (GatewayOptions.accessLogWriter) so the same
 * gateway can be measured with and without the durable log. Never used outside bench/.
 *
 * With `batchPerTurn`, the appends of one event-loop turn resolve together at its end, as the
 * durable writer's group commit releases a batch: the log-off gateway otherwise answers each
 * request the moment it is done and, at saturation, spends more CPU per request than the durable
 * one (its event loop wakes for each answer), which is why the full runs' log-off rounds were the
 * slower (docs/performance.md, sixteenth pass).
 */
import { GENESIS_HASH, type ChainedAccessRecord } from '../audit/record.js';
import type { AccessLogWriter } from '../gateway/access-log/writer.js';

export function createNullAccessLogWriter(chainId = 'bench-access-log-off', batchPerTurn = false): AccessLogWriter {
  let seq = 0;
  let running = false;
  let pending: Array<() => void> = [];
  return {
    chainId,
    async start() {
      running = true;
    },
    append(record) {
      seq += 1;
      const chained: ChainedAccessRecord = { ...record, chainId, seq, prevHash: GENESIS_HASH, hash: GENESIS_HASH };
      if (!batchPerTurn) return Promise.resolve(chained);
      return new Promise((resolve) => {
        if (pending.length === 0)
          setImmediate(() => {
            const due = pending;
            pending = [];
            for (const f of due) f();
          });
        pending.push(() => resolve(chained));
      });
    },
    accepting: () => running,
    depth: () => 0,
    stats: () => ({ committed: seq, batches: 0, checkpoints: 0, failures: 0, consecutiveFailures: 0, retryingSinceMs: null, lastCommitMs: null, committedSeq: seq, depth: 0, accepting: running }),
    async flushAndClose() {
      running = false;
    },
  };
}
