/**
 * The MongoDB connection without a server: URL parsing and redaction (mongodb-connection-string-url),
 * the options the driver resolves from ours (read back from a MongoClient that never connects),
 * the startup checks as a pure decision, and startup failures that name the host but never the
 * password.
 */
import { createServer } from 'node:net';
import mongoose from 'mongoose';
import {
  connectOptions,
  dbNameOf,
  driverOptions,
  hostsOf,
  newConnection,
  redactUri,
  scrub,
  serverProblem,
  uriForDatabase,
} from '../../../../store/mongo/connection.js';
import { createMongoStore, MongoStartupError } from '../../../../store/mongo/index.js';
import { StoreUnavailableError } from '../../../../store/port.js';

const uri = 'mongodb://admin:s3cr%40t@mongo1:27017,mongo2:27017/dsp?replicaSet=rs0&authSource=admin';

/** A client that parses our options exactly as mongoose's openUri would hand them over, never connecting. */
const clientWith = (options: mongoose.mongo.MongoClientOptions, url = 'mongodb://mongo1:27017/dsp?replicaSet=rs0') => new mongoose.mongo.MongoClient(url, options);

describe('mongo connection: URL parsing and redaction', () => {
  it('never shows the credentials of a URL', () => {
    expect(redactUri(uri)).toBe('mongodb://<credentials>@mongo1:27017,mongo2:27017/dsp?replicaSet=rs0&authSource=admin');
    expect(redactUri('mongodb://h1/dsp')).toBe('mongodb://h1/dsp');
    expect(scrub(`failed for ${uri} with password s3cr@t (raw s3cr%40t)`, uri)).not.toMatch(/s3cr/);
  });

  it('redacts the other secrets a URL can carry', () => {
    const tls = 'mongodb://u:pw1234@h1/dsp?tls=true&tlsCertificateKeyFilePassword=keypass99&proxyPassword=proxypass77';
    const redacted = redactUri(tls);
    for (const secret of ['pw1234', 'keypass99', 'proxypass77']) expect(redacted).not.toContain(secret);
    expect(scrub('driver said keypass99 and proxypass77', tls)).not.toMatch(/keypass99|proxypass77/);
  });

  it('redacts a URL the driver would refuse', () => {
    expect(redactUri('mongodb://admin:hunter2@/dsp')).not.toContain('hunter2');
    expect(redactUri('mongodb://admin:hun@ter2@h1/dsp')).not.toContain('hun');
  });

  it('names the hosts and the database of a URL', () => {
    expect(hostsOf(uri)).toBe('mongo1:27017,mongo2:27017');
    expect(hostsOf('mongodb+srv://u:p@cluster0.example.net/dsp')).toBe('cluster0.example.net');
    expect(hostsOf('mongodb://admin:hunter2@/dsp')).toBe('(no host)');
    // A password with an unencoded @ is never printed in part as a host (review s18b 12).
    for (const uri of ['mongodb://dsp:S3c@retPW@127.0.0.1:1/dsp', 'mongodb://dsp:Tr0ub@dor-3xyz@h1,h2/dsp?replicaSet=rs0']) {
      expect(hostsOf(uri)).not.toMatch(/retPW|dor-3xyz/);
      expect(hostsOf(uri)).toMatch(/^\(not shown/);
    }
    expect(dbNameOf(uri)).toBe('dsp');
    expect(dbNameOf('mongodb://h1/my%20db')).toBe('my db');
    expect(dbNameOf('mongodb://h1,h2/?replicaSet=rs0')).toBeNull();
    expect(dbNameOf('mongodb://h1')).toBeNull();
  });

  it('points a URL at another database and keeps the users authenticating where they are defined', () => {
    // An explicit authSource stays as it is.
    expect(uriForDatabase(uri, 'dsp_test')).toBe('mongodb://admin:s3cr%40t@mongo1:27017,mongo2:27017/dsp_test?replicaSet=rs0&authSource=admin');
    // Without one the path's database was the authSource: it is written out before the path changes.
    expect(new URLSearchParams(uriForDatabase('mongodb://u:p@h1/dsp?replicaSet=rs0', 'other').split('?')[1]).get('authSource')).toBe('dsp');
    // No database in the path: the driver authenticates against admin.
    expect(uriForDatabase('mongodb://u:p@h1/?tls=true', 'other')).toBe('mongodb://u:p@h1/other?tls=true&authSource=admin');
    // X.509 users live in $external: no authSource is guessed.
    expect(uriForDatabase('mongodb://CN%3Dclient@h1/dsp?authMechanism=MONGODB-X509&tls=true', 'other')).not.toContain('authSource');
    // Without credentials there is nothing to authenticate.
    expect(uriForDatabase('mongodb://h1:27017,h2:27017/dsp?replicaSet=rs0', 'other')).toBe('mongodb://h1:27017,h2:27017/other?replicaSet=rs0');
  });
});

describe('mongo connection: driver options', () => {
  it('writes with majority, bounded by wtimeoutMS, for every collection that does not opt out', () => {
    const client = clientWith(driverOptions({ operationTimeoutMS: 7000 }));
    expect(client.options.writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 7000 });
    // Collections inherit it (the registry, access-log and monitoring models pass no write concern of their own).
    expect(client.db('dsp').collection('access_records').writeConcern).toMatchObject({ w: 'majority', wtimeoutMS: 7000 });
  });

  it('bounds pool checkout and silent sockets, the socket longest so the server answers first', () => {
    const client = clientWith(driverOptions({ operationTimeoutMS: 7000 }));
    expect(client.options.waitQueueTimeoutMS).toBe(7000);
    expect(client.options.socketTimeoutMS).toBeGreaterThan(7000);
    expect(client.options.serverSelectionTimeoutMS).toBe(5000);
    expect(client.options.retryWrites).toBe(true);
    expect(client.options.retryReads).toBe(true);
  });

  it('reads from the primary even when the URL asks for a secondary (which may lag behind a change just made)', () => {
    const client = clientWith(driverOptions(), 'mongodb://mongo1:27017/dsp?replicaSet=rs0&readPreference=secondaryPreferred');
    expect(client.options.readPreference.mode).toBe('primary');
  });

  it('does not rely on timeoutMS, a no-op since mongodb 7.8', () => {
    expect(driverOptions()).not.toHaveProperty('timeoutMS');
    expect(connectOptions(uri)).not.toHaveProperty('timeoutMS');
  });

  it('bounds server-side execution of every mongoose query on the connection (maxTimeMS)', async () => {
    const connection = newConnection({ operationTimeoutMS: 4321 });
    expect(connection.get('maxTimeMS')).toBe(4321);
    expect(newConnection().get('maxTimeMS')).toBe(10_000);
    await connection.destroy();
  });

  it('keeps collection and index creation to init() and names a database when the URL has none', () => {
    expect(connectOptions(uri)).toMatchObject({ autoIndex: false, autoCreate: false, bufferCommands: false });
    expect(connectOptions(uri).dbName).toBeUndefined();
    expect(connectOptions('mongodb://h1/').dbName).toBe('dsp');
  });

  it('refuses an operation timeout that is not a positive number', async () => {
    expect(() => driverOptions({ operationTimeoutMS: 0 })).toThrow(RangeError);
    await expect(createMongoStore('mongodb://h1/dsp', { operationTimeoutMS: -1 })).rejects.toBeInstanceOf(RangeError);
  });
});

describe('mongo connection: startup checks', () => {
  it('refuses a standalone server and a server older than 6.0, accepts a replica set and mongos', () => {
    expect(serverProblem({ version: '7.0.12' }, 'h1')?.reason).toBe('STANDALONE');
    expect(serverProblem({ setName: 'rs0', version: '5.0.26' }, 'h1')?.reason).toBe('TOO_OLD');
    expect(serverProblem({ setName: 'rs0', version: '7.0.12' }, 'h1')).toBeNull();
    expect(serverProblem({ msg: 'isdbgrid', version: '8.0.1' }, 'h1')).toBeNull();
    expect(serverProblem({ version: '7.0.12' }, 'h1')).toBeInstanceOf(MongoStartupError);
  });

  it('fails init() against an unreachable server, naming the host and not the password', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const store = await createMongoStore(`mongodb://admin:hunter2@127.0.0.1:${port}/dsp`, { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 });
    const failure = await store.init().then(
      () => null,
      (err: unknown) => err as MongoStartupError,
    );
    expect(failure).toBeInstanceOf(MongoStartupError);
    expect(failure?.reason).toBe('UNREACHABLE');
    expect(failure?.message).toContain(`127.0.0.1:${port}`);
    expect(failure?.message).not.toContain('hunter2');
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.currentRevision()).rejects.toBeInstanceOf(StoreUnavailableError);
    await store.close();
  });

  it('fails init() on a malformed URL without echoing the password', async () => {
    const store = await createMongoStore('mongodb://admin:hunter2@/dsp');
    const failure = await store.init().then(
      () => null,
      (err: unknown) => err as MongoStartupError,
    );
    expect(failure).toBeInstanceOf(MongoStartupError);
    expect(failure?.reason).toBe('BAD_URL');
    expect(failure?.message).not.toContain('hunter2');
  });

  it('refuses a retention that is not a positive number of days', async () => {
    await expect(createMongoStore('mongodb://h1/dsp', { retentionDays: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});
