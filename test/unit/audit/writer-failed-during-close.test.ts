/**
 * Review (7125d11): a pump failure that happens while flushAndClose is draining. The writer is
 * failed (its seqs are spent, its last batch is in the store), yet the drain goes on to write a
 * ledger CLOSE SHUTDOWN naming the committed head it had before the failure.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { ChainedAccessRecord } from '../../../audit/record.js';
import { verifyAccessLog } from '../../../audit/verify-store.js';
import { CodedError } from '../../../core/errors.js';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter, type AccessLogWriterOptions } from '../../../gateway/access-log/writer.js';
import { sampleRecord, testSigningKey } from './fixtures.js';
import { ScriptedStore } from '../gateway/access-log/scripted-store.js';
import { waitFor } from '../../helpers/wait.js';
import { writersClosedAfterEach } from '../gateway/access-log/closed-writers.js';

const CHAIN_KEY = Buffer.alloc(32, 7);
let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});
const writers = writersClosedAfterEach();
const codeOf = (err: unknown) => (err instanceof CodedError ? err.extensions.code : String(err));
const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (err: unknown) => ({ code: codeOf(err) }));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function writerOn(store: ScriptedStore, options: Partial<AccessLogWriterOptions> = {}): AccessLogWriter {
  const writer = createAccessLogWriter({ store: store.asStore(), chainId: `rf-${writers.length}-${Date.now()}`, instanceId: 'gw-rf', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, ...options });
  writers.push(writer);
  return writer;
}

describe('writer failing while it closes', () => {
  it('a pump failure during the close drain writes no CLOSE SHUTDOWN (the next start closes the chain as crashed from what is stored)', async () => {
    const store = new ScriptedStore();
    const writer = writerOn(store, { maxBatch: 4 });
    await writer.start();
    store.script = ['hold'];
    const original = store.appendToChain.bind(store);
    let n = 0;
    // The second commit is stored, but the store answers with one hash too few.
    store.appendToChain = async (batch, checkpoints) => {
      const hashes = await original(batch, checkpoints);
      return n++ === 1 ? hashes.slice(1) : hashes;
    };
    const first = range(1, 2).map((i) => settle(writer.append(sampleRecord(i))));
    await waitFor(() => store.calls.length === 1);
    const rest = range(3, 6).map((i) => settle(writer.append(sampleRecord(i))));
    const closing = settle(writer.flushAndClose({ timeoutMs: 2_000 })); // SIGTERM under load
    store.release(0);
    const outcomes: Array<{ value: ChainedAccessRecord } | { code: unknown }> = await Promise.all([...first, ...rest]);
    await closing;
    expect(outcomes.map((o) => ('value' in o ? o.value.seq : o.code))).toEqual([1, 2, ...Array(4).fill('AUDIT_UNAVAILABLE')]);
    // Records 3..6 are in the store (the commit went through; only its answer was wrong).
    expect(store.rows.filter((r) => r.chainId === writer.chainId).map((r) => r.seq)).toEqual(range(1, 6));
    // As when the failure precedes the close: nothing signed, no CLOSE.
    const closes = store.ledger.filter((e) => e.chainId === writer.chainId && e.kind === 'CLOSE');
    const report = await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY });
    const chain = report.chains.find((c) => c.chainId === writer.chainId);
    // Today: CLOSE SHUTDOWN at seq 2, so the verifier calls records 3..6 FORGED and the final checkpoint missing.
    expect(closes.map((e) => e.ending)).toEqual([]);
    expect((chain?.problems ?? []).map((p) => p.kind)).not.toContain('FORGED');
    // The next start (same instance) closes it as crashed from what is stored: seq 6, all verified.
    store.script = [];
    store.appendToChain = original;
    const next = createAccessLogWriter({ store: store.asStore(), chainId: `rf-next-${Date.now()}`, instanceId: 'gw-rf', signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000, livenessMs: 1 });
    writers.push(next);
    await next.start();
    const close = store.ledger.find((e) => e.chainId === writer.chainId && e.kind === 'CLOSE');
    expect(close?.ending).toMatchObject({ how: 'CRASH', lastSeq: 6 });
    const after = (await verifyAccessLog(store as unknown as Parameters<typeof verifyAccessLog>[0], key.publicJwks, { chainKey: CHAIN_KEY })).chains.find((c) => c.chainId === writer.chainId);
    expect(after).toMatchObject({ status: 'CRASHED', checked: 6 });
    expect((after?.problems ?? []).filter((p) => p.kind === 'FORGED' || p.kind === 'ALTERED')).toEqual([]);
  });
});
