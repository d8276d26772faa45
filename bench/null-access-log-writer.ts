/**
 * The benchmark's "access logging off": an AccessLogWriter whose append resolves at once, with no
 * chain hashing and no store. Passed to startGateway (GatewayOptions.accessLogWriter) so the same
 * gateway can be measured with and without the durable log. Never used outside bench/.
 */
import { GENESIS_HASH, type ChainedAccessRecord } from '../audit/record.js';
import type { AccessLogWriter } from '../gateway/access-log/writer.js';

export function createNullAccessLogWriter(chainId = 'bench-access-log-off'): AccessLogWriter {
  let seq = 0;
  let running = false;
  return {
    chainId,
    async start() {
      running = true;
    },
    append(record) {
      seq += 1;
      const chained: ChainedAccessRecord = { ...record, chainId, seq, prevHash: GENESIS_HASH, hash: GENESIS_HASH };
      return Promise.resolve(chained);
    },
    accepting: () => running,
    depth: () => 0,
    stats: () => ({ committed: seq, batches: 0, checkpoints: 0, failures: 0, consecutiveFailures: 0, lastCommitMs: null, committedSeq: seq, depth: 0, accepting: running }),
    async flushAndClose() {
      running = false;
    },
  };
}
