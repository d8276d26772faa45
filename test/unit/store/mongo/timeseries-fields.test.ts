/**
 * Review (mongo adapter): init() accepts an existing access-record collection as soon as it is a
 * time-series collection, whatever its timeField. A time-series insert must carry the collection's
 * timeField as a BSON date (manual, Time Series: "timeField ... Each document you insert into the
 * time series collection must have this field"), and the store writes `time`: on a collection made
 * with another timeField (by hand, or by another tool) startup succeeds and then every access-log
 * append fails, so the writer retries forever and requests wait on a log that never commits. The
 * time-series options cannot be changed after creation, so this is a startup refusal like
 * NOT_TIMESERIES.
 */
import mongoose from 'mongoose';
import type { Connection } from 'mongoose';
import { ensureCollections } from '../../../../store/mongo/collections.js';
import { MongoStartupError } from '../../../../store/mongo/connection.js';
import { ACCESS_RECORDS_COLLECTION } from '../../../../store/mongo/models/index.js';
import { registerModels, type Models } from '../../../../store/mongo/models/index.js';

const models: Models = registerModels(new mongoose.Mongoose());
const RETENTION_S = 400 * 86_400;

/** A connection whose database already holds the access records as this time-series collection. */
function connectionWith(timeseries: Record<string, unknown>): Connection {
  const db = {
    databaseName: 'dsp',
    listCollections: () => ({ toArray: async () => [{ name: ACCESS_RECORDS_COLLECTION, type: 'timeseries', options: { timeseries, expireAfterSeconds: RETENTION_S } }] }),
    command: async () => ({ ok: 1 }),
  };
  return {
    db,
    createCollection: async () => {
      throw Object.assign(new Error('Collection already exists'), { code: 48 });
    },
  } as unknown as Connection;
}

describe('an existing access-record collection', () => {
  it('is refused at startup when its timeField is not the one the store writes', async () => {
    const failure = await ensureCollections(connectionWith({ timeField: 'ts', metaField: 'meta', granularity: 'seconds' }), models, { retentionSeconds: RETENTION_S }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(MongoStartupError);
    expect(failure).toMatchObject({ reason: 'NOT_TIMESERIES' });
  });
});
