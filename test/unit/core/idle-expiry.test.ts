/**
 * Idle expiry of the request path's caches (CACHE_IDLE_S): an entry used within the idle time
 * stays however old it is, one unused for longer is purged by the sweeper, and a sweep that frees
 * enough asks for one full collection, not one per sweep. Every clock is injected; nothing sleeps.
 */
import { jest } from '@jest/globals';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { createDecisionCache } from '../../../authorisation/decision-cache.js';
import { DIRECTIVES } from '../../../authorisation/directives/index.js';
import { buildRequirementMap } from '../../../authorisation/requirement-map.js';
import { createCacheSweeper, type Sweepable } from '../../../core/idle-expiry.js';
import type { VerifiedToken } from '../../../core/verified-token.js';
import { createDocumentStore } from '../../../gateway/apollo/document-store.js';
import { createQueryPlanStore } from '../../../gateway/apollo/query-plan-store.js';
import { createTokenCache } from '../../../gateway/auth/token-cache.js';

const IDLE = 60_000;
const MIB = 1_048_576;

function fakeClock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('document store idle expiry', () => {
  it('keeps a document used within the idle time and purges one unused for longer', async () => {
    const clock = fakeClock();
    const store = createDocumentStore(MIB, { idleMs: IDLE, now: clock.now });
    await store.set('used', parse('{ a }'));
    await store.set('unused', parse('{ b }'));
    // Used every 40 s for two minutes: older than the idle time, never idle that long.
    for (let i = 0; i < 3; i++) {
      clock.advance(40_000);
      expect(await store.get('used')).toBeDefined();
    }
    expect(store.purgeStale()).toBeGreaterThan(0);
    expect(await store.get('used')).toBeDefined();
    expect(await store.get('unused')).toBeUndefined();
  });

  it('purges nothing before the idle time has passed', async () => {
    const clock = fakeClock();
    const store = createDocumentStore(MIB, { idleMs: IDLE, now: clock.now });
    await store.set('k', parse('{ a }'));
    clock.advance(IDLE - 1);
    expect(store.purgeStale()).toBe(0);
    expect(await store.get('k')).toBeDefined();
  });

  it('without expiry keeps entries however long they are unused (size alone evicts)', async () => {
    const store = createDocumentStore(MIB);
    await store.set('k', parse('{ a }'));
    expect(store.purgeStale()).toBe(0);
    expect(await store.get('k')).toBeDefined();
  });
});

describe('query-plan store', () => {
  const plan = { kind: 'QueryPlan', node: { kind: 'Fetch', serviceName: 'clients', operation: '{ client(clientId: "C-000001") { id } }' } } as never;

  it('purges a plan unused for the idle time and keeps one in use', async () => {
    const clock = fakeClock();
    const store = createQueryPlanStore(MIB, { idleMs: IDLE, now: clock.now });
    await store.set('used', plan);
    await store.set('unused', plan);
    clock.advance(IDLE / 2);
    await store.get('used');
    clock.advance(IDLE / 2 + 1);
    expect(store.purgeStale()).toBeGreaterThan(0);
    expect(await store.get('used')).toBeDefined();
    expect(await store.get('unused')).toBeUndefined();
  });

  it('is bounded in approximate bytes and cleared on a supergraph change', async () => {
    const store = createQueryPlanStore(16 * 1024);
    for (let i = 0; i < 500; i++) await store.set(`k${i}`, { kind: 'QueryPlan', node: { kind: 'Fetch', operation: `{ a${i} b c d }` } } as never);
    expect(await store.get('k0')).toBeUndefined();
    expect(await store.get('k499')).toBeDefined();
    store.clear();
    expect(await store.get('k499')).toBeUndefined();
  });
});

describe('decision cache idle expiry', () => {
  const SDL = `
${DIRECTIVES.map((d) => d.sdl).join('\n')}
type Query {
  client(clientId: ID!): Client @requiresService(service: "clients.read") @clientAccess(argument: "clientId")
}
type Client @requiresService(service: "clients.read") {
  id: ID!
}
`;
  const schema = buildSchema(SDL);
  const map = buildRequirementMap(SDL);
  // One parse, as Apollo's document store hands every request of one text (a walk serves only the document it was made from).
  const document = parse('{ client(clientId: "C-000001") { id } }');
  const analyse = (cache: ReturnType<typeof createDecisionCache>, key: string) => cache.analyse(key, schema, document, document.definitions[0] as OperationDefinitionNode, map);

  it('walks a document again once its analysis was unused for the idle time and purged', () => {
    const clock = fakeClock();
    const cache = createDecisionCache(100, MIB, { idleMs: IDLE, now: clock.now });
    analyse(cache, 'd1');
    clock.advance(IDLE - 1);
    analyse(cache, 'd1');
    expect(cache.stats()).toMatchObject({ analysisHits: 1, analysisMisses: 1 });
    clock.advance(IDLE + 1);
    expect(cache.purgeStale()).toBeGreaterThan(0);
    analyse(cache, 'd1');
    expect(cache.stats()).toMatchObject({ analysisHits: 1, analysisMisses: 2 });
  });
});

describe('token cache idle expiry', () => {
  const token: VerifiedToken = { sub: 's', iss: 'i', jti: 'j', exp: 2_000_000_000, softwareId: 'PRD', softwareVersion: '1.0.0', org: '12345678901', scopes: [], roles: [], developerId: null, mfa: false, kind: 'product' };
  const HOUR = 3_600_000;

  it('drops a token unused for the idle time although its verification still holds', () => {
    const clock = fakeClock();
    const cache = createTokenCache({ max: 10, idleMs: IDLE, clock: clock.now });
    const requestNow = 1_700_000_000_000;
    cache.set('a', { ...token }, requestNow, requestNow + HOUR);
    cache.set('b', { ...token }, requestNow, requestNow + HOUR);
    clock.advance(IDLE - 1);
    expect(cache.get('a', requestNow)).toBeDefined();
    clock.advance(2);
    expect(cache.purgeStale()).toBeGreaterThan(0);
    expect(cache.stats().size).toBe(1);
    expect(cache.get('a', requestNow)).toBeDefined();
    expect(cache.get('b', requestNow)).toBeUndefined();
  });
});

describe('cache sweeper', () => {
  const freeing = (bytes: number[]): Sweepable => ({ purgeStale: () => bytes.shift() ?? 0 });

  it('purges every cache and collects once the freed bytes reach the threshold', () => {
    const collect = jest.fn();
    const sweeper = createCacheSweeper({ caches: [freeing([1 * MIB, 0]), freeing([2 * MIB, 0])], intervalMs: 15_000, collectAfterBytes: 3 * MIB, collect, timer: false });
    expect(sweeper.sweep()).toEqual({ freedBytes: 3 * MIB, collected: true });
    expect(collect).toHaveBeenCalledTimes(1);
    expect(sweeper.sweep()).toEqual({ freedBytes: 0, collected: false });
    expect(collect).toHaveBeenCalledTimes(1);
  });

  it('does not collect for a sweep that freed little', () => {
    const collect = jest.fn();
    const sweeper = createCacheSweeper({ caches: [freeing([MIB])], intervalMs: 15_000, collectAfterBytes: 4 * MIB, collect, timer: false });
    expect(sweeper.sweep().collected).toBe(false);
    expect(collect).not.toHaveBeenCalled();
  });

  it('collects at most once per minimum interval however much each sweep frees', () => {
    const clock = fakeClock();
    const collect = jest.fn();
    const sweeper = createCacheSweeper({ caches: [freeing([8 * MIB, 8 * MIB, 8 * MIB])], intervalMs: 15_000, minCollectIntervalMs: 60_000, collectAfterBytes: 4 * MIB, collect, now: clock.now, timer: false });
    expect(sweeper.sweep().collected).toBe(true);
    clock.advance(15_000);
    expect(sweeper.sweep().collected).toBe(false);
    clock.advance(45_000);
    expect(sweeper.sweep().collected).toBe(true);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('without a collector (no --expose-gc) only purges', () => {
    const sweeper = createCacheSweeper({ caches: [freeing([64 * MIB])], intervalMs: 15_000, collect: null, timer: false });
    expect(sweeper.sweep()).toEqual({ freedBytes: 64 * MIB, collected: false });
  });
});
