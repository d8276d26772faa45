/**
 * Where the Mongo store's rate limiters count: this database, with `w: 1` instead of the client's
 * majority (counts are disposable and on the request path), while everything else keeps majority,
 * the DPoP replay cache's uses included (a durable spec).
 * Read back from a MongoClient that never connects, and from the limiter's own collection handle.
 */
import mongoose from 'mongoose';
import { driverOptions } from '../../../../store/mongo/connection.js';
import { counterDb, countingDb, RATE_LIMIT_COLLECTION, rateLimiterOn } from '../../../../store/mongo/index.js';

const client = new mongoose.mongo.MongoClient('mongodb://mongo1:27017/dsp?replicaSet=rs0', driverOptions({ operationTimeoutMS: 6000 }));

describe('mongo store: rate-limit counters', () => {
  it('count in the store database without majority write concern', () => {
    const db = counterDb(client, 'dsp');
    expect(db.databaseName).toBe('dsp');
    expect(db.writeConcern?.w).toBe(1);
    expect(db.collection(RATE_LIMIT_COLLECTION).writeConcern?.w).toBe(1);
  });

  it('are what RateLimiterMongo writes through', () => {
    const limiter = rateLimiterOn(counterDb(client, 'dsp'), { keyPrefix: 'rl', points: 5, duration: 60 });
    // rate-limiter-flexible keeps the collection it writes to; nothing else of it is read here.
    const collection = (limiter as unknown as { _collection: mongoose.mongo.Collection })._collection;
    expect(collection.collectionName).toBe(RATE_LIMIT_COLLECTION);
    expect(collection.dbName).toBe('dsp');
    expect(collection.writeConcern?.w).toBe(1);
  });

  it('count through counterDb unless durable; a durable one (the DPoP replay cache) keeps the client majority and its timeout', () => {
    const spec = { keyPrefix: 'dpop-jti', points: 1, duration: 121 };
    expect(countingDb(client, 'dsp', spec).writeConcern?.w).toBe(1);
    const durable = rateLimiterOn(countingDb(client, 'dsp', { ...spec, durable: true }), { ...spec, durable: true });
    const collection = (durable as unknown as { _collection: mongoose.mongo.Collection })._collection;
    expect([collection.dbName, collection.collectionName]).toEqual(['dsp', RATE_LIMIT_COLLECTION]);
    expect(collection.writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 6000 });
  });

  it('opt out alone: the same client writes everything else with majority', () => {
    expect(client.db('dsp').collection('products').writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 6000 });
  });
});
