/**
 * The Mongo access log's append and chain reads without a server: mongoose's Query#exec answers
 * from an in-memory stand-in that holds two views of the collection, what the primary has
 * (read concern local) and what a majority has (read concern majority), and Model.insertMany is
 * recorded. This is the state a write leaves when it timed out waiting for a majority (wtimeoutMS):
 * MongoDB does not undo it on the primary, and a majority does not have it yet.
 */
import { jest } from '@jest/globals';
import mongoose, { type Query } from 'mongoose';
import type { ChainedAccessRecord } from '../../../../audit/record.js';
import { MongoAccessLog } from '../../../../store/mongo/access-log-store.js';
import { registerModels, type Models } from '../../../../store/mongo/models/index.js';
import { StoreUnavailableError } from '../../../../store/port.js';
import { sampleRecord } from '../../../contract/samples.js';

type Doc = Record<string, unknown>;

const models: Models = registerModels(new mongoose.Mongoose());

interface Sent {
  model: string;
  op: string | undefined;
  filter: Doc;
  options: Doc;
}

/** Seqs stored for chain `c1` as the primary sees them and as a majority does. */
interface Views {
  local: Doc[];
  majority: Doc[];
}

/** Whether a stored document matches a filter's chainId and seq (a number, or a range with $gte/$gt and $lte). */
const seqIn = (filter: Doc, doc: Doc): boolean => {
  const seq = doc.seq as number;
  const want = filter.seq as number | { $gte?: number; $gt?: number; $lte: number };
  const inRange =
    typeof want === 'number' ? seq === want : (want.$gte === undefined || seq >= want.$gte) && (want.$gt === undefined || seq > want.$gt) && seq <= want.$lte;
  return doc.chainId === filter.chainId && inRange;
};

function fakeServer(views: Views) {
  const sent: Sent[] = [];
  const inserted: Doc[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const exec = jest.spyOn(mongoose.Query.prototype, 'exec').mockImplementation(async function (this: Query<any, any>) {
    const q: Sent = { model: this.model.modelName, op: (this as unknown as { op?: string }).op, filter: this.getFilter(), options: this.getOptions() as Doc };
    sent.push(q);
    if (q.model === 'AccessRecord' && q.op === 'find') {
      const level = (q.options.readConcern as { level?: string } | undefined)?.level ?? 'local';
      const docs = (level === 'majority' ? views.majority : views.local).filter((d) => seqIn(q.filter, d));
      docs.sort((a, b) => (a.seq as number) - (b.seq as number));
      const limit = q.options.limit as number | undefined;
      return limit ? docs.slice(0, limit) : docs;
    }
    if (q.op === 'updateOne') return { matchedCount: 1, modifiedCount: 1 };
    throw new Error(`unexpected ${q.model}.${q.op}`);
  });
  const insertMany = jest.spyOn(models.AccessRecord, 'insertMany').mockImplementation((async (docs: Doc[]) => {
    inserted.push(...docs);
    return docs;
  }) as never);
  return {
    sent,
    inserted,
    restore: () => {
      exec.mockRestore();
      insertMany.mockRestore();
    },
  };
}

/** Runs `act` against a stand-in server holding `views` (mocks restored after, whatever `act` did); what was sent and inserted. */
async function against(views: Views, act: () => Promise<unknown>) {
  const server = fakeServer(views);
  try {
    await act();
  } finally {
    server.restore();
  }
  return server;
}

const stored = (seq: number): Doc => ({ _id: new mongoose.Types.ObjectId(), chainId: 'c1', seq, hash: `h${seq}` });

describe('mongo access log: a retried batch', () => {
  const log = new MongoAccessLog(models);
  const batch = [sampleRecord('c1', 1), sampleRecord('c1', 2), sampleRecord('c1', 3)];

  it('looks for the records already stored on the primary (read concern local, read preference primary)', async () => {
    const server = await against({ local: [], majority: [] }, () => log.appendAccessRecords(batch));
    const check = server.sent.find((q) => q.model === 'AccessRecord')!;
    expect(check.filter).toEqual({ chainId: 'c1', seq: { $gte: 1, $lte: 3 } });
    expect(check.options.readConcern).toEqual({ level: 'local' });
    expect(check.options.readPreference).toMatchObject({ mode: 'primary' });
    expect(server.inserted.map((d) => d.seq)).toEqual([1, 2, 3]);
  });

  it('after a write that timed out waiting for a majority, inserts none of its records again and is not done until a majority has them', async () => {
    // The first attempt's records 1 and 2 are on the primary; no majority has them yet.
    const server = await against({ local: [stored(1), stored(2)], majority: [] }, () => expect(log.appendAccessRecords(batch)).rejects.toBeInstanceOf(StoreUnavailableError));
    expect(server.inserted.map((d) => d.seq)).toEqual([3]);
    // No head moves past records a failover could still take away.
    expect(server.sent.some((q) => q.model === 'ChainHead')).toBe(false);
  });

  it('completes once a majority has the records an earlier attempt wrote, still without inserting them again', async () => {
    const kept = [stored(1), stored(2)];
    const server = await against({ local: kept, majority: kept }, () => log.appendAccessRecords(batch));
    expect(server.inserted.map((d) => d.seq)).toEqual([3]);
    expect(server.sent.some((q) => q.model === 'ChainHead' && q.op === 'updateOne')).toBe(true);
  });

  it('inserts again what a failover took away (on neither view any more)', async () => {
    const server = await against({ local: [], majority: [] }, () => log.appendAccessRecords(batch));
    expect(server.inserted.map((d) => d.seq)).toEqual([1, 2, 3]);
  });
});

describe('mongo access log: readChain with a limit', () => {
  /** readChain('c1', 1, 100, 3) over these stored documents: the records, and the queries sent. */
  async function readThree(stored: Doc[]) {
    const docs = stored.map((d) => ({ ...sampleDoc(d.seq as number), ...d }));
    let read: ChainedAccessRecord[] = [];
    const server = await against({ local: docs, majority: docs }, async () => {
      read = await new MongoAccessLog(models).readChain('c1', 1, 100, 3);
    });
    return { read, sent: server.sent };
  }

  it('counts records, not documents: an exact copy left by a retried write does not end the read early', async () => {
    const one = stored(1);
    const { read } = await readThree([one, { ...one, _id: new mongoose.Types.ObjectId() }, stored(2), stored(3), stored(4)]);
    // crashedEnd (gateway/access-log/writer.ts) takes a page shorter than its limit for the chain's end.
    expect(read.map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it('still returns a different record at a seq the limit cut short, and no more than the limit', async () => {
    const one = stored(1);
    const { read } = await readThree([one, { ...one, _id: new mongoose.Types.ObjectId() }, stored(2), { ...stored(2), hash: 'other' }, stored(3)]);
    expect(read.map((r) => [r.seq, r.hash])).toEqual([
      [1, 'h1'],
      [2, 'h2'],
      [2, 'other'],
    ]);
  });

  it('reads once when no copy is skipped', async () => {
    const { read, sent } = await readThree([1, 2, 3, 4].map(stored));
    expect(read.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(sent.filter((q) => q.model === 'AccessRecord')).toHaveLength(1);
  });
});

/** A stored access-record document for a sample record (time as a date, the record's own time kept). */
function sampleDoc(seq: number): Doc {
  const r = sampleRecord('c1', seq);
  const { time, productId, decision, ...rest } = r;
  return { ...rest, time: new Date(time), timeIso: time, meta: { productId, decision } };
}
