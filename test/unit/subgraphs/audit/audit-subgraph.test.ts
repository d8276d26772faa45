import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Kind, parse, type ObjectTypeDefinitionNode } from 'graphql';
import { chainKeyOf, createChain } from '../../../../audit/chain.js';
import { nextLedgerBody, sealLedgerEntry } from '../../../../audit/ledger.js';
import { signCheckpoint } from '../../../../audit/checkpoint.js';
import { clientDigest } from '../../../../audit/digest.js';
import { GENESIS_HASH, type ChainedAccessRecord } from '../../../../audit/record.js';
import type { AssertionClaims } from '../../../../core/assertion.js';
import type { SigningKey } from '../../../../core/keys.js';
import { createStore } from '../../../../store/index.js';
import { StoreUnavailableError, type Store } from '../../../../store/port.js';
import { auditSubgraph, MAX_WHOLE_LOG_VERIFICATIONS } from '../../../../subgraphs/audit/index.js';
import { waitFor } from '../../../helpers/wait.js';
import { SCHEMA_DIR } from '../../../../subgraphs/shared/sdl.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sampleRecord, testSigningKey } from '../../audit/fixtures.js';
import { FakeAccessLogStore } from '../../gateway/access-log/fake-store.js';
import { identity, startSubgraph, type Result, type SubgraphRunner } from '../execute-subgraph.js';

const AUDITOR = identity(null, { softwareId: null, softwareVersion: null, developerId: null, org: null, roles: ['ato:auditor'], mfa: true });
const AUDITOR_NO_MFA = { ...AUDITOR, mfa: false };
const ADMIN = { ...AUDITOR, roles: ['ato:admin'] };
const PRODUCT = identity('STANDARD', { mfa: true });
const codeOf = (r: Result) => r.errors?.[0]?.extensions?.['code'];

const CHAIN = 'gw-test:1:abc';
const hmacKey = randomBytes(32);
const N = 12;

/** Records 1..N: C-000001 in odd records, C-000002 in even ones; every 5th DENIED. */
function chainOfRecords(): ChainedAccessRecord[] {
  const chain = createChain(CHAIN, undefined, chainKeyOf(hmacKey));
  return Array.from({ length: N }, (_, i) =>
    chain.append(sampleRecord(i + 1, { clientDigests: [clientDigest(hmacKey, (i + 1) % 2 ? 'C-000001' : 'C-000002')], productId: i < 4 ? 'PRD-LIMITED' : 'PRD-CERTIFIED' })),
  );
}

const LOGS = `query($filter: AccessLogFilterInput, $first: Int, $after: String) {
  accessLogs(filter: $filter, first: $first, after: $after) {
    nodes { id seq time decision errorCodes clientDigests productId reasons { code coordinate } chainId hash }
    edges { node { id } }
    pageInfo { endCursor hasNextPage }
  }
}`;
const SUMMARY = 'query($filter: AccessLogFilterInput) { accessSummary(filter: $filter) { total byProduct { key count } byDecision { key count } byCode { key count } } }';
const VERIFY = 'query($chainId: ID!, $fromSeq: SafeInt, $toSeq: SafeInt) { verifyAccessLog(chainId: $chainId, fromSeq: $fromSeq, toSeq: $toSeq) { chainId ok checked omitted lastSeq latestCheckpointSeq problems { seq kind detail } } }';
const CHAINS = '{ accessLogChains { chainId instanceId lastSeq lastHash } }';

let key: SigningKey;
let records: ChainedAccessRecord[];

async function fill(store: Pick<Store, 'openChain' | 'appendAccessRecords' | 'appendLedgerEntry'>): Promise<void> {
  // Announced in the ledger as the gateway's writer would, keyed hashes.
  await store.appendLedgerEntry(await sealLedgerEntry(key, nextLedgerBody(null, { kind: 'OPEN', chainId: CHAIN, instanceId: 'gw-test', time: '2025-01-01T00:00:00.000Z', hashAlg: 'hmac-sha256', ending: null })));
  await store.openChain({ chainId: CHAIN, instanceId: 'gw-test', startedAt: '2025-01-01T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
  const checkpoint = await signCheckpoint(key, { chainId: CHAIN, seq: N, hash: records[N - 1]!.hash, time: '2025-01-01T00:01:00.000Z' });
  await store.appendAccessRecords(records, [checkpoint]);
}

beforeAll(async () => {
  key = await testSigningKey();
  records = chainOfRecords();
});

describe('audit subgraph over the SQLite store', () => {
  let store: Store;
  let sg: SubgraphRunner;
  beforeAll(async () => {
    store = await createStore('sqlite::memory:');
    await fill(store);
    sg = await startSubgraph(auditSubgraph({ store, hmacKey, gatewayJwks: key.publicJwks }));
  });
  afterAll(async () => {
    await sg.stop();
    await store.close();
  });

  it('pages through every record, newest first, with keyset cursors', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const r = await sg.run(LOGS, { first: 5, after }, AUDITOR);
      expect(r.errors).toBeUndefined();
      const conn = r.data!['accessLogs'];
      seen.push(...conn.nodes.map((n: { seq: number }) => n.seq));
      expect(conn.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(conn.nodes.map((n: { id: string }) => n.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => N - i));
  });

  it('filters by client id through its digest and never returns the raw id', async () => {
    const r = await sg.run(LOGS, { filter: { clientId: 'C-000002' } }, AUDITOR);
    const nodes = r.data!['accessLogs'].nodes as Array<{ seq: number; clientDigests: string[] }>;
    expect(nodes.map((n) => n.seq).sort((a, b) => a - b)).toEqual([2, 4, 6, 8, 10, 12]);
    expect(nodes.every((n) => n.clientDigests.includes(clientDigest(hmacKey, 'C-000002')))).toBe(true);
    expect(JSON.stringify(r)).not.toContain('C-000002');
  });

  it('filters by decision, error code and product', async () => {
    const denied = await sg.run(LOGS, { filter: { decision: 'DENIED' } }, AUDITOR);
    expect(denied.data!['accessLogs'].nodes.map((n: { seq: number }) => n.seq).sort()).toEqual([10, 5]);
    const byCode = await sg.run(LOGS, { filter: { errorCode: 'CLIENT_NOT_AUTHORISED' } }, AUDITOR);
    expect(byCode.data!['accessLogs'].nodes).toHaveLength(2);
    expect(byCode.data!['accessLogs'].nodes[0].reasons).toEqual([{ code: 'CLIENT_NOT_AUTHORISED', coordinate: 'Query.client' }]);
    const byProduct = await sg.run(LOGS, { filter: { productId: 'PRD-LIMITED', decision: 'ALLOWED' } }, AUDITOR);
    expect(byProduct.data!['accessLogs'].nodes.map((n: { seq: number }) => n.seq).sort()).toEqual([1, 2, 3, 4]);
  });

  it('filters by time range [from, to)', async () => {
    const r = await sg.run(LOGS, { filter: { from: records[2]!.time, to: records[5]!.time } }, AUDITOR);
    expect(r.data!['accessLogs'].nodes.map((n: { seq: number }) => n.seq)).toEqual([5, 4, 3]);
  });

  it('refuses a malformed time or page size with BAD_USER_INPUT', async () => {
    expect(codeOf(await sg.run(LOGS, { filter: { from: 'yesterday' } }, AUDITOR))).toBe('BAD_USER_INPUT');
    expect(codeOf(await sg.run(LOGS, { first: 0 }, AUDITOR))).toBe('BAD_USER_INPUT');
    expect(codeOf(await sg.run(LOGS, { filter: { operationName: 'x'.repeat(1000) } }, AUDITOR))).toBe('BAD_USER_INPUT');
  });

  it('summarises by product, decision and code', async () => {
    const r = await sg.run(SUMMARY, {}, AUDITOR);
    const s = r.data!['accessSummary'];
    expect(s.total).toBe(N);
    expect(s.byDecision).toEqual(expect.arrayContaining([{ key: 'ALLOWED', count: 10 }, { key: 'DENIED', count: 2 }]));
    expect(s.byCode).toEqual([{ key: 'CLIENT_NOT_AUTHORISED', count: 2 }]);
    expect(s.byProduct.reduce((n: number, c: { count: number }) => n + c.count, 0)).toBe(N);
  });

  it('verifies an untouched chain clean', async () => {
    const r = await sg.run(VERIFY, { chainId: CHAIN }, AUDITOR);
    expect(r.data!['verifyAccessLog']).toEqual({ chainId: CHAIN, ok: true, checked: N, omitted: 0, lastSeq: N, latestCheckpointSeq: N, problems: [] });
  });

  it('verifies a seq range', async () => {
    const r = await sg.run(VERIFY, { chainId: CHAIN, fromSeq: 3, toSeq: 7 }, AUDITOR);
    expect(r.data!['verifyAccessLog']).toMatchObject({ ok: true, checked: 5 });
  });

  it('answers NOT_FOUND for an unknown chain and BAD_USER_INPUT for a bad range', async () => {
    expect(codeOf(await sg.run(VERIFY, { chainId: 'nope' }, AUDITOR))).toBe('NOT_FOUND');
    expect(codeOf(await sg.run(VERIFY, { chainId: CHAIN, fromSeq: 5, toSeq: 2 }, AUDITOR))).toBe('BAD_USER_INPUT');
    expect(codeOf(await sg.run(VERIFY, { chainId: CHAIN, fromSeq: 0 }, AUDITOR))).toBe('BAD_USER_INPUT');
  });

  it('lists the chains with their heads', async () => {
    const r = await sg.run(CHAINS, {}, AUDITOR);
    expect(r.data!['accessLogChains']).toEqual([{ chainId: CHAIN, instanceId: 'gw-test', lastSeq: N, lastHash: records[N - 1]!.hash }]);
  });

  describe.each([
    ['accessLogs', LOGS, {}],
    ['accessSummary', SUMMARY, {}],
    ['verifyAccessLog', VERIFY, { chainId: CHAIN }],
    ['accessLogChains', CHAINS, {}],
  ])('%s', (_name, query, variables) => {
    it.each([
      ['a product token', PRODUCT, 'ROLE_REQUIRED'],
      ['an admin', ADMIN, 'ROLE_REQUIRED'],
      ['an auditor without MFA', AUDITOR_NO_MFA, 'MFA_REQUIRED'],
    ] as Array<[string, AssertionClaims, string]>)('refuses %s with %s and no data', async (_who, who, code) => {
      const r = await sg.run(query, variables, who);
      expect(codeOf(r)).toBe(code);
      expect(r.data ?? null).toBeNull();
    });
  });
});

describe('audit subgraph over a store with tampered rows', () => {
  let fake: FakeAccessLogStore;
  let sg: SubgraphRunner;
  beforeAll(async () => {
    fake = new FakeAccessLogStore();
    await fill(fake);
    sg = await startSubgraph(auditSubgraph({ store: fake.asStore(), hmacKey, gatewayJwks: key.publicJwks }));
  });
  afterAll(async () => {
    await sg.stop();
  });

  it('caps `first` at 500', async () => {
    await sg.run(LOGS, { first: 100_000 }, AUDITOR);
    expect(fake.lastQuery?.page.first).toBe(500);
  });

  it('reports an altered, a deleted and two swapped records at their seqs', async () => {
    const row = (seq: number) => fake.rows.find((r) => r.seq === seq)!;
    const altered = JSON.parse(row(3).record) as ChainedAccessRecord;
    row(3).record = JSON.stringify({ ...altered, decision: 'ALLOWED', errorCodes: [], sub: 'someone' });
    fake.rows.splice(fake.rows.indexOf(row(6)), 1);
    [row(8).record, row(10).record] = [row(10).record, row(8).record];
    const r = await sg.run(VERIFY, { chainId: CHAIN }, AUDITOR);
    const report = r.data!['verifyAccessLog'];
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: { kind: string; seq: number }) => `${p.kind}@${p.seq}`)).toEqual(['ALTERED@3', 'MISSING@6', 'REORDERED@8', 'REORDERED@10']);
  });
});

describe('whole-log verifications at once', () => {
  const WHOLE = 'query($seq: SafeInt, $hash: String) { verifyAccessLogs(trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ok chains { chainId ok } } }';
  let fake: FakeAccessLogStore;
  let sg: SubgraphRunner;
  let ledgerReads = 0;
  let gate: Promise<void> | null = null;
  let open: () => void = () => {};
  beforeAll(async () => {
    fake = new FakeAccessLogStore();
    await fill(fake);
    // Each verification reads the ledger first; held here, so that several are running at once.
    const read = fake.readLedger.bind(fake);
    fake.readLedger = async () => {
      ledgerReads += 1;
      if (gate) await gate;
      return read();
    };
    sg = await startSubgraph(auditSubgraph({ store: fake.asStore(), hmacKey, gatewayJwks: key.publicJwks }));
  });
  afterAll(async () => {
    await sg.stop();
  });
  const hold = () => {
    gate = new Promise<void>((resolve) => (open = resolve));
  };
  const release = () => {
    gate = null;
    open();
  };

  it('shares one run among callers asking the same while it runs', async () => {
    hold();
    ledgerReads = 0;
    const asked = [1, 2, 3].map(() => sg.run(WHOLE, {}, AUDITOR));
    await waitFor(() => ledgerReads >= 1);
    release();
    const answers = await Promise.all(asked);
    expect(ledgerReads).toBe(1);
    for (const a of answers) expect(a.data!['verifyAccessLogs']).toEqual({ ok: true, chains: [{ chainId: CHAIN, ok: true }] });
    // Once it has finished, the next caller gets a run of its own.
    await sg.run(WHOLE, {}, AUDITOR);
    expect(ledgerReads).toBe(2);
  });

  it('shares one run whatever trusted ledger head each caller gives, and judges each head on its own', async () => {
    hold();
    ledgerReads = 0;
    const junk = Array.from({ length: MAX_WHOLE_LOG_VERIFICATIONS + 1 }, (_, i) => sg.run(WHOLE, { seq: i + 1, hash: 'x'.repeat(43) }, AUDITOR));
    await waitFor(() => ledgerReads >= 1);
    const plain = sg.run(WHOLE, {}, AUDITOR);
    release();
    // One run of the log; each head is judged against the ledger that run read (review-final: not a later read).
    for (const a of await Promise.all(junk)) expect(a.data!['verifyAccessLogs'].ok).toBe(false);
    expect((await plain).data!['verifyAccessLogs'].ok).toBe(true);
    // One run for everyone; the heads past the ledger it read (it may have begun before they were
    // recorded) are judged by one more run, begun after they asked, which they share (review-last).
    expect(ledgerReads).toBe(2);
  });
});

describe('audit subgraph: seqs and counts past Int (2^31-1), which a busy gateway\'s chains and log reach', () => {
  const FAR = 3_000_000_000;
  let store: Store;
  let sg: SubgraphRunner;
  beforeAll(async () => {
    store = await createStore('sqlite::memory:');
    const chain = createChain('gw-far:1:abc', { seq: FAR - 1, hash: GENESIS_HASH }, chainKeyOf(hmacKey));
    await store.openChain({ chainId: 'gw-far:1:abc', instanceId: 'gw-far', startedAt: '2025-01-01T00:00:00.000Z', lastSeq: FAR - 1, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
    await store.appendAccessRecords([1, 2, 3].map((i) => chain.append(sampleRecord(i))));
    // A log of more records than Int holds, as its summary and count would say.
    const big = Object.assign(Object.create(store) as Store, {
      summarizeAccessLogs: async () => ({ total: 5_000_000_000, byProduct: [{ key: 'PRD-CERTIFIED', count: 4_000_000_000 }], byDecision: [], byCode: [] }),
      countAccessLogs: async () => 5_000_000_000,
    });
    sg = await startSubgraph(auditSubgraph({ store: big, hmacKey, gatewayJwks: key.publicJwks }));
  });
  afterAll(async () => {
    await sg.stop();
    await store.close();
  });

  it('serves such records as records, verifies a range of them, and gives such counts exactly', async () => {
    const page = await sg.run('{ accessLogs(first: 5) { nodes { seq } totalCount unreadable { seq reason } } }', {}, AUDITOR);
    expect(page.errors).toBeUndefined();
    expect(page.data!['accessLogs']).toEqual({ nodes: [{ seq: FAR + 2 }, { seq: FAR + 1 }, { seq: FAR }], totalCount: 5_000_000_000, unreadable: [] });
    const verified = await sg.run(VERIFY, { chainId: 'gw-far:1:abc', fromSeq: FAR + 1, toSeq: FAR + 2 }, AUDITOR);
    expect(verified.errors).toBeUndefined();
    expect(verified.data!['verifyAccessLog']).toMatchObject({ checked: 2, lastSeq: FAR + 2 });
    const summary = await sg.run(SUMMARY, {}, AUDITOR);
    expect(summary.data!['accessSummary']).toMatchObject({ total: 5_000_000_000, byProduct: [{ key: 'PRD-CERTIFIED', count: 4_000_000_000 }] });
    const chains = await sg.run(CHAINS, {}, AUDITOR);
    expect(chains.data!['accessLogChains']).toEqual([expect.objectContaining({ chainId: 'gw-far:1:abc', lastSeq: FAR + 2 })]);
  });

  it('refuses a seq argument that is not a whole number within 2^53-1 with BAD_USER_INPUT', async () => {
    for (const fromSeq of [2 ** 53, 1.5]) expect(codeOf(await sg.run(VERIFY, { chainId: 'gw-far:1:abc', fromSeq }, AUDITOR))).toBe('BAD_USER_INPUT');
  });
});

describe('audit subgraph over a store that cannot answer now', () => {
  let store: Store;
  let sg: SubgraphRunner;
  beforeAll(async () => {
    store = await createStore('sqlite::memory:');
    await fill(store);
    const down = () => Promise.reject(new StoreUnavailableError('SQLite store unavailable (SQLITE_BUSY)'));
    const failing = Object.assign(Object.create(store) as Store, { queryAccessLogs: down, countAccessLogs: down, summarizeAccessLogs: down, listChains: down, readChain: down, storageProblems: down });
    sg = await startSubgraph(auditSubgraph({ store: failing, hmacKey, gatewayJwks: key.publicJwks }));
  });
  afterAll(async () => {
    await sg.stop();
    await store.close();
  });

  it('refuses every read with AUDIT_UNAVAILABLE (503, retry), not a masked INTERNAL_SERVER_ERROR', async () => {
    for (const [query, variables] of [[LOGS, {}], [SUMMARY, {}], [CHAINS, {}], [VERIFY, { chainId: CHAIN }], ['{ verifyAccessLogs { ok } }', {}]] as const) {
      const r = await sg.run(query, variables, AUDITOR);
      expect({ query, code: codeOf(r), message: r.errors?.[0]?.message }).toEqual({ query, code: 'AUDIT_UNAVAILABLE', message: 'The access log cannot be read now; try again.' });
    }
  });
});

describe('audit subgraph over a SQLite file with rows edited by hand', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dsp-audit-unreadable-'));
  const file = join(dir, 'log.db');
  let store: Store;
  let sg: SubgraphRunner;
  beforeAll(async () => {
    store = await createStore(`sqlite:${file}`);
    await fill(store);
    sg = await startSubgraph(auditSubgraph({ store, hmacKey, gatewayJwks: key.publicJwks }));
  });
  afterAll(async () => {
    await sg.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one chain\'s verification reports the file\'s schema problems (a trigger someone added) and is not ok, though every record verifies', async () => {
    const query = 'query($chainId: ID!) { verifyAccessLog(chainId: $chainId) { ok problems { kind } storageProblems } }';
    const before = await sg.run(query, { chainId: CHAIN }, AUDITOR);
    expect(before.data!['verifyAccessLog']).toEqual({ ok: true, problems: [], storageProblems: [] });
    const raw = new Database(file);
    try {
      raw.exec("CREATE TRIGGER hide_denied AFTER INSERT ON access_staged BEGIN UPDATE access_staged SET decision = 'ALLOWED' WHERE chain_id = new.chain_id AND seq = new.seq; END");
      const after = await sg.run(query, { chainId: CHAIN }, AUDITOR);
      expect(after.data!['verifyAccessLog']).toEqual({ ok: false, problems: [], storageProblems: [expect.stringMatching(/^schema: trigger hide_denied on access_staged is not one the gateway's migrations create/)] });
    } finally {
      raw.exec('DROP TRIGGER IF EXISTS hide_denied');
      raw.close();
    }
  });

  it('one chain\'s verification reports the ledger\'s problems (it says how chains ended) and is not ok, though every record verifies', async () => {
    const query = 'query($chainId: ID!) { verifyAccessLog(chainId: $chainId) { ok problems { kind } ledgerProblems { seq kind } } }';
    expect((await sg.run(query, { chainId: CHAIN }, AUDITOR)).data!['verifyAccessLog']).toEqual({ ok: true, problems: [], ledgerProblems: [] });
    const raw = new Database(file);
    try {
      raw.prepare(`INSERT INTO chain_ledger (seq, kind, chain_id, instance_id, time, hash_alg, ending, prev_hash, hash, signature) VALUES (2, 'CLOSE', ?, 'gw-test', '2025-01-01T00:02:00.000Z', NULL, ?, ?, ?, 'x.y.z')`)
        .run(CHAIN, JSON.stringify({ how: 'SHUTDOWN', lastSeq: N, lastHash: records[N - 1]!.hash, lastCheckpointSeq: N, lastCheckpointN: 0, unsignedRecords: 0 }), 'a'.repeat(64), 'b'.repeat(64));
      const after = await sg.run(query, { chainId: CHAIN }, AUDITOR);
      expect(after.data!['verifyAccessLog']).toEqual({ ok: false, problems: [], ledgerProblems: [{ seq: 2, kind: 'ALTERED' }] });
    } finally {
      raw.exec('DELETE FROM chain_ledger WHERE seq = 2');
      raw.close();
    }
  });

  it('lists at most 1,000 ledger problems and counts the rest, in both verifications (hand-made ledger rows can be numberless)', async () => {
    const one = 'query($chainId: ID!) { verifyAccessLog(chainId: $chainId) { ok ledgerProblems { seq } ledgerProblemsOmitted } }';
    const all = '{ verifyAccessLogs { ok ledger { problems { seq } omitted } } }';
    expect((await sg.run(one, { chainId: CHAIN }, AUDITOR)).data!['verifyAccessLog']).toEqual({ ok: true, ledgerProblems: [], ledgerProblemsOmitted: 0 });
    const raw = new Database(file);
    try {
      // 1,500 unsigned rows at seqs 2, 4, 6, …: each an ALTERED entry and each gap before it MISSING.
      const forge = raw.prepare(`INSERT INTO chain_ledger (seq, kind, chain_id, instance_id, time, hash_alg, ending, prev_hash, hash, signature) VALUES (?, 'OPEN', ?, 'gw-x', '2025-01-01T00:02:00.000Z', 'hmac-sha256', NULL, ?, ?, 'x.y.z')`);
      raw.transaction(() => {
        for (let i = 1; i <= 750; i++) forge.run(2 * i + 1, `gw-x:${i}:abc`, 'a'.repeat(64), 'b'.repeat(64));
      })();
      const chain = (await sg.run(one, { chainId: CHAIN }, AUDITOR)).data!['verifyAccessLog'] as { ok: boolean; ledgerProblems: unknown[]; ledgerProblemsOmitted: number };
      expect({ ok: chain.ok, listed: chain.ledgerProblems.length, omitted: chain.ledgerProblemsOmitted }).toEqual({ ok: false, listed: 1000, omitted: 500 });
      const whole = (await sg.run(all, {}, AUDITOR)).data!['verifyAccessLogs'] as { ok: boolean; ledger: { problems: Array<{ seq: number }>; omitted: number } };
      expect({ ok: whole.ok, listed: whole.ledger.problems.length, omitted: whole.ledger.omitted, first: whole.ledger.problems[0]!.seq }).toEqual({ ok: false, listed: 1000, omitted: 500, first: 2 });
    } finally {
      raw.exec('DELETE FROM chain_ledger WHERE seq > 1');
      raw.close();
    }
  });

  it('one chain\'s verification takes a trusted ledger head, and reports chains with records the ledger does not name (the ledger\'s tail cut, a CLOSE with it)', async () => {
    const query = 'query($chainId: ID!, $seq: SafeInt, $hash: String) { verifyAccessLog(chainId: $chainId, trustedLedgerSeq: $seq, trustedLedgerHash: $hash) { ok problems { kind } ledgerProblems { seq kind detail } } }';
    const cut = await sg.run(query, { chainId: CHAIN, seq: 5, hash: 'a'.repeat(64) }, AUDITOR);
    expect(cut.data!['verifyAccessLog']).toEqual({ ok: false, problems: [], ledgerProblems: [{ seq: 5, kind: 'MISSING', detail: expect.stringMatching(/no longer reaches seq 5/) }] });
    expect(codeOf(await sg.run(query, { chainId: CHAIN, seq: 5 }, AUDITOR))).toBe('BAD_USER_INPUT');
    const other = createChain('gw-unnamed:1:abc', undefined, chainKeyOf(hmacKey));
    await store.openChain({ chainId: 'gw-unnamed:1:abc', instanceId: 'gw-unnamed', startedAt: '2025-01-01T00:00:00.000Z', lastSeq: 0, lastHash: GENESIS_HASH, updatedAt: '2025-01-01T00:00:00.000Z' });
    await store.appendAccessRecords([other.append(sampleRecord(1))]);
    try {
      const unnamed = await sg.run(query, { chainId: CHAIN }, AUDITOR);
      expect(unnamed.data!['verifyAccessLog']).toEqual({ ok: false, problems: [], ledgerProblems: [{ seq: 2, kind: 'MISSING', detail: expect.stringMatching(/^chain gw-unnamed:1:abc holds records but no intact ledger entry names it/) }] });
    } finally {
      const raw = new Database(file);
      raw.pragma('foreign_keys = ON');
      raw.prepare("DELETE FROM access_records WHERE chain_id = 'gw-unnamed:1:abc'").run();
      raw.prepare("DELETE FROM chain_heads WHERE chain_id = 'gw-unnamed:1:abc'").run();
      raw.close();
    }
    expect((await sg.run(query, { chainId: CHAIN }, AUDITOR)).data!['verifyAccessLog']).toEqual({ ok: true, problems: [], ledgerProblems: [] });
  });

  it('lists a row that cannot be shown as an AccessRecord apart, with why, and still serves the rest of the page', async () => {
    const raw = new Database(file);
    try {
      const edit = (seq: number, sql: string) => expect(raw.prepare(`UPDATE access_records SET record = ${sql} WHERE chain_id = ? AND seq = ?`).run(CHAIN, seq).changes).toBe(1);
      edit(3, "'not json'");
      edit(5, `replace(record, '"seq":5,', '"seq":"x",')`);
      edit(7, `replace(record, '"decision":"ALLOWED"', '"decision":"\\u001b[2KHACKED"')`);
      edit(9, "'null'");
    } finally {
      raw.close();
    }
    const r = await sg.run(`query { accessLogs(first: 50) { nodes { seq decision } edges { node { seq } } unreadable { chainId seq reason } } }`, {}, AUDITOR);
    expect(r.errors).toBeUndefined();
    const conn = r.data!['accessLogs'];
    expect(conn.nodes.map((n: { seq: number }) => n.seq)).toEqual([12, 11, 10, 8, 6, 4, 2, 1]);
    expect(conn.edges).toHaveLength(8);
    const unreadable = [...conn.unreadable].sort((a: { reason: string; seq: number }, b: { reason: string; seq: number }) => a.reason.localeCompare(b.reason) || a.seq - b.seq);
    expect(unreadable).toEqual([
      // The control character a forger put in is shown escaped.
      { chainId: CHAIN, seq: 7, reason: expect.stringMatching(/^the stored record does not fit AccessRecord \(decision: .*\\u001b\[2KHACKED/) },
      { chainId: CHAIN, seq: null, reason: 'the stored record does not fit AccessRecord (seq: SafeInt cannot represent non-integer value: x)' },
      { chainId: CHAIN, seq: 3, reason: 'the stored record text is not a JSON object' },
      { chainId: CHAIN, seq: 9, reason: 'the stored record text is not a JSON object' },
    ]);
    expect(conn.unreadable.every((u: { reason: string }) => !/[\u0000-\u001f]/.test(u.reason))).toBe(true);
  });
  it('lists chains and summarises with a label where a text column holds a blob (a row edited by hand), instead of failing', async () => {
    const raw = new Database(file);
    try {
      raw.prepare("UPDATE chain_heads SET instance_id = X'00ff' WHERE chain_id = ?").run(CHAIN);
      raw.prepare("UPDATE access_records SET decision = X'00ff' WHERE chain_id = ? AND seq = 1").run(CHAIN);
      const chains = await sg.run(CHAINS, {}, AUDITOR);
      expect(chains.errors).toBeUndefined();
      expect(chains.data!['accessLogChains']).toEqual([expect.objectContaining({ chainId: CHAIN, instanceId: '[blob 00ff]' })]);
      const summary = await sg.run(SUMMARY, {}, AUDITOR);
      expect(summary.errors).toBeUndefined();
      expect(summary.data!['accessSummary'].byDecision).toContainEqual({ key: '[blob 00ff]', count: 1 });
    } finally {
      raw.prepare("UPDATE chain_heads SET instance_id = 'gw-test' WHERE chain_id = ?").run(CHAIN);
      raw.prepare("UPDATE access_records SET decision = 'ALLOWED' WHERE chain_id = ? AND seq = 1").run(CHAIN);
      raw.close();
    }
  });
});

describe('schema/audit.graphql coverage', () => {
  const doc = parse(readFileSync(`${SCHEMA_DIR}audit.graphql`, 'utf8'));
  const objects = doc.definitions.filter((d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION);
  const guarded = (directives: ObjectTypeDefinitionNode['directives']) => {
    const names = (directives ?? []).map((d) => d.name.value);
    const role = (directives ?? []).find((d) => d.name.value === 'requiresRole')?.arguments?.[0]?.value;
    return names.includes('requiresMfa') && role?.kind === Kind.STRING && role.value === 'ato:auditor';
  };

  it('guards every root field with the auditor role and MFA', () => {
    const query = objects.find((o) => o.name.value === 'Query')!;
    expect(query.fields?.length).toBe(5);
    for (const field of query.fields ?? []) expect([field.name.value, guarded(field.directives)]).toEqual([field.name.value, true]);
  });

  it('guards every other object type at type level', () => {
    for (const type of objects.filter((o) => o.name.value !== 'Query')) expect([type.name.value, guarded(type.directives)]).toEqual([type.name.value, true]);
  });
});
