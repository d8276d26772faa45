/**
 * Review of dc1b240: a caller joining a shared long one-chain verification has its trusted ledger
 * head judged against the ledger rows that run read when it began. A head recorded after that
 * (the ledger grew: a gateway started; the head came from a whole-log verification that finished
 * meanwhile) is past the end of those rows, and is reported MISSING ("its tail was removed"): a
 * false report of tampering on an intact ledger. Before dc1b240 it was judged against a read made
 * after the caller arrived.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chainKeyOf, createChain } from '../../../audit/chain.js';
import { nextLedgerBody, sealLedgerEntry } from '../../../audit/ledger.js';
import { signCheckpoint } from '../../../audit/checkpoint.js';
import { GENESIS_HASH, type ChainedAccessRecord } from '../../../audit/record.js';
import type { SigningKey } from '../../../core/keys.js';
import { auditSubgraph } from '../../../subgraphs/audit/index.js';
import { waitFor } from '../../helpers/wait.js';
import { sampleRecord, testSigningKey } from './fixtures.js';
import { FakeAccessLogStore } from '../gateway/access-log/fake-store.js';
import { identity, startSubgraph, type Result, type SubgraphRunner } from '../subgraphs/execute-subgraph.js';

const AUDITOR = identity(null, { softwareId: null, softwareVersion: null, developerId: null, org: null, roles: ['ato:auditor'], mfa: true });
const OTHER = { ...AUDITOR, sub: 'auditor-2' };
const A = 'gw-a:1:abc';
const C = 'gw-c:1:ghi';
const hmacKey = randomBytes(32);
const WHOLE = 'query { verifyAccessLogs { ledger { headSeq headHash } } }';
const ONE = 'query($chainId: ID!, $seq: SafeInt, $hash: String) { verifyAccessLog(chainId: $chainId, trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ok ledgerProblems { seq kind } } }';

let key: SigningKey;
let fake: FakeAccessLogStore;
let sg: SubgraphRunner;
let hold = false;
let held = 0;
let release: () => void = () => {};

beforeAll(async () => {
  key = await testSigningKey();
  fake = new FakeAccessLogStore();
  await fake.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: A, instanceId: 'gw-a', time: '2025-01-01T00:00:00.000Z', hashAlg: 'hmac-sha256', ending: null }, 1)));
  const chain = createChain(A, undefined, chainKeyOf(hmacKey));
  const records: ChainedAccessRecord[] = [1, 2, 3].map((i) => chain.append(sampleRecord(i)));
  await fake.openChain({ chainId: A, instanceId: 'gw-a', startedAt: '2025-01-01T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
  await fake.appendAccessRecords(records, [await signCheckpoint(key, { chainId: A, seq: 3, hash: records[2]!.hash, time: '2025-01-01T00:01:00.000Z' })]);
  // Holds the first verification that asks, after it has read the ledger.
  const withData = fake.chainIdsWithData.bind(fake);
  fake.chainIdsWithData = async () => {
    if (hold) {
      hold = false;
      held += 1;
      await new Promise<void>((resolve) => (release = resolve));
    }
    return withData();
  };
  sg = await startSubgraph(auditSubgraph({ store: fake.asStore(), hmacKey, gatewayJwks: key.publicJwks }));
});
afterAll(async () => {
  await sg.stop();
});

describe('review dc1b240: a trusted head newer than a shared run', () => {
  it('a caller joining a long run begun before its head was recorded is not told the ledger tail was removed', async () => {
    hold = true;
    const first = sg.run(ONE, { chainId: A }, AUDITOR); // long (no toSeq): shared; reads the ledger (seq 1) and is held
    await waitFor(() => held === 1);
    // Meanwhile another gateway starts: the ledger grows to seq 2, and a whole-log verification records that head.
    const [open1] = await fake.readLedger();
    await fake.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody({ seq: 1, hash: open1!.hash }, { kind: 'OPEN', chainId: C, instanceId: 'gw-c', time: '2025-01-01T00:02:00.000Z', hashAlg: 'hmac-sha256', ending: null }, 2)));
    const whole = (await sg.run(WHOLE, {}, OTHER)) as Result;
    const head = whole.data!['verifyAccessLogs'].ledger as { headSeq: number; headHash: string };
    expect(head.headSeq).toBe(2);
    // The other auditor verifies chain A with that head, while the first run still runs: it joins it.
    const joined = sg.run(ONE, { chainId: A, seq: head.headSeq, hash: head.headHash }, OTHER);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    release();
    await first;
    const answer = (await joined) as Result;
    // The ledger is intact: seq 2 is there, unchanged.
    expect(answer.errors).toBeUndefined();
    expect(answer.data!['verifyAccessLog'].ledgerProblems).toEqual([]);
    expect(answer.data!['verifyAccessLog'].ok).toBe(true);
  });

  it('verifyAccessLogs: a caller joining the run with a head recorded since (the CLI, another subgraph instance) is not told the tail was removed', async () => {
    const heldBefore = held;
    hold = true;
    const first = sg.run(WHOLE, {}, AUDITOR); // reads the ledger (seq 1, 2) and is held
    await waitFor(() => held === heldBefore + 1);
    const ledger = await fake.readLedger();
    const last = ledger.at(-1)!;
    const added = await sealLedgerEntry(key, nextLedgerBody({ seq: last.seq, hash: last.hash }, { kind: 'CLOSE', chainId: C, instanceId: 'gw-c', time: '2025-01-01T00:03:00.000Z', hashAlg: null, ending: { how: 'SHUTDOWN', lastSeq: 0, lastHash: GENESIS_HASH, lastCheckpointSeq: 0, lastCheckpointN: 0, unsignedRecords: 0 } }, last.seq + 1));
    await fake.appendLedgerEntry(added);
    const joined = sg.run('query($seq: SafeInt, $hash: String) { verifyAccessLogs(trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ledger { headSeq problems { seq kind } } } }', { seq: added.seq, hash: added.hash }, OTHER);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    release();
    await first;
    const answer = (await joined) as Result;
    expect(answer.errors).toBeUndefined();
    expect(answer.data!['verifyAccessLogs'].ledger.problems.map((p: { kind: string }) => p.kind)).not.toContain('MISSING');
  });

  it('a joined caller whose head is past the ledger a run begun after it asked read is still told the tail was removed', async () => {
    const heldBefore = held;
    hold = true;
    const first = sg.run(ONE, { chainId: A }, AUDITOR);
    await waitFor(() => held === heldBefore + 1);
    const joined = sg.run(ONE, { chainId: A, seq: 99, hash: 'f'.repeat(64) }, OTHER);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    release();
    await first;
    const answer = (await joined) as Result;
    expect(answer.errors).toBeUndefined();
    expect(answer.data!['verifyAccessLog'].ok).toBe(false);
    expect(answer.data!['verifyAccessLog'].ledgerProblems).toContainEqual({ seq: 99, kind: 'MISSING' });
  });
});
