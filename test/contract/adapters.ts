/**
 * The adapters the store contract suite runs against, probed before any describe block (this
 * module uses top-level await). SQLite always runs (in memory and on a temporary file). MongoDB
 * runs on MONGODB_URI when set (credentials, `authSource` and TLS options are kept), else on a
 * mongodb-memory-server replica set when a binary can be obtained; otherwise it is registered as
 * skipped, with the reason, never silently dropped. Every database the Mongo runs create is
 * dropped again by dispose().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { createStore } from '../../store/index.js';
import { uriForDatabase } from '../../store/mongo/connection.js';
import type { Store } from '../../store/port.js';

export const MONGO_SKIP_MESSAGE = 'skipped: no MongoDB reachable (set MONGODB_URI)';

export interface ContractAdapter {
  name: string;
  /** Null when the adapter runs here; otherwise the reason it is skipped. */
  skipReason: string | null;
  /** A fresh, empty, initialised store (each call gets its own database). */
  create(): Promise<Store>;
  /** Releases what the adapter holds (temporary files, databases it created, an in-memory MongoDB). */
  dispose(): Promise<void>;
}

/** A reachable MongoDB replica set, for the contract suite and the Mongo-only cases. */
export interface MongoTarget {
  /** The replica set's URL, as given. */
  uri: string;
  /** The URL of a new, uniquely named database on the replica set (same credentials); dispose() drops it. */
  freshDatabase(prefix?: string): string;
  /** A standalone mongod's URL, or why there is none here. */
  standalone(): Promise<{ uri: string } | { skipReason: string }>;
  /** Runs `fn` with a driver client on the replica set (for checks the port does not expose). */
  withClient<T>(fn: (client: mongoose.mongo.MongoClient) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

/** How long to wait for mongodb-memory-server (it may try to download a binary). */
const MEMORY_SERVER_TIMEOUT_MS = 30_000;

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;

function sqliteMemory(): ContractAdapter {
  return { name: 'sqlite (memory)', skipReason: null, create: () => createStore('sqlite::memory:'), dispose: async () => {} };
}

function sqliteFile(): ContractAdapter {
  const dir = mkdtempSync(join(tmpdir(), 'dsp-contract-'));
  return {
    name: 'sqlite (file)',
    skipReason: null,
    create: () => createStore(`sqlite:${join(dir, `${uniqueName('contract')}.db`)}`),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, onLate: (value: T) => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      promise.then(onLate, () => {});
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const oneLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim().slice(0, 300);

function targetOn(uri: string, options: { standalone: () => Promise<{ uri: string } | { skipReason: string }>; stop: () => Promise<void> }): MongoTarget {
  const created = new Set<string>();
  const withClient = async <T>(fn: (client: mongoose.mongo.MongoClient) => Promise<T>): Promise<T> => {
    const client = new mongoose.mongo.MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    try {
      return await fn(client);
    } finally {
      await client.close();
    }
  };
  return {
    uri,
    freshDatabase(prefix = 'dsp_contract') {
      const name = uniqueName(prefix);
      created.add(name);
      return uriForDatabase(uri, name);
    },
    standalone: options.standalone,
    withClient,
    async dispose() {
      // Stores are closed by then (the suites' own afterAll hooks run first). The URL's own user
      // drops what it created; a failure is reported, not hidden.
      if (created.size) {
        await withClient(async (client) => {
          for (const name of created) await client.db(name).dropDatabase();
        });
        created.clear();
      }
      await options.stop();
    },
  };
}

async function probeMongo(): Promise<MongoTarget | { skipReason: string }> {
  // An explicit MONGODB_URI is used as is: if it cannot be reached the suite fails, as it should.
  const explicit = process.env.MONGODB_URI;
  if (explicit) {
    const standaloneUri = process.env.MONGODB_STANDALONE_URI;
    return targetOn(explicit, {
      standalone: async () => (standaloneUri ? { uri: standaloneUri } : { skipReason: 'set MONGODB_STANDALONE_URI to a standalone mongod (no --replSet)' }),
      stop: async () => {},
    });
  }
  try {
    const { MongoMemoryReplSet, MongoMemoryServer } = await import('mongodb-memory-server-core');
    const replSet = await withTimeout(MongoMemoryReplSet.create({ replSet: { count: 1 } }), MEMORY_SERVER_TIMEOUT_MS, (late) => void late.stop());
    let single: Promise<InstanceType<typeof MongoMemoryServer>> | null = null;
    return targetOn(replSet.getUri(), {
      standalone: async () => {
        try {
          single ??= MongoMemoryServer.create();
          return { uri: (await single).getUri() };
        } catch (err) {
          return { skipReason: `mongodb-memory-server standalone: ${oneLine(err)}` };
        }
      },
      stop: async () => {
        if (single) await (await single.catch(() => null))?.stop();
        await replSet.stop();
      },
    });
  } catch (err) {
    return { skipReason: `mongodb-memory-server: ${oneLine(err)}` };
  }
}

export const mongoTarget: MongoTarget | { skipReason: string } = await probeMongo();

function mongo(): ContractAdapter {
  const target = mongoTarget;
  if ('skipReason' in target) {
    return { name: 'mongo', skipReason: target.skipReason, create: () => Promise.reject(new Error(MONGO_SKIP_MESSAGE)), dispose: async () => {} };
  }
  return { name: 'mongo', skipReason: null, create: () => createStore(target.freshDatabase()), dispose: () => target.dispose() };
}

export const adapters: ContractAdapter[] = [sqliteMemory(), sqliteFile(), mongo()];

for (const a of adapters) {
  if (a.skipReason) console.warn(`store contract suite, ${a.name}: ${MONGO_SKIP_MESSAGE} (${a.skipReason})`);
}
