/**
 * The adapters the store contract suite runs against, probed before any describe block (this
 * module uses top-level await). SQLite always runs (in memory and on a temporary file). MongoDB
 * runs on MONGODB_URI when set, else on a mongodb-memory-server replica set when a binary can be
 * obtained; otherwise it is registered as skipped, with the reason, never silently dropped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '../../store/index.js';
import type { Store } from '../../store/port.js';

export const MONGO_SKIP_MESSAGE = 'skipped: no MongoDB reachable (set MONGODB_URI)';

export interface ContractAdapter {
  name: string;
  /** Null when the adapter runs here; otherwise the reason it is skipped. */
  skipReason: string | null;
  /** A fresh, empty, initialised store (each call gets its own database). */
  create(): Promise<Store>;
  /** Releases what the adapter holds (temporary files, an in-memory MongoDB). */
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

/** The same deployment, another database name (multi-host URIs are not WHATWG URLs, so no `new URL`). */
export function withDatabase(uri: string, database: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/[^/?]+)(?:\/[^?]*)?(\?.*)?$/.exec(uri);
  if (!m) throw new Error('MONGODB_URI is not a mongodb:// or mongodb+srv:// URI');
  return `${m[1]}/${database}${m[2] ?? ''}`;
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

async function mongo(): Promise<ContractAdapter> {
  const skipped = (reason: string): ContractAdapter => ({
    name: 'mongo',
    skipReason: reason,
    create: () => Promise.reject(new Error(MONGO_SKIP_MESSAGE)),
    dispose: async () => {},
  });
  const fromUri = (uri: string, dispose: () => Promise<void>): ContractAdapter => ({
    name: 'mongo',
    skipReason: null,
    create: () => createStore(withDatabase(uri, uniqueName('dsp_contract'))),
    dispose,
  });

  // An explicit MONGODB_URI is used as is: if it cannot be reached the suite fails, as it should.
  const explicit = process.env.MONGODB_URI;
  if (explicit) return fromUri(explicit, async () => {});

  try {
    const { MongoMemoryReplSet } = await import('mongodb-memory-server-core');
    const replSet = await withTimeout(MongoMemoryReplSet.create({ replSet: { count: 1 } }), MEMORY_SERVER_TIMEOUT_MS, (late) => void late.stop());
    return fromUri(replSet.getUri(), async () => {
      await replSet.stop();
    });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim().slice(0, 300);
    return skipped(`mongodb-memory-server: ${reason}`);
  }
}

export const adapters: ContractAdapter[] = [sqliteMemory(), sqliteFile(), await mongo()];

for (const a of adapters) {
  if (a.skipReason) console.warn(`store contract suite, ${a.name}: ${MONGO_SKIP_MESSAGE} (${a.skipReason})`);
}
