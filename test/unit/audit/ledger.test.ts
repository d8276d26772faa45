import { beforeAll, describe, expect, it } from '@jest/globals';
import { endingOf, nextLedgerBody, readLedger, sealLedgerEntry } from '../../../audit/ledger.js';
import type { LedgerEntry } from '../../../audit/record.js';
import type { SigningKey } from '../../../core/keys.js';
import { testSigningKey } from './fixtures.js';

let key: SigningKey;
let entries: LedgerEntry[];

beforeAll(async () => {
  key = await testSigningKey();
  entries = [];
  const add = async (entry: Parameters<typeof nextLedgerBody>[1]) => entries.push(await sealLedgerEntry(key, nextLedgerBody(entries.at(-1) ?? null, entry)));
  await add({ kind: 'OPEN', chainId: 'a', instanceId: 'gw1', time: '2026-01-01T00:00:00.000Z', hashAlg: 'hmac-sha256', ending: null });
  await add({ kind: 'OPEN', chainId: 'b', instanceId: 'gw2', time: '2026-01-01T00:00:01.000Z', hashAlg: 'hmac-sha256', ending: null });
  await add({ kind: 'CLOSE', chainId: 'a', instanceId: 'gw1', time: '2026-01-01T00:00:02.000Z', hashAlg: null, ending: endingOf('SHUTDOWN', { lastSeq: 9, lastHash: 'f'.repeat(64) }, [{ seq: 9, n: 4 }]) });
});

const kinds = (r: Awaited<ReturnType<typeof readLedger>>) => r.problems.map((p) => `${p.kind}@${p.seq}`);

describe('chain ledger', () => {
  it('reads an intact ledger clean, with every chain and how it ended', async () => {
    const r = await readLedger(entries, key.publicJwks);
    expect(kinds(r)).toEqual([]);
    expect(r.head).toEqual({ seq: 3, hash: entries[2]!.hash });
    expect(r.chains.get('a')?.closed?.ending).toEqual({ how: 'SHUTDOWN', lastSeq: 9, lastHash: 'f'.repeat(64), lastCheckpointSeq: 9, lastCheckpointN: 4, unsignedRecords: 0 });
    expect(r.chains.get('b')?.closed).toBeNull();
  });

  it('reports an entry edited in place (its hash or signature no longer matches), and does not use it', async () => {
    const edited = entries.map((e, i) => (i === 2 ? { ...e, ending: { ...e.ending!, lastSeq: 5 } } : e));
    const r = await readLedger(edited, key.publicJwks);
    expect(kinds(r)).toEqual(['ALTERED@3']);
    expect(r.chains.get('a')?.closed).toBeNull();
  });

  it('reports a deleted entry as MISSING and the next one as no longer linked', async () => {
    const r = await readLedger([entries[0]!, entries[2]!], key.publicJwks);
    expect(kinds(r)).toEqual(['MISSING@2', 'ALTERED@3']);
  });

  it('reports a gap of any length as one problem, and a seq no entry can have as ALTERED (a forged row at 2^53 - 1 once listed every seq before it)', async () => {
    const far = { ...entries[2]!, seq: Number.MAX_SAFE_INTEGER };
    const r = await readLedger([entries[0]!, entries[1]!, far, { ...entries[2]!, seq: 2.5 }], key.publicJwks);
    expect(kinds(r)).toEqual(['ALTERED@3', 'MISSING@3', 'ALTERED@9007199254740991']);
    expect(r.problems[1]!.detail).toBe(`no ledger entry is stored at seq 3–${Number.MAX_SAFE_INTEGER - 1}`);
    expect(r.problems[0]!.detail).toMatch(/stored at seq 2\.5, which no entry can have/);
  });

  it('reports an instance that opened a new chain while its earlier one was never closed (the CLOSE a restart writes is missing)', async () => {
    const more = [...entries];
    const add = async (entry: Parameters<typeof nextLedgerBody>[1]) => more.push(await sealLedgerEntry(key, nextLedgerBody(more.at(-1) ?? null, entry)));
    await add({ kind: 'OPEN', chainId: 'c', instanceId: 'gw2', time: '2026-01-01T00:00:03.000Z', hashAlg: 'hmac-sha256', ending: null });
    const r = await readLedger(more, key.publicJwks);
    expect(kinds(r)).toEqual(['MISSING@4']);
    expect(r.problems[0]!.detail).toMatch(/instance gw2 opened chain c at ledger seq 4 while its chain b \(opened at seq 2\) was never closed/);
    // gw1 closed chain a before: a new chain of gw1 is no problem.
    await add({ kind: 'OPEN', chainId: 'd', instanceId: 'gw1', time: '2026-01-01T00:00:04.000Z', hashAlg: 'hmac-sha256', ending: null });
    expect(kinds(await readLedger(more, key.publicJwks))).toEqual(['MISSING@4']);
  });

  it('reports an entry re-signed by another key', async () => {
    const other = await testSigningKey();
    const forged = await sealLedgerEntry(other, nextLedgerBody(entries[2]!, { kind: 'OPEN', chainId: 'c', instanceId: 'x', time: '2026-01-01T00:00:03.000Z', hashAlg: 'hmac-sha256', ending: null }));
    const r = await readLedger([...entries, forged], key.publicJwks);
    expect(kinds(r)).toEqual(['ALTERED@4']);
    expect(r.chains.has('c')).toBe(false);
  });

  it('computes how a chain ended from its head and checkpoints', () => {
    expect(endingOf('CRASH', { lastSeq: 57, lastHash: 'a'.repeat(64) }, [{ seq: 0, n: 1 }, { seq: 40, n: 2 }, { seq: 50, n: 3 }])).toEqual({ how: 'CRASH', lastSeq: 57, lastHash: 'a'.repeat(64), lastCheckpointSeq: 50, lastCheckpointN: 3, unsignedRecords: 7 });
  });
});
