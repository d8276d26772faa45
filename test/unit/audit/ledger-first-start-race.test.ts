/**
 * Review (b9c58d2, the empty-ledger refusal): two gateways starting together on a new, empty
 * store. B reads the ledger (empty), then A's start commits its OPEN with its head; B then counts
 * chains (heads, or since b9c58d2 chainIdsWithData when there are none), finds A's and refuses to
 * start: "the chain ledger is empty, yet the store holds 1 chain". The ledger was not emptied; it
 * was read before another writer wrote to it.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { SigningKey } from '../../../core/keys.js';
import { createAccessLogWriter, type AccessLogWriter } from '../../../gateway/access-log/writer.js';
import { testSigningKey } from './fixtures.js';
import { FakeAccessLogStore } from '../gateway/access-log/fake-store.js';

const CHAIN_KEY = Buffer.alloc(32, 7);
let key: SigningKey;
beforeAll(async () => {
  key = await testSigningKey();
});

const writerOn = (store: FakeAccessLogStore, chainId: string, instanceId: string): AccessLogWriter =>
  createAccessLogWriter({ store: store.asStore(), chainId, instanceId, signingKey: key, chainKey: CHAIN_KEY, retryInitialMs: 1, retryMaxMs: 5, checkpointIntervalMs: 3_600_000 });

describe('first start of two gateways on an empty store', () => {
  it.each([
    ['A commits between B\'s ledger read and its head count', 'listChains'],
    ['A commits between B\'s head count and its record count (the b9c58d2 look-up)', 'chainIdsWithData'],
  ] as const)('%s: B starts', async (_what, before) => {
    const store = new FakeAccessLogStore();
    const a = writerOn(store, 'gw-a:1', 'gw-a');
    const b = writerOn(store, 'gw-b:1', 'gw-b');
    // B's view of the store: A's start runs to completion just before B's `before` call.
    const real = store[before].bind(store) as () => Promise<unknown>;
    let once = true;
    (store as unknown as Record<string, unknown>)[before] = async () => {
      if (once) {
        once = false;
        await a.start();
      }
      return real();
    };
    const outcome = await b.start().then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(outcome).toBe('started');
    await a.flushAndClose({ timeoutMs: 1_000 });
    await b.flushAndClose({ timeoutMs: 1_000 });
  });
});
