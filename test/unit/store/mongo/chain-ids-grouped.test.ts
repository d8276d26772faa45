/**
 * Review (mongo adapter): chainIdsWithData on the time-series access-record collection.
 * The manual (Time Series Collection Limitations, "distinct Command",
 * https://www.mongodb.com/docs/manual/core/timeseries/timeseries-limitations/): "Due to the unique
 * data structure of time series collections, MongoDB can't efficiently index them for distinct
 * values. Avoid using the distinct command or db.collection.distinct() helper method on time
 * series collections. Instead, use a $group aggregation". The distinct command also answers in one
 * document (16 MB), an aggregation with a cursor does not.
 */
import { jest } from '@jest/globals';
import mongoose from 'mongoose';
import { MongoAccessLog } from '../../../../store/mongo/access-log-store.js';
import { registerModels, type Models } from '../../../../store/mongo/models/index.js';

const models: Models = registerModels(new mongoose.Mongoose());

describe('chainIdsWithData on the time-series collection', () => {
  it('does not run distinct on the access records; groups them with an aggregation, and still names every chain', async () => {
    const distinctOnRecords = jest.spyOn(models.AccessRecord, 'distinct').mockImplementation((async () => ['c1', 'c2']) as never);
    const aggregate = jest.spyOn(models.AccessRecord, 'aggregate').mockImplementation((async () => [{ _id: 'c2' }, { _id: 'c1' }]) as never);
    const checkpoints = jest.spyOn(models.Checkpoint, 'distinct').mockImplementation((async () => ['c1', 'c3']) as never);
    const heads = jest.spyOn(models.ChainHead, 'distinct').mockImplementation((async () => ['c4']) as never);
    try {
      const ids = await new MongoAccessLog(models).chainIdsWithData();
      expect(distinctOnRecords).not.toHaveBeenCalled();
      expect(aggregate).toHaveBeenCalledTimes(1);
      const pipeline = aggregate.mock.calls[0]![0] as unknown as Array<Record<string, unknown>>;
      expect(pipeline).toContainEqual({ $group: { _id: '$chainId' } });
      expect([...ids].sort()).toEqual(['c1', 'c2', 'c3', 'c4']);
    } finally {
      distinctOnRecords.mockRestore();
      aggregate.mockRestore();
      checkpoints.mockRestore();
      heads.mockRestore();
    }
  });
});
