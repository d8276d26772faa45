/**
 * Review (b9c58d2): the caller's trusted ledger head is judged against a fresh readLedger, not
 * against the ledger the (shared) report was computed from. A ledger whose tail was cut while the
 * verification read it, and put back before the head is judged, gives a report that reads the
 * cut ledger (head below the trusted one) and still says ok.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chainKeyOf, createChain } from '../../../audit/chain.js';
import { nextLedgerBody, sealLedgerEntry } from '../../../audit/ledger.js';
import { signCheckpoint } from '../../../audit/checkpoint.js';
import { GENESIS_HASH, type ChainedAccessRecord, type LedgerEntry } from '../../../audit/record.js';
import type { SigningKey } from '../../../core/keys.js';
import { auditSubgraph } from '../../../subgraphs/audit/index.js';
import { sampleRecord, testSigningKey } from './fixtures.js';
import { FakeAccessLogStore } from '../gateway/access-log/fake-store.js';
import { identity, startSubgraph, type SubgraphRunner } from '../subgraphs/execute-subgraph.js';

const AUDITOR = identity(null, { softwareId: null, softwareVersion: null, developerId: null, org: null, roles: ['ato:auditor'], mfa: true });
const A = 'gw-a:1:abc';
const B = 'gw-b:1:def';
const hmacKey = randomBytes(32);
const WHOLE = 'query($seq: SafeInt, $hash: String) { verifyAccessLogs(trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ok ledger { headSeq problems { seq kind } } chains { chainId ok } } }';
const ONE = 'query($chainId: ID!, $seq: SafeInt, $hash: String) { verifyAccessLog(chainId: $chainId, trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ok ledgerProblems { seq kind } } }';

let key: SigningKey;
let fake: FakeAccessLogStore;
let sg: SubgraphRunner;
let full: LedgerEntry[];
/** What the next readLedger calls return, one each (then the full ledger): the tampered state, then restored. */
let script: LedgerEntry[][] = [];

beforeAll(async () => {
  key = await testSigningKey();
  fake = new FakeAccessLogStore();
  const open1 = await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: A, instanceId: 'gw-a', time: '2025-01-01T00:00:00.000Z', hashAlg: 'hmac-sha256', ending: null }, 1));
  const open2 = await sealLedgerEntry(key, nextLedgerBody({ seq: 1, hash: open1.hash }, { kind: 'OPEN', chainId: B, instanceId: 'gw-b', time: '2025-01-01T00:00:01.000Z', hashAlg: 'hmac-sha256', ending: null }, 2));
  await fake.appendLedgerEntry(open1);
  await fake.appendLedgerEntry(open2);
  for (const id of [A, B]) {
    const chain = createChain(id, undefined, chainKeyOf(hmacKey));
    const records: ChainedAccessRecord[] = [1, 2, 3].map((i) => chain.append(sampleRecord(i)));
    await fake.openChain({ chainId: id, instanceId: id.slice(0, 4), startedAt: '2025-01-01T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
    await fake.appendAccessRecords(records, [await signCheckpoint(key, { chainId: id, seq: 3, hash: records[2]!.hash, time: '2025-01-01T00:01:00.000Z' })]);
  }
  full = [...fake.ledger];
  const readLedger = fake.readLedger.bind(fake);
  fake.readLedger = async () => script.shift() ?? readLedger();
  sg = await startSubgraph(auditSubgraph({ store: fake.asStore(), hmacKey, gatewayJwks: key.publicJwks }));
});
afterAll(async () => {
  await sg.stop();
});

/** Removes every trace of a chain (records, checkpoints, head) and returns what puts it back. */
function hide(chainId: string): () => void {
  const rows = fake.rows.filter((r) => r.chainId === chainId);
  const cps = fake.checkpoints.filter((c) => c.chainId === chainId);
  const head = fake.heads.get(chainId)!;
  fake.rows.splice(0, fake.rows.length, ...fake.rows.filter((r) => r.chainId !== chainId));
  fake.checkpoints.splice(0, fake.checkpoints.length, ...fake.checkpoints.filter((c) => c.chainId !== chainId));
  fake.heads.delete(chainId);
  return () => {
    fake.rows.push(...rows);
    fake.checkpoints.push(...cps);
    fake.heads.set(chainId, head);
  };
}

describe('trusted ledger head judged against the report\'s own ledger', () => {
  it('verifyAccessLogs: a report read from a ledger cut below the trusted head is not ok, whatever a later read of the ledger holds', async () => {
    const trusted = { seq: 2, hash: full[1]!.hash };
    // Chain B and its OPEN are gone while the run reads; the OPEN is back for the judging read.
    const restore = hide(B);
    script = [[full[0]!]];
    const answer = await sg.run(WHOLE, trusted, AUDITOR);
    restore();
    script = [];
    const report = answer.data!['verifyAccessLogs'] as { ok: boolean; ledger: { headSeq: number; problems: Array<{ kind: string }> } };
    expect(report.ledger.headSeq).toBe(1); // the report read the cut ledger...
    expect(report.ok).toBe(false); // ...so the trusted head (seq 2) is not in it
    expect(report.ledger.problems.map((p) => p.kind)).toContain('MISSING');
  });

  it('verifyAccessLog (one chain): the same', async () => {
    const trusted = { seq: 2, hash: full[1]!.hash };
    const restore = hide(B);
    script = [[full[0]!]];
    const answer = await sg.run(ONE, { chainId: A, ...trusted }, AUDITOR);
    restore();
    script = [];
    const report = answer.data!['verifyAccessLog'] as { ok: boolean; ledgerProblems: Array<{ kind: string }> };
    expect(report.ok).toBe(false);
    expect(report.ledgerProblems.map((p) => p.kind)).toContain('MISSING');
  });
});
