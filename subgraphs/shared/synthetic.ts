/**
 * Deterministic synthetic ATO data: same seed and count, same data, on every machine. Each client
 * draws from its own PRNG stream (seed × client number), so client C-000042 is the same whether
 * 100 or 2,000 clients are generated. The three data subgraphs of one process share one copy
 * through `syntheticData()`; records are frozen so no resolver can change what another serves.
 */
import { createClientGenerator } from './synthetic-clients.js';
import { generateAccount } from './synthetic-accounts.js';
import { generateLodgments } from './synthetic-lodgments.js';
import { createRandom } from './synthetic-random.js';
import type { Account, Lodgment, SyntheticClient, SyntheticData } from './synthetic-types.js';

export const DEFAULT_SEED = 20261122;
export const DEFAULT_CLIENT_COUNT = 2000;
/** The date the synthetic data describes; statuses and balances are as at this day. */
export const SYNTHETIC_AS_AT = '2026-11-22';

/** A 32-bit seed for one client's stream of one kind of record. */
function streamSeed(seed: number, n: number, stream: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n, 0xc2b2ae35) ^ Math.imul(stream + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Generates the data set.
 * @param seed PRNG seed (default 20261122).
 * @param count number of clients, 1–999999 (default 2000).
 */
export function generateSyntheticData(seed: number = DEFAULT_SEED, count: number = DEFAULT_CLIENT_COUNT): SyntheticData {
  if (!Number.isInteger(count) || count < 1 || count > 999_999) throw new RangeError('count must be an integer in 1–999999');
  const generator = createClientGenerator();
  const clients: SyntheticClient[] = [];
  const lodgmentsByClient = new Map<string, readonly Lodgment[]>();
  const accountByClient = new Map<string, Account>();
  for (let n = 1; n <= count; n += 1) {
    const client = generator.client(n, createRandom(streamSeed(seed, n, 0)));
    const lodgments = generateLodgments(client, SYNTHETIC_AS_AT, createRandom(streamSeed(seed, n, 1)));
    clients.push(client);
    lodgmentsByClient.set(client.id, lodgments);
    accountByClient.set(client.id, generateAccount(client.id, lodgments, SYNTHETIC_AS_AT, createRandom(streamSeed(seed, n, 2))));
  }
  deepFreeze(clients);
  deepFreeze([...lodgmentsByClient.values()]);
  deepFreeze([...accountByClient.values()]);
  return { seed, asAt: SYNTHETIC_AS_AT, clients, clientById: new Map(clients.map((c) => [c.id, c])), lodgmentsByClient, accountByClient };
}

let shared: SyntheticData | undefined;

/** The process-wide data set (default seed and count), built on first use and shared by every subgraph in the process. */
export function syntheticData(): SyntheticData {
  shared ??= generateSyntheticData();
  return shared;
}

export type * from './synthetic-types.js';
