/**
 * The Mongo register's reads and transaction settings without a server. Queries are built on
 * models of a Mongoose instance that never connects and inspected with mongoose's own
 * `Query#getOptions()`; changesSince runs for real with `Query#exec` answering from canned
 * documents, so the test sees every query it sends, in order, with its options.
 */
import { jest } from '@jest/globals';
import mongoose, { type ClientSession, type Query } from 'mongoose';
import { MongoRegistry, transactionOptions } from '../../../../store/mongo/registry-store.js';
import { StoreAbnHeldError } from '../../../../store/port.js';
import { registerModels, type Models } from '../../../../store/mongo/models/index.js';
import { sampleDeveloper, sampleProduct } from '../../../contract/samples.js';

const models: Models = registerModels(new mongoose.Mongoose());

/** A stand-in for a driver session: only identity and endSession matter to these reads. */
function fakeSession(): ClientSession & { ended: number } {
  const session = {
    ended: 0,
    async endSession() {
      session.ended++;
    },
  };
  return session as unknown as ClientSession & { ended: number };
}

/** A stand-in for a driver session inside a transaction that commits nothing; `started` hears each startTransaction's options. */
function transactionSession(started: (options: unknown) => void = () => {}): ClientSession {
  return {
    startTransaction: started,
    inTransaction: () => true,
    abortTransaction: async () => {},
    commitTransaction: async () => {},
    endSession: async () => {},
  } as unknown as ClientSession;
}

interface Sent {
  model: string;
  op: string | undefined;
  filter: Record<string, unknown>;
  options: Record<string, unknown>;
}

/** Answers every executed query from `answer` and records it. */
function interceptQueries(answer: (q: Sent) => unknown) {
  const sent: Sent[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const spy = jest.spyOn(mongoose.Query.prototype, 'exec').mockImplementation(async function (this: Query<any, any>) {
    const q: Sent = { model: this.model.modelName, op: (this as unknown as { op?: string }).op, filter: this.getFilter(), options: this.getOptions() as Record<string, unknown> };
    sent.push(q);
    return answer(q);
  });
  return { sent, restore: () => spy.mockRestore() };
}

describe('mongo registry: polling reads with majority read concern', () => {
  const registry = new MongoRegistry({ startSession: async () => fakeSession() }, models);

  it('reads the revision counter with majority read concern', () => {
    const options = registry.counterQuery().getOptions();
    expect(options.readConcern).toEqual({ level: 'majority' });
  });

  it('reads changed entities with majority read concern, in the given session', () => {
    const session = fakeSession();
    const query = registry.changedQuery(models.Product, 3, 9, session);
    expect(query.getOptions()).toMatchObject({ readConcern: { level: 'majority' }, session, sort: { revision: 1 } });
    expect(query.getFilter()).toEqual({ revision: { $gt: 3, $lte: 9 } });
  });

  it('changesSince reads the counter, then each model, all majority and all in one session, and ends it', async () => {
    const session = fakeSession();
    const polling = new MongoRegistry({ startSession: async () => session }, models);
    const product = { ...sampleProduct('P-1', 'DEV-1'), revision: 6, _id: 'oid-1' };
    const { sent, restore } = interceptQueries((q) => (q.model === 'Counter' ? { _id: 'registry', seq: 7 } : q.model === 'Product' ? [product] : []));
    try {
      const changes = await polling.changesSince(5);
      expect(changes.revision).toBe(7);
      expect(changes.products).toEqual([{ ...sampleProduct('P-1', 'DEV-1'), revision: 6 }]);
      expect(sent.map((q) => q.model)).toEqual(['Counter', 'Developer', 'Product', 'ClientAuthorisation']);
      for (const q of sent) {
        expect([q.model, q.options.readConcern, q.options.session === session]).toEqual([q.model, { level: 'majority' }, true]);
      }
      expect(sent.slice(1).map((q) => q.filter)).toEqual(Array(3).fill({ revision: { $gt: 5, $lte: 7 } }));
      expect(session.ended).toBe(1);
    } finally {
      restore();
    }
  });

  it('changesSince answers nothing new without reading entities when the counter has not moved', async () => {
    const session = fakeSession();
    const polling = new MongoRegistry({ startSession: async () => session }, models);
    const { sent, restore } = interceptQueries(() => ({ _id: 'registry', seq: 4 }));
    try {
      expect(await polling.changesSince(4)).toEqual({ revision: 4, developers: [], products: [], authorisations: [] });
      expect(sent.map((q) => q.model)).toEqual(['Counter']);
      expect(session.ended).toBe(1);
    } finally {
      restore();
    }
  });

  it('currentRevision reads the counter with majority read concern', async () => {
    const { sent, restore } = interceptQueries(() => ({ _id: 'registry', seq: 12 }));
    try {
      expect(await registry.currentRevision()).toBe(12);
      expect(sent).toMatchObject([{ model: 'Counter', options: { readConcern: { level: 'majority' } } }]);
    } finally {
      restore();
    }
  });

  it('ends the session when a read fails', async () => {
    const session = fakeSession();
    const polling = new MongoRegistry({ startSession: async () => session }, models);
    const { restore } = interceptQueries(() => {
      throw new mongoose.mongo.MongoNetworkError('reset');
    });
    try {
      await expect(polling.changesSince(0)).rejects.toBeInstanceOf(mongoose.mongo.MongoNetworkError);
      expect(session.ended).toBe(1);
    } finally {
      restore();
    }
  });
});

describe('mongo registry: writes', () => {
  it('commits registry changes with majority, bounded in time, reading a snapshot from the primary', () => {
    expect(transactionOptions({ operationTimeoutMS: 8000 })).toEqual({
      readConcern: { level: 'snapshot' },
      writeConcern: { w: 'majority', wtimeoutMS: 8000 },
      readPreference: 'primary',
      maxCommitTimeMS: 8000,
    });
  });

  it('passes those options to every transaction it starts', async () => {
    const started: unknown[] = [];
    const session = transactionSession((options) => started.push(options));
    const registry = new MongoRegistry({ startSession: async () => session }, models, { operationTimeoutMS: 8000 });
    // The change fails inside the transaction (no server behind the session), which is enough to see how it was started.
    const { restore } = interceptQueries(() => {
      throw new Error('no server in this test');
    });
    try {
      await expect(registry.applyRegistryChange({ entity: 'DEVELOPER', expectedRevision: null, next: sampleDeveloper('DEV-1'), note: { action: 'REGISTER', actor: 'a', reason: 'r', effectiveAt: '2030-01-01T00:00:00.000Z' } })).rejects.toThrow(
        'no server in this test',
      );
    } finally {
      restore();
    }
    expect(started).toEqual([transactionOptions({ operationTimeoutMS: 8000 })]);
  });

  it('with abnExclusiveAmong, reads for another holder of the ABN in the transaction before drawing a revision, and refuses when there is one', async () => {
    const session = transactionSession();
    const registry = new MongoRegistry({ startSession: async () => session }, models, { operationTimeoutMS: 8000 });
    const current = { ...sampleDeveloper('DEV-2', { status: 'PENDING' }), revision: 4, _id: 'oid-2' };
    const holder = { ...sampleDeveloper('DEV-1', { status: 'ACTIVE' }), revision: 3, _id: 'oid-1' };
    const { sent, restore } = interceptQueries((q) => (q.model === 'Developer' && 'abn' in q.filter ? holder : q.model === 'Developer' ? current : null));
    try {
      const change = registry.applyRegistryChange({
        entity: 'DEVELOPER', expectedRevision: 4, next: { ...sampleDeveloper('DEV-2'), status: 'ACTIVE' },
        note: { action: 'approveDeveloper', actor: 'a', reason: 'r', effectiveAt: '2030-01-01T00:00:00.000Z' }, abnExclusiveAmong: ['ACTIVE', 'SUSPENDED'],
      });
      await expect(change).rejects.toBeInstanceOf(StoreAbnHeldError);
      await expect(change).rejects.toMatchObject({ developerId: 'DEV-2', heldBy: 'DEV-1' });
    } finally {
      restore();
    }
    const abnRead = sent.find((q) => q.model === 'Developer' && 'abn' in q.filter)!;
    expect(abnRead.filter).toEqual({ abn: sampleDeveloper('DEV-2').abn, id: { $ne: 'DEV-2' }, status: { $in: ['ACTIVE', 'SUSPENDED'] } });
    expect(abnRead.options.session).toBe(session);
    expect(sent.some((q) => q.model === 'Counter')).toBe(false);
  });

  it('leaves registry and monitoring writes on the client default (majority): no model overrides the write concern', () => {
    for (const model of Object.values(models)) expect([model.modelName, model.schema.get('writeConcern')]).toEqual([model.modelName, undefined]);
  });
});
