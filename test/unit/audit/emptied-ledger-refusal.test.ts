/**
 * Second review of 36e2898 (a): a start that finds chains but an empty ledger refuses. It looks
 * for chains in the chain-head table only: an attacker who empties the ledger deletes the unsigned
 * head rows too, and the start goes ahead (opening a fresh ledger), the records of the old chains
 * still in the store.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Store } from '../../../store/port.js';
import { openStore, raw, tempFile, writeChain } from './tamper-harness.js';
import { testSigningKey } from './fixtures.js';

const stores: Store[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

describe('an emptied ledger with the chain heads deleted too', () => {
  it('a start refuses as it does when only the ledger was emptied', async () => {
    const key = await testSigningKey();
    const file = tempFile();
    let store = await openStore(file);
    await writeChain(store, key, { chainId: 'chain-a', instanceId: 'gw-a', records: 5 });
    await store.close();
    raw(file, (db) => {
      db.prepare('DELETE FROM chain_ledger').run();
      db.prepare('DELETE FROM chain_heads').run();
    });
    store = await openStore(file);
    stores.push(store);
    expect(await store.chainIdsWithData()).toEqual(['chain-a']);
    const outcome = await writeChain(store, key, { chainId: 'chain-b', instanceId: 'gw-a', records: 1 }).then(
      () => 'started',
      (err: Error) => err.message,
    );
    expect(outcome).toMatch(/ledger is empty/);
  });
});
