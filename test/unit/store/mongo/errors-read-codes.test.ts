/**
 * Review (mongo adapter): server codes the driver itself treats as "retry, the node is not ready"
 * must reach callers as StoreUnavailableError (try again), not as an unknown failure.
 * - 134 ReadConcernMajorityNotAvailableYet: a majority read (registry polling, the access log's
 *   majority confirmation) on a node whose majority snapshot is not available yet (just started,
 *   just elected). mongodb 7.8 src/error.ts RETRYABLE_READ_ERROR_CODES lists it; the driver retries
 *   once, and a second 134 is thrown as a MongoServerError with that code.
 * - 133 FailedToSatisfyReadPreference: a mongos with no reachable shard primary (the adapter
 *   accepts a sharded cluster, connection.ts serverProblem). mongodb 7.8 src/error.ts
 *   GET_MORE_RESUMABLE_CODES lists it with the other "node unavailable" codes.
 */
import mongoose from 'mongoose';
import { translateMongoError } from '../../../../store/mongo/errors.js';
import { StoreUnavailableError } from '../../../../store/port.js';

const m = mongoose.mongo;

describe('transient server codes the driver retries are unavailability', () => {
  it('maps ReadConcernMajorityNotAvailableYet (134), the code a majority read gets from a node not ready for it', () => {
    const err = new m.MongoServerError({ message: 'Read concern majority reads are currently not possible.', code: 134 });
    expect(translateMongoError(err)).toBeInstanceOf(StoreUnavailableError);
  });

  it('maps FailedToSatisfyReadPreference (133), a mongos without a reachable shard primary', () => {
    const err = new m.MongoServerError({ message: 'Could not find host matching read preference { mode: "primary" }', code: 133 });
    expect(translateMongoError(err)).toBeInstanceOf(StoreUnavailableError);
  });
});
