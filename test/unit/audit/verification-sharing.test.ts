/**
 * Second review of a51f106: whole-log verifications share one run, at most two distinct at once.
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
const codeOf = (r: Result) => r.errors?.[0]?.extensions?.['code'];
const CHAIN = 'gw-test:1:abc';
const hmacKey = randomBytes(32);
const N = 6;
const WHOLE = 'query($seq: SafeInt, $hash: String) { verifyAccessLogs(trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ok ledger { problems { seq kind } } chains { chainId ok } } }';
const ONE_CHAIN = 'query($chainId: ID!) { verifyAccessLog(chainId: $chainId) { chainId ok checked } }';

let key: SigningKey;
let fake: FakeAccessLogStore;
let sg: SubgraphRunner;
let ledgerReads = 0;
let chainReads = 0;
let gate: Promise<void> | null = null;
let open: () => void = () => {};
const hold = () => {
  gate = new Promise<void>((resolve) => (open = resolve));
};
const release = () => {
  gate = null;
  open();
};

beforeAll(async () => {
  key = await testSigningKey();
  const chain = createChain(CHAIN, undefined, chainKeyOf(hmacKey));
  const records: ChainedAccessRecord[] = Array.from({ length: N }, (_, i) => chain.append(sampleRecord(i + 1)));
  fake = new FakeAccessLogStore();
  await fake.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: CHAIN, instanceId: 'gw-test', time: '2025-01-01T00:00:00.000Z', hashAlg: 'hmac-sha256', ending: null })));
  await fake.openChain({ chainId: CHAIN, instanceId: 'gw-test', startedAt: '2025-01-01T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
  await fake.appendAccessRecords(records, [await signCheckpoint(key, { chainId: CHAIN, seq: N, hash: records[N - 1]!.hash, time: '2025-01-01T00:01:00.000Z' })]);
  const readLedger = fake.readLedger.bind(fake);
  fake.readLedger = async () => {
    ledgerReads += 1;
    if (gate) await gate;
    return readLedger();
  };
  const readChain = fake.readChain.bind(fake);
  fake.readChain = async (...args: Parameters<typeof readChain>) => {
    chainReads += 1;
    return readChain(...args);
  };
  sg = await startSubgraph(auditSubgraph({ store: fake.asStore(), hmacKey, gatewayJwks: key.publicJwks }));
});
afterAll(async () => {
  await sg.stop();
});

describe('whole-log verifications', () => {
  it('an auditor holding two verifications with made-up trusted ledger heads does not keep another auditor from verifying the log', async () => {
    hold();
    ledgerReads = 0;
    // Any values will do: the trusted head only adds a ledger comparison; each still reads and hashes every record.
    const junk = [1, 2].map((seq) => sg.run(WHOLE, { seq, hash: 'x'.repeat(43) }, AUDITOR));
    await waitFor(() => ledgerReads >= 1);
    const other = sg.run(WHOLE, {}, AUDITOR);
    release();
    const [answer] = await Promise.all([other, ...junk]);
    expect(codeOf(answer)).toBeUndefined();
    expect(answer.data!['verifyAccessLogs'].ok).toBe(true);
    // And each caller still gets its own trusted-head verdict.
    const junkAnswers = await Promise.all(junk);
    for (const a of junkAnswers) expect(a.data!['verifyAccessLogs'].ok).toBe(false);
  });

  it('the one-chain verification of a whole chain (as costly as the whole log on a one-gateway store) is bounded too', async () => {
    hold();
    ledgerReads = 0;
    const asked = Array.from({ length: 8 }, () => sg.run(ONE_CHAIN, { chainId: CHAIN }, AUDITOR));
    await waitFor(() => ledgerReads >= 1);
    // Let every request reach its resolver.
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    const running = ledgerReads;
    release();
    await Promise.all(asked);
    expect(running).toBeLessThanOrEqual(2);
  });
});
