/**
 * Translation of driver failures into the port's errors, with the driver's own error classes
 * (mongoose.mongo is mongodb 7.8) built as the driver builds them, including the shapes of
 * MongoBulkWriteError an insertMany can throw.
 */
import mongoose from 'mongoose';
import { translateMongoError } from '../../../../store/mongo/errors.js';
import { StoreConflictError, StoreUnavailableError } from '../../../../store/port.js';

const m = mongoose.mongo;

/** A BulkWriteResult as far as the translation reads it. */
const resultWith = (writeConcernError: unknown = undefined) => ({ getWriteConcernError: () => writeConcernError }) as unknown as mongoose.mongo.BulkWriteResult;

describe('mongo errors: what counts as the store being unavailable', () => {
  it('maps unreachable-server failures to StoreUnavailableError and leaves the rest alone', () => {
    expect(translateMongoError(new m.MongoNetworkError('connection reset'))).toBeInstanceOf(StoreUnavailableError);
    expect(translateMongoError(new m.MongoServerError({ message: 'not primary', code: 10107 }))).toBeInstanceOf(StoreUnavailableError);
    const conflict = new StoreConflictError('DEVELOPER', 'D', 1, 2);
    expect(translateMongoError(conflict)).toBe(conflict);
    const duplicate = new m.MongoServerError({ message: 'E11000', code: 11000 });
    expect(translateMongoError(duplicate)).toBe(duplicate);
  });

  it('maps the per-stage timeouts: majority not reached in time, maxTimeMS, pool checkout', () => {
    expect(translateMongoError(new m.MongoServerError({ message: 'waiting for replication timed out', code: 64 }))).toBeInstanceOf(StoreUnavailableError);
    expect(translateMongoError(new m.MongoServerError({ message: 'operation exceeded time limit', code: 50 }))).toBeInstanceOf(StoreUnavailableError);
    expect(translateMongoError(Object.assign(new Error('Timed out while checking out a connection'), { name: 'MongoWaitQueueTimeoutError' }))).toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('maps a commit whose outcome is unknown', () => {
    const unknown = new m.MongoServerError({ message: 'commit timed out', code: 999, errorLabels: ['UnknownTransactionCommitResult'] });
    expect(translateMongoError(unknown)).toBeInstanceOf(StoreUnavailableError);
  });

  it('keeps the original error as the cause', () => {
    const network = new m.MongoNetworkError('connection reset');
    expect((translateMongoError(network) as Error).cause).toBe(network);
  });
});

describe('mongo errors: MongoBulkWriteError', () => {
  it('maps a server-selection failure the bulk write wrapped (no code, no label, the original in errorResponse)', () => {
    const selection = new m.MongoServerSelectionError('Server selection timed out after 5000 ms', { type: 'ReplicaSetNoPrimary' } as never);
    const wrapped = new m.MongoBulkWriteError(selection, resultWith());
    expect(wrapped.code).toBeUndefined();
    expect(translateMongoError(wrapped)).toBeInstanceOf(StoreUnavailableError);
  });

  it('maps a network failure the bulk write wrapped', () => {
    expect(translateMongoError(new m.MongoBulkWriteError(new m.MongoNetworkError('socket closed'), resultWith()))).toBeInstanceOf(StoreUnavailableError);
  });

  it('maps a write-concern error: the batch is not durable until a retry confirms it', () => {
    // The shape bulk/common.ts builds from a thrown MongoWriteConcernError: the code is the
    // write-concern error's, and the result holds it.
    const wce = new m.MongoBulkWriteError({ message: 'waiting for replication timed out', code: 64 }, resultWith({ code: 64 }));
    expect(translateMongoError(wce)).toBeInstanceOf(StoreUnavailableError);
    // A write-concern error whose code says nothing by itself (the primary stepped down while waiting).
    const stepped = new m.MongoBulkWriteError({ message: 'operation was interrupted', code: 11602 }, resultWith({ code: 11602 }));
    expect(translateMongoError(stepped)).toBeInstanceOf(StoreUnavailableError);
    const other = new m.MongoBulkWriteError({ message: 'write concern error', code: 100 }, resultWith({ code: 100 }));
    expect(translateMongoError(other)).toBeInstanceOf(StoreUnavailableError);
  });

  it('maps writes refused because the primary stepped down mid-batch', () => {
    const writeErrors = [
      { code: 10107, index: 0 },
      { code: 11602, index: 1 },
    ];
    const err = new m.MongoBulkWriteError({ message: 'not primary', code: 10107, writeErrors: writeErrors as never }, resultWith());
    expect(translateMongoError(err)).toBeInstanceOf(StoreUnavailableError);
  });

  it('leaves per-document data errors to the caller', () => {
    const duplicate = new m.MongoBulkWriteError({ message: 'E11000', code: 11000, writeErrors: [{ code: 11000, index: 0 }] as never }, resultWith());
    expect(translateMongoError(duplicate)).toBe(duplicate);
    // One document refused for its data, one for a step-down: not an outage as a whole.
    const mixed = new m.MongoBulkWriteError(
      {
        message: 'Document failed validation',
        code: 121,
        writeErrors: [
          { code: 121, index: 0 },
          { code: 10107, index: 1 },
        ] as never,
      },
      resultWith(),
    );
    expect(translateMongoError(mixed)).toBe(mixed);
  });

  it('maps a bulk write the driver labelled retryable', () => {
    const inner = new m.MongoServerError({ message: 'interrupted', code: 11602, errorLabels: ['RetryableWriteError'] });
    expect(translateMongoError(new m.MongoBulkWriteError(inner, resultWith()))).toBeInstanceOf(StoreUnavailableError);
  });
});
