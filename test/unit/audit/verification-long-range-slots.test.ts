/**
 * Review (b9c58d2): long one-chain verifications are shared per (chainId, fromSeq, toSeq) and two
 * run at once. The key is the caller's range, so one auditor asking for the same chain with two
 * made-up starting seqs (fromSeq 2 and 3, no toSeq: each as costly as the whole chain) takes both
 * slots, and another auditor's verification of that whole chain is refused AUDIT_UNAVAILABLE for
 * as long as they run: the lock-out b9c58d2 removed from verifyAccessLogs, moved here. (fromSeq
 * null and fromSeq 1, the same verification, are two keys as well.)
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
const codeOf = (r: Result) => r.errors?.[0]?.extensions?.['code'];
const CHAIN = 'gw-test:1:abc';
const hmacKey = randomBytes(32);
const ONE = 'query($chainId: ID!, $fromSeq: SafeInt) { verifyAccessLog(chainId: $chainId, fromSeq: $fromSeq) { chainId ok } }';

let key: SigningKey;
let fake: FakeAccessLogStore;
let sg: SubgraphRunner;
let reads = 0;
let gate: Promise<void> | null = null;
let open: () => void = () => {};

beforeAll(async () => {
  key = await testSigningKey();
  const chain = createChain(CHAIN, undefined, chainKeyOf(hmacKey));
  const records: ChainedAccessRecord[] = [1, 2, 3, 4].map((i) => chain.append(sampleRecord(i)));
  fake = new FakeAccessLogStore();
  await fake.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: CHAIN, instanceId: 'gw-test', time: '2025-01-01T00:00:00.000Z', hashAlg: 'hmac-sha256', ending: null })));
  await fake.openChain({ chainId: CHAIN, instanceId: 'gw-test', startedAt: '2025-01-01T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
  await fake.appendAccessRecords(records, [await signCheckpoint(key, { chainId: CHAIN, seq: 4, hash: records[3]!.hash, time: '2025-01-01T00:01:00.000Z' })]);
  const readLedger = fake.readLedger.bind(fake);
  fake.readLedger = async () => {
    reads += 1;
    if (gate) await gate;
    return readLedger();
  };
  sg = await startSubgraph(auditSubgraph({ store: fake.asStore(), hmacKey, gatewayJwks: key.publicJwks }));
});
afterAll(async () => {
  await sg.stop();
});

describe('long one-chain verification slots', () => {
  it('two made-up starting seqs do not lock another auditor out of verifying the whole chain', async () => {
    gate = new Promise<void>((resolve) => (open = resolve));
    reads = 0;
    const junk = [2, 3].map((fromSeq) => sg.run(ONE, { chainId: CHAIN, fromSeq }, AUDITOR));
    await waitFor(() => reads >= 1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const whole = sg.run(ONE, { chainId: CHAIN }, OTHER);
    // Let it reach its resolver before the others finish.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    gate = null;
    open();
    // (With the fix, the second made-up range of the same auditor is the one refused.)
    await Promise.all(junk);
    const answer = await whole;
    expect(codeOf(answer)).toBeUndefined();
    expect(answer.data!['verifyAccessLog']).toEqual({ chainId: CHAIN, ok: true });
  });
});
