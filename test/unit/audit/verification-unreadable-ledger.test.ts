/**
 * Review of dc1b240: verifyAccessLog (audit/verify-store.ts) answers a store whose ledger cannot be
 * read, while its storage check names the problem, with a report (ok false, the read's error in
 * storageProblems) rather than the read's error. That run read no ledger rows (onLedgerRead never
 * called), so judgedAgainst judges a caller's trusted head against a read made now, which fails
 * the same way: an auditor who gives the head (as the schema tells them to, every time) gets an
 * uncoded error instead of the report that says what is wrong; without the head, the report.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditSubgraph } from '../../../subgraphs/audit/index.js';
import type { SigningKey } from '../../../core/keys.js';
import { testSigningKey } from './fixtures.js';
import { FakeAccessLogStore } from '../gateway/access-log/fake-store.js';
import { identity, startSubgraph, type Result, type SubgraphRunner } from '../subgraphs/execute-subgraph.js';

const AUDITOR = identity(null, { softwareId: null, softwareVersion: null, developerId: null, org: null, roles: ['ato:auditor'], mfa: true });
const WHOLE = 'query($seq: SafeInt, $hash: String) { verifyAccessLogs(trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ok storageProblems } }';

let key: SigningKey;
let sg: SubgraphRunner;

beforeAll(async () => {
  key = await testSigningKey();
  const fake = new FakeAccessLogStore();
  fake.storageProblems = async () => ['ledger table: a row cannot be decoded'];
  fake.readLedger = async () => {
    throw new Error('row 7: invalid input syntax');
  };
  sg = await startSubgraph(auditSubgraph({ store: fake.asStore(), hmacKey: randomBytes(32), gatewayJwks: key.publicJwks }));
});
afterAll(async () => {
  await sg.stop();
});

describe('review dc1b240: a trusted head with an unreadable ledger', () => {
  it('without a trusted head: the report naming the storage problem', async () => {
    const answer = (await sg.run(WHOLE, {}, AUDITOR)) as Result;
    expect(answer.errors).toBeUndefined();
    expect(answer.data!['verifyAccessLogs'].ok).toBe(false);
  });
  it('with a trusted head: the same report (not ok), not an uncoded error', async () => {
    const answer = (await sg.run(WHOLE, { seq: 3, hash: 'a'.repeat(64) }, AUDITOR)) as Result;
    expect(answer.errors).toBeUndefined();
    expect(answer.data!['verifyAccessLogs'].ok).toBe(false);
    expect(answer.data!['verifyAccessLogs'].storageProblems.join(' ')).toContain('could not be read');
  });
});
