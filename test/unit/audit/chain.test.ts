import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { CanonicalJsonError, canonicalJson } from '../../../audit/canonical-json.js';
import { canonicalRecordJson, chainableFacts, chainBatch, chainPrepared, computeRecordHash, createChain, HASHED_FIELDS, normalizeForHash, OPTIONAL_HASHED_FIELDS, PREPARED_COLUMNS, prepareRecord } from '../../../audit/chain.js';
import { GENESIS_HASH, indexedColumnsOf, type ChainedAccessRecord } from '../../../audit/record.js';
import { preparedBatch, roundTrip, sampleChain, sampleRecord } from './fixtures.js';

describe('createChain', () => {
  it('assigns gap-free seqs from 1 and links each record to the previous hash', () => {
    const records = sampleChain(5);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < records.length; i++) expect(records[i]!.prevHash).toBe(records[i - 1]!.hash);
  });

  it('hashes every record so that the stored hash can be recomputed', () => {
    for (const r of sampleChain(3)) {
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(computeRecordHash(r)).toBe(r.hash);
    }
  });

  it('continues from a given head', () => {
    const first = sampleChain(2);
    const chain = createChain('chain-test', { seq: 2, hash: first[1]!.hash });
    const third = chain.append(sampleRecord(3));
    expect(third.seq).toBe(3);
    expect(third.prevHash).toBe(first[1]!.hash);
    expect(chain.head()).toEqual({ seq: 3, hash: third.hash });
  });

  it('copies the record, so later changes by the caller do not touch the chained one', () => {
    const input = sampleRecord(1);
    const chained = createChain('c').append(input);
    input.coordinates.push('Client.tfnMasked');
    input.operationName = 'Other';
    expect(computeRecordHash(chained)).toBe(chained.hash);
  });
});

describe('computeRecordHash', () => {
  const [record] = sampleChain(1);

  it.each(HASHED_FIELDS.map((f) => [f]))('changes when %s changes', (field) => {
    const altered = { ...record!, [field]: field === 'seq' || field === 'httpStatus' || field === 'latencyMs' ? 999 : field === 'roles' || field === 'coordinates' || field === 'services' || field === 'clientDigests' || field === 'errorCodes' || field === 'subgraphs' ? ['x'] : field === 'reasons' ? [{ code: 'X', coordinate: null }] : 'changed' };
    expect(computeRecordHash(altered)).not.toBe(record!.hash);
  });

  it('hashes an optional field (traceId) only when present: a record without one hashes as before the field existed', () => {
    const withTrace = { ...record!, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' };
    expect(computeRecordHash(withTrace)).not.toBe(record!.hash);
    expect(computeRecordHash({ ...record!, traceId: undefined })).toBe(record!.hash);
    expect(canonicalRecordJson(normalizeForHash(record!))).not.toContain('traceId');
    expect(canonicalRecordJson(normalizeForHash(withTrace))).toBe(canonicalJson(normalizeForHash(withTrace)));
  });

  it('ignores the hash field itself and fields a store adds', () => {
    expect(computeRecordHash({ ...record!, hash: 'x', _id: 'row-1' } as never)).toBe(record!.hash);
  });

  it('survives a JSON round trip and undefined-for-null from a store', () => {
    const stored = roundTrip(record!) as unknown as Record<string, unknown>;
    stored.productVersion = undefined;
    const withNull = { ...record!, productVersion: null };
    expect(computeRecordHash(stored as never)).toBe(computeRecordHash(withNull));
  });

  it('treats a reason without coordinate like one with coordinate null', () => {
    const a = createChain('c').append(sampleRecord(1, { reasons: [{ code: 'RATE_LIMITED' }] }));
    const b = createChain('c').append(sampleRecord(1, { reasons: [{ code: 'RATE_LIMITED', coordinate: null }] }));
    expect(a.hash).toBe(b.hash);
  });

  it('depends on the chain id', () => {
    expect(createChain('a').append(sampleRecord(1)).hash).not.toBe(createChain('b').append(sampleRecord(1)).hash);
  });
});

describe('canonicalRecordJson', () => {
  it.each([
    ['a plain record', sampleRecord(1)],
    ['nulls and empty lists', sampleRecord(2, { productId: null, sub: null, roles: [], reasons: [], clientDigests: [], userAgent: null })],
    ['unicode, quotes and control characters', sampleRecord(3, { userAgent: 'a"b\\c\u0001 é 😀', operationName: '\u2028x' })],
    ['reasons with and without coordinates', sampleRecord(4, { reasons: [{ code: 'A' }, { code: 'B', coordinate: 'Query.x' }] })],
    ['odd numbers', sampleRecord(5, { latencyMs: 0.1 + 0.2, httpStatus: -0 })],
    ['a list holding a non-string', sampleRecord(6, { roles: [1 as unknown as string, 'x'] })],
  ])('writes exactly what canonicalJson writes (%s)', (_name, record) => {
    const normalized = normalizeForHash({ ...record, chainId: 'c', seq: 1, prevHash: 'p' });
    expect(canonicalRecordJson(normalized)).toBe(canonicalJson(normalized));
  });

  it('refuses a non-finite number', () => {
    expect(() => computeRecordHash({ ...sampleRecord(1), latencyMs: Number.NaN, chainId: 'c', seq: 1, prevHash: 'p' })).toThrow();
  });
});

describe('normalizeForHash', () => {
  it('lays the record out in HASHED_FIELDS order, then the optional fields present (the stores keep this JSON)', () => {
    // Every optional field set (a value of any shape: the layout is the point), whatever the list holds.
    const optional = Object.fromEntries(OPTIONAL_HASHED_FIELDS.map((f) => [f, `value of ${f}`]));
    const full = normalizeForHash({ ...sampleRecord(1), chainId: 'c', seq: 1, prevHash: 'p', ...optional } as never);
    expect(Object.keys(full)).toEqual([...HASHED_FIELDS, ...OPTIONAL_HASHED_FIELDS]);
    expect(Object.keys(normalizeForHash({ ...sampleRecord(1), chainId: 'c', seq: 1, prevHash: 'p' }))).toEqual([...HASHED_FIELDS]);
  });
});

describe('chainBatch (the writer path: records as JSON text, chained where they are committed)', () => {
  const key = Buffer.alloc(32, 9);
  const records = [
    sampleRecord(1),
    sampleRecord(2, { reasons: [{ code: 'A' }, { code: 'B', coordinate: 'Query.x' }], userAgent: 'a"b\\c\u0001 é 😀' }),
    sampleRecord(3, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', changes: [{ coordinate: 'Mutation.x', reason: 'r', ticket: 'T-1' }] as never }),
  ];

  it('gives exactly the records createChain gives, byte for byte as stored', () => {
    const chain = createChain('c', { seq: 7, hash: 'h7' }, key);
    const direct = records.map((r) => chain.append(r));
    const batched = chainBatch({ chainId: 'c', head: { seq: 7, hash: 'h7' }, key, records: records.map(chainableFacts) });
    expect(batched.map((r) => JSON.stringify(r))).toEqual(direct.map((r) => JSON.stringify(r)));
    expect(batched.map((r) => r.seq)).toEqual([8, 9, 10]);
    expect(batched[0]!.prevHash).toBe('h7');
    expect(batched[1]!.prevHash).toBe(batched[0]!.hash);
    expect(batched.every((r) => computeRecordHash(r, key) === r.hash)).toBe(true);
  });

  it('chains the same batch the same way every time (a retry writes the same records)', () => {
    const batch = { chainId: 'c', head: { seq: 0, hash: GENESIS_HASH }, key, records: records.map(chainableFacts) };
    expect(chainBatch(batch)).toEqual(chainBatch(batch));
  });

  it.each([
    ['a non-finite latency', { latencyMs: Number.NaN }],
    ['an infinite status', { httpStatus: Number.POSITIVE_INFINITY }],
    ['a list that is not one', { roles: 'ADMIN' as unknown as string[] }],
    ['a list holding a non-string', { errorCodes: [1 as unknown as string] }],
    ['a reason that is not an object', { reasons: [null as never] }],
    ['a non-finite number in an optional field', { changes: [{ coordinate: 'x', reason: 'r', ticket: 't', n: Number.NaN }] as never }],
  ])('refuses to serialise a record JSON would not carry faithfully (%s)', (_name, overrides) => {
    expect(() => chainableFacts(sampleRecord(1, overrides))).toThrow(CanonicalJsonError);
  });
});

describe('the stored format does not move', () => {
  // Hashes and stored JSON computed by the writer before issue 18 moved chaining to the write
  // thread: records written before and after must verify alike.
  const key = Buffer.alloc(32, 9);
  const records = [
    sampleRecord(5),
    sampleRecord(6, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', changes: [{ coordinate: 'Mutation.x', reason: 'r', ticket: null }], manifest: { mode: 'ENFORCE', version: 3, entry: null }, userAgent: 'é"😀\u2028' }),
  ];
  const STORED_DIGEST = '66e35ed7d3b288a9db5b0394179b04c15acbc04b24566c67b351ea7515423741';

  it.each([
    ['createChain', () => ((chain) => records.map((r) => chain.append(r)))(createChain('golden', undefined, key))],
    ['chainBatch', () => chainBatch({ chainId: 'golden', head: { seq: 0, hash: GENESIS_HASH }, key, records: records.map(chainableFacts) })],
  ])('%s gives the same hashes and stored JSON as before', (_name, chained) => {
    const out = chained();
    expect(out.map((r) => r.hash)).toEqual(['f243acfcab7984756a1586af8bdf81a75487c692f1e917e89efec828456c0307', '09f67531c53bfbaa827f0a60d44d210c5f52ce7bcc4e6f7745b6b0443b668e18']);
    expect(createHash('sha256').update(out.map((r) => JSON.stringify(r)).join('\n')).digest('hex')).toBe(STORED_DIGEST);
  });
});

describe('prepareRecord and chainPrepared (the writer path: canonical text made once, chained without parsing)', () => {
  const key = Buffer.alloc(32, 9);
  const shapes = [
    sampleRecord(1),
    sampleRecord(5),
    sampleRecord(2, { reasons: [{ code: 'A' }, { code: 'B', coordinate: 'Query.x' }], userAgent: 'a"b\\c\u0001 é 😀 ,"prevHash":""', productId: undefined as never }),
    sampleRecord(3, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', changes: [{ coordinate: 'Mutation.x', reason: 'r', ticket: 'T-1' }, { coordinate: 'Mutation.y', reason: null, ticket: null }] }),
    sampleRecord(4, { manifest: { mode: 'ENFORCE', version: 3, entry: null }, dpopJkt: 'jkt', errorCodes: ['B', 'A', 'B'], clientDigests: ['z', 'y'] }),
    sampleRecord(10, { issuer: 'https://staff-idp.example', dpopJkt: 'jkt' }),
    sampleRecord(6, { manifest: { mode: 'LOG', version: null, entry: 'op' }, changes: [] }),
    // Shapes the fast layout does not take: canonicalRecordJson writes them.
    sampleRecord(7, { manifest: { mode: 'LOG', version: 1, entry: 'op', extra: { b: 1, a: [2] } } as never }),
    sampleRecord(8, { changes: [{ ticket: 'T', coordinate: 'Mutation.z', reason: 'r', note: 'x' }] as never, reasons: [{ code: 'C', coordinate: 'Q.x', more: 1 } as never] }),
    sampleRecord(9, { userAgent: { toJSON: () => 'ua' } as never }),
    // An issuer that is not a string (never the gateway's) takes canonicalRecordJson too: its keys are sorted there, not by JSON.stringify.
    sampleRecord(11, { issuer: { b: 1, a: [2] } as never }),
  ];

  it('lays each record out exactly as canonicalRecordJson does, with prevHash empty where the cut is', () => {
    shapes.forEach((record, i) => {
      const { text, cut } = prepareRecord(record, 'chain-p', i + 1);
      const canonical = canonicalRecordJson(normalizeForHash({ ...record, chainId: 'chain-p', seq: i + 1, prevHash: 'PREV' }));
      expect(text.slice(0, cut) + 'PREV' + text.slice(cut)).toBe(canonical);
    });
  });

  it('chains to the same hashes as chainBatch, and what is stored verifies and reads back as the same record', () => {
    const prepared = shapes.map((r, i) => prepareRecord(r, 'chain-p', 8 + i));
    const batch = preparedBatch('chain-p', { seq: 7, hash: 'h7' }, key, prepared);
    const { stored, hashes } = chainPrepared(batch);
    const classic = chainBatch({ chainId: 'chain-p', head: { seq: 7, hash: 'h7' }, key, records: shapes.map(chainableFacts) });
    expect(hashes).toEqual(classic.map((r) => r.hash));
    const read = stored.map((t) => JSON.parse(t) as ChainedAccessRecord);
    expect(read).toEqual(classic.map((r) => JSON.parse(JSON.stringify(r)) as unknown));
    expect(read.every((r) => computeRecordHash(r, key) === r.hash)).toBe(true);
    expect(chainBatch(batch)).toEqual(read);
  });

  it('gives the indexed values the verifier recomputes (indexedColumnsOf)', () => {
    const record = shapes[4]!;
    const { columns } = prepareRecord(record, 'chain-p', 1);
    const expected = indexedColumnsOf({ ...record, chainId: 'chain-p', seq: 1, prevHash: 'p', hash: 'h' });
    const byName = Object.fromEntries(PREPARED_COLUMNS.map((name, i) => [name, columns[i]]));
    expect(byName).toEqual({ seq: 1, id: record.id, timeMs: expected.timeMs, productId: expected.productId, developerId: expected.developerId, org: expected.org, decision: expected.decision, operationName: expected.operationName, errorCodes: expected.errorCodes, clientDigests: expected.clientDigests });
  });

  it('indexes a list as its distinct values, sorted, in an array of its own (none, one and several)', () => {
    const one = ['Z'];
    const several = ['b', 'a', 'b', 'C'];
    const at = (errorCodes: string[], clientDigests: string[]) => indexedColumnsOf({ ...shapes[4]!, errorCodes, clientDigests, chainId: 'c', seq: 1, prevHash: 'p', hash: 'h' });
    expect(at([], several)).toMatchObject({ errorCodes: [], clientDigests: ['C', 'a', 'b'] });
    const single = at(one, []);
    expect(single).toMatchObject({ errorCodes: ['Z'], clientDigests: [] });
    // The store's copy is not the record's list: a later edit of one does not change the other.
    expect(single.errorCodes).not.toBe(one);
    expect(several).toEqual(['b', 'a', 'b', 'C']);
  });

  it('makes every string well-formed before it is hashed: a lone surrogate becomes U+FFFD, as the stores would keep it', () => {
    const odd = (extra: object) => sampleRecord(1, {
      sub: 's\ud800', errorCodes: ['\udfff', 'OK'], clientDigests: ['d\ud83d'], reasons: [{ code: 'R\udc00', coordinate: 'Q.\ud800' }],
      changes: [{ coordinate: 'M.x', reason: '\ud800', ticket: null }], traceId: 't\udbff', dpopJkt: 'j\ud800', issuer: 'i\udc00', ...extra,
    });
    const deep = { mode: 'LOG', version: 1, entry: 'e\ud800', extra: { 'k\udc00': ['v\ud800', { w: 'x\udfff' }] } };
    for (const record of [odd({ manifest: { mode: 'LOG', version: 1, entry: 'e\ud800' } }), odd({ manifest: deep as never })]) {
      const { text, columns } = prepareRecord(record, 'chain-p', 1);
      expect(text).not.toMatch(/\\ud[89a-f]/i);
      const parsed = JSON.parse(text) as ChainedAccessRecord;
      expect(parsed).toMatchObject({ sub: 's\ufffd', errorCodes: ['\ufffd', 'OK'], clientDigests: ['d\ufffd'], reasons: [{ code: 'R\ufffd', coordinate: 'Q.\ufffd' }], changes: [{ reason: '\ufffd' }], traceId: 't\ufffd', dpopJkt: 'j\ufffd', issuer: 'i\ufffd', manifest: { entry: 'e\ufffd' } });
      const expected = indexedColumnsOf({ ...parsed, seq: 1 });
      expect(columns.slice(PREPARED_COLUMNS.indexOf('errorCodes'))).toEqual([expected.errorCodes, expected.clientDigests]);
      expect(chainableFacts(odd({}))).not.toMatch(/\\ud[89a-f]/i);
    }
  });

  it('refuses a batch whose records were prepared for another seq or chain', () => {
    const p = prepareRecord(sampleRecord(1), 'chain-p', 2);
    const batch = (chainId: string, seq: number) => ({ chainId, head: { seq, hash: GENESIS_HASH }, key, records: [p.text], prepared: { cuts: [p.cut], columns: p.columns } });
    expect(() => chainPrepared(batch('chain-p', 1))).not.toThrow();
    expect(() => chainPrepared(batch('chain-p', 0))).toThrow();
    expect(() => chainPrepared(batch('chain-q', 1))).toThrow();
  });

  it.each([
    ['a non-finite latency', { latencyMs: Number.NaN }],
    ['a list holding a non-string', { errorCodes: [1 as unknown as string] }],
    ['a time that is not one', { time: 'yesterday' }],
    ['no decision', { decision: undefined as never }],
    ['a frozen list holding a lone surrogate (it cannot be mended in place)', { errorCodes: Object.freeze(['E\uD800']) as string[] }],
    ['a frozen reason holding a lone surrogate', { reasons: [Object.freeze({ code: 'C\uDC00' })] as never }],
    ['two manifest keys that become one (a lone surrogate and U+FFFD)', { manifest: { mode: 'ENFORCE', version: 1, entry: 'E', x: { 'a\uFFFD': 'kept', 'a\uD800': 'would overwrite it' } } as never }],
  ])('refuses a record it could not hash or store (%s)', (_name, overrides) => {
    expect(() => prepareRecord(sampleRecord(1, overrides), 'c', 1)).toThrow(CanonicalJsonError);
  });
});
