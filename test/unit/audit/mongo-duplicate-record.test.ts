/**
 * Review: on MongoDB (a time-series collection, which can hold no unique index on chainId + seq)
 * someone with write access inserts an exact copy of a genuine record's document. readChain
 * returns the copy once and its filter fields equal the original's, so verification passes; the
 * auditors' count, summary and pages count every document, so the access appears twice.
 * Mongoose's Query#exec answers from an in-memory stand-in (as access-log-store.test.ts does).
 */
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import mongoose, { type Query } from 'mongoose';
import { chainKeyOf, createChain } from '../../../audit/chain.js';
import { verifyChain } from '../../../audit/verifier.js';
import { MongoAccessLog, matchOf } from '../../../store/mongo/access-log-store.js';
import { recordToDocument } from '../../../store/mongo/documents.js';
import { registerModels } from '../../../store/mongo/models/index.js';
import { sampleRecord, testSigningKey } from './fixtures.js';

type Doc = Record<string, unknown>;
const models = registerModels(new mongoose.Mongoose());
const KEY = chainKeyOf(Buffer.alloc(32, 3));

afterEach(() => {
  jest.restoreAllMocks();
});

/** The stand-in: finds by chainId and seq (number or range), counts by the developerId criterion alone. */
function serve(docs: Doc[]): void {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  jest.spyOn(mongoose.Query.prototype, 'exec').mockImplementation(async function (this: Query<any, any>) {
    const op = (this as unknown as { op?: string }).op;
    const filter = this.getFilter() as Doc;
    if (this.model.modelName === 'AccessRecord' && op === 'find') {
      const want = filter.seq as { $gte: number; $lte: number };
      return docs.filter((d) => d.chainId === filter.chainId && (d.seq as number) >= want.$gte && (d.seq as number) <= want.$lte).sort((a, b) => (a.seq as number) - (b.seq as number));
    }
    if (this.model.modelName === 'AccessRecord' && op === 'countDocuments') return docs.filter((d) => filter.developerId === undefined || d.developerId === filter.developerId).length;
    throw new Error(`unexpected ${this.model.modelName}.${op}`);
  });
}

describe('an exact copy of a record on MongoDB', () => {
  it('is reported by verification, since every count and page of the auditors\' API lists it', async () => {
    const jwks = (await testSigningKey()).publicJwks;
    const chain = createChain('c1', undefined, KEY);
    const records = [1, 2, 3].map((i) => chain.append(sampleRecord(i, { developerId: i === 2 ? 'DEV-WATCHED' : 'DEV-GOOD' })));
    const docs = records.map((r) => ({ _id: new mongoose.Types.ObjectId(), ...recordToDocument(r) }));
    // The attacker's copy of record 2: every field the same, a new _id.
    docs.push({ ...docs[1]!, _id: new mongoose.Types.ObjectId() });
    serve(docs);
    const log = new MongoAccessLog(models);
    const read = await log.readChain('c1', 1, 3);
    const indexed = await log.indexedColumnsOf('c1', 1, 3);
    const report = await verifyChain(read, [], jwks, { chainId: 'c1', key: KEY, indexed });
    const watched = await log.countAccessLogs({ developerId: 'DEV-WATCHED' } as never);
    expect(matchOf({ developerId: 'DEV-WATCHED' } as never)).toEqual({ developerId: 'DEV-WATCHED' });
    // What the auditor sees: DEV-WATCHED made 2 accesses; the record says 1.
    expect(watched).toBe(2);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => `${p.kind}@${p.seq}`)).toEqual(['DUPLICATED@2']);
  });
});
