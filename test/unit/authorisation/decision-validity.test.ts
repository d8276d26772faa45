/**
 * A cached field decision never outlives the facts it read: the decision cache key is built
 * through the real caller resolution (resolveCaller over a registry snapshot), and the clock is
 * injected, so an authorisation that expires at T is honoured until T and refused after it even
 * though the first decision was served from the cache.
 */
import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import type { VerifiedToken } from '../../../core/verified-token.js';
import { DIRECTIVES } from '../../../authorisation/directives/index.js';
import { buildRequirementMap } from '../../../authorisation/requirement-map.js';
import { createCallerResolver, resolveCaller } from '../../../authorisation/caller.js';
import { createDecisionCache } from '../../../authorisation/decision-cache.js';
import { createDocumentStore } from '../../../gateway/apollo/document-store.js';
import { createRegistrySnapshot } from '../../../gateway/registry-snapshot.js';
import type { ClientAuthorisation } from '../../../registry/model.js';
import type { RegistryChanges } from '../../../store/port.js';
import { DAY, NOW, developerIn, productIn } from '../registry/fixtures.js';

const SDL = `
${DIRECTIVES.map((d) => d.sdl).join('\n')}
type Query {
  client(clientId: ID!): Client @requiresService(service: "clients.read") @clientAccess(argument: "clientId")
}
type Client @requiresService(service: "clients.read") {
  id: ID!
  name: String
}
`;
const schema = buildSchema(SDL);
const map = buildRequirementMap(SDL);
const ORG = '12345679016';
const T = NOW + 60_000;

const token: VerifiedToken = {
  sub: 'user-1',
  iss: 'test',
  jti: null,
  exp: Math.floor(NOW / 1000) + 3600,
  softwareId: 'PRD-TEST',
  softwareVersion: '2.1.0',
  org: ORG,
  scopes: ['clients.read'],
  roles: [],
  developerId: null,
  mfa: false,
  kind: 'product',
};

async function setup(authorisation: Partial<ClientAuthorisation>, productOverrides: Parameters<typeof productIn>[1] = {}) {
  const clock = { now: NOW };
  const changes: RegistryChanges = {
    revision: 5,
    developers: [developerIn('ACTIVE')],
    products: [productIn('CERTIFIED', productOverrides)],
    authorisations: [{ org: ORG, clientId: 'C-000001', grantedAt: new Date(NOW - DAY).toISOString(), expiresAt: null, revoked: false, revision: 4, ...authorisation }],
  };
  const snapshot = createRegistrySnapshot({ store: { changesSince: async () => changes }, now: () => clock.now });
  await snapshot.refresh();
  const cache = createDecisionCache(100);
  const document = parse('{ client(clientId: "C-000001") { id name } }');
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  /** One request at the clock's current instant, through the real caller resolution. */
  const request = () => {
    const resolved = resolveCaller(token, snapshot, clock.now);
    expect(resolved.denial).toBeNull();
    const analysis = cache.analyse('doc', schema, document, operation, map);
    return cache.decide('doc', analysis, document, null, resolved.caller, resolved.grantsKey, {}, resolved.at).decision;
  };
  return { clock, cache, request, snapshot };
}

describe('decision cache validity', () => {
  it('honours an authorisation expiring at T at T−1 s and refuses it at T+1 s although the decision was cached', async () => {
    const { clock, cache, request } = await setup({ expiresAt: new Date(T).toISOString() });
    clock.now = T - 5_000;
    expect(request().refused).toEqual([]);
    clock.now = T - 1_000;
    expect(request().refused).toEqual([]);
    expect(cache.stats()).toMatchObject({ decisionHits: 1, decisionMisses: 1 });
    clock.now = T + 1_000;
    expect(request().refused.map((r) => r.denial.code)).toEqual(['CLIENT_NOT_AUTHORISED']);
    expect(cache.stats()).toMatchObject({ decisionHits: 1, decisionMisses: 2 });
  });

  it('treats the expiry instant itself as lapsed', async () => {
    const { clock, request } = await setup({ expiresAt: new Date(T).toISOString() });
    clock.now = T - 1;
    expect(request().refused).toEqual([]);
    clock.now = T;
    expect(request().refused.map((r) => r.denial.code)).toEqual(['CLIENT_NOT_AUTHORISED']);
  });

  it('does not serve a decision to a request resolved before the instant it was decided (an overtaken request decides for itself)', async () => {
    // Authorised until T: a request resolved at T+1 s is refused and its verdict cached; one
    // resolved at T−1 s that arrives after it is still authorised and must not get that verdict.
    const { clock, cache, request } = await setup({ expiresAt: new Date(T).toISOString() });
    clock.now = T + 1_000;
    expect(request().refused.map((r) => r.denial.code)).toEqual(['CLIENT_NOT_AUTHORISED']);
    clock.now = T - 1_000;
    expect(request().refused).toEqual([]);
    expect(cache.stats()).toMatchObject({ decisionHits: 0, decisionMisses: 2 });
  });

  it('keeps serving from the cache when no fact the decision read is timed', async () => {
    const { clock, cache, request } = await setup({ expiresAt: null });
    clock.now = NOW;
    request();
    clock.now = NOW + 300 * DAY;
    request();
    expect(cache.stats()).toMatchObject({ decisionHits: 1, decisionMisses: 1 });
  });

  it('bounds a decision by the product certification end as well', async () => {
    const validUntil = NOW + 10 * 60_000;
    const { clock, request } = await setup({ expiresAt: null }, { certification: { tier: 'STANDARD', validFrom: new Date(NOW - DAY).toISOString(), validUntil: new Date(validUntil).toISOString(), certifiedAt: new Date(NOW - DAY).toISOString(), certifiedBy: 'admin' } });
    clock.now = NOW;
    expect(request().holdsUntil).toBe(validUntil);
  });

  it("judges a memoised caller (the gateway's, one resolution per token and revision) at each request's instant", async () => {
    const { clock, cache, snapshot } = await setup({ expiresAt: new Date(T).toISOString() });
    const resolve = createCallerResolver(snapshot);
    const document = parse('{ client(clientId: "C-000001") { id name } }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const callers = new Set<unknown>();
    const request = () => {
      const resolved = resolve(token, clock.now);
      callers.add(resolved.caller);
      const analysis = cache.analyse('memo', schema, document, operation, map);
      return cache.decide('memo', analysis, document, null, resolved.caller, resolved.grantsKey, {}, resolved.at).decision;
    };
    clock.now = T - 1_000;
    expect(request().refused).toEqual([]);
    clock.now = T + 1_000;
    expect(request().refused.map((r) => r.denial.code)).toEqual(['CLIENT_NOT_AUTHORISED']);
    expect(callers.size).toBe(1);
  });

  it('records the earliest expiry among the facts read', async () => {
    const { clock, request } = await setup({ expiresAt: new Date(T).toISOString() });
    clock.now = NOW;
    expect(request().holdsUntil).toBe(T);
  });
});

describe('decision cache keys', () => {
  it('never lets two different lists of client ids share a cached decision, whatever characters they hold', async () => {
    const { cache } = await setup({});
    const snapshot = createRegistrySnapshot({
      store: {
        changesSince: async () => ({
          revision: 5,
          developers: [developerIn('ACTIVE')],
          products: [productIn('CERTIFIED')],
          authorisations: ['C-000001', 'C-000002'].map((clientId) => ({ org: ORG, clientId, grantedAt: new Date(NOW - DAY).toISOString(), expiresAt: null, revoked: false, revision: 4 })),
        }),
      },
      now: () => NOW,
    });
    await snapshot.refresh();
    const document = parse('query ($a: ID!, $b: ID!) { x: client(clientId: $a) { id } y: client(clientId: $b) { id } }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const decide = (a: string, b: string) => {
      const resolved = resolveCaller(token, snapshot, NOW);
      const analysis = cache.analyse('pair', schema, document, operation, map);
      return cache.decide('pair', analysis, document, null, resolved.caller, resolved.grantsKey, { a, b }, NOW).decision.refused.map((r) => r.denial.code);
    };
    // Joined with "|", both pairs read "C-000001|C-000002|C-000001|": the second would reuse the first's verdict.
    expect(decide('C-000001|C-000002', 'C-000001')).toHaveLength(1);
    expect(decide('C-000001', 'C-000002|C-000001')).toHaveLength(1);
    expect(cache.stats().decisionHits).toBe(0);
  });
});

describe('decision cache walks', () => {
  it('walks another parse of the same text again, so the refused field is removed from the document that is planned; a refused request reads the walk but never replaces it', async () => {
    const { cache } = await setup({});
    const text = '{ client(clientId: "C-000009") { id } }';
    const parsed = () => {
      const document = parse(text);
      return { document, operation: document.definitions[0] as OperationDefinitionNode };
    };
    // A refused request's parse, described for its record, then the parse Apollo plans from.
    const attempt = parsed();
    const described = cache.describe('k', schema, attempt.document, attempt.operation, map);
    expect(described.coordinates).toEqual(['Query.client', 'Client.id']);
    const first = parsed();
    expect(cache.analyse('k', schema, first.document, first.operation, map).entries[0]!.node).toBe(first.operation.selectionSet.selections[0]);
    // Apollo dropped its document and parsed the text again: the walk of the first parse is not reused.
    const second = parsed();
    const analysis = cache.analyse('k', schema, second.document, second.operation, map);
    expect(analysis.entries[0]!.node).toBe(second.operation.selectionSet.selections[0]);
    expect(cache.stats()).toMatchObject({ analysisHits: 0, analysisMisses: 2 });
    expect(cache.analyse('k', schema, second.document, second.operation, map)).toBe(analysis);
    expect(cache.describe('k', schema, attempt.document, attempt.operation, map)).toBe(analysis);
    expect(cache.analyse('k', schema, second.document, second.operation, map)).toBe(analysis);
    expect(cache.stats()).toMatchObject({ analysisHits: 2, analysisMisses: 2 });
  });
});

describe('decision cache size', () => {
  it('stays within its byte bound however many distinct documents arrive', () => {
    const small = createDecisionCache(100_000, 64 * 1024);
    for (let i = 0; i < 2000; i++) {
      const document = parse(`query Q${i} { client(clientId: "C-${String(i).padStart(6, '0')}") { id name } }`);
      small.analyse(`doc${i}`, schema, document, document.definitions[0] as OperationDefinitionNode, map);
    }
    const stats = small.stats();
    expect(stats.analysisMisses).toBe(2000);
    // Evicted by bytes, not entries: the first documents are gone although 2000 < 100 000 entries.
    const first = parse('query Q0 { client(clientId: "C-000000") { id name } }');
    small.analyse('doc0', schema, first, first.definitions[0] as OperationDefinitionNode, map);
    expect(small.stats().analysisMisses).toBe(2001);
  });
});

describe('decision cache size, keys included', () => {
  it('counts the client ids in a decision key against its byte bound, so long ids cannot hold more than the bound', async () => {
    const snapshot = createRegistrySnapshot({ store: { changesSince: async () => ({ revision: 5, developers: [developerIn('ACTIVE')], products: [productIn('CERTIFIED')], authorisations: [] }) }, now: () => NOW });
    await snapshot.refresh();
    const document = parse('query ($id: ID!) { client(clientId: $id) { id } }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    const decideAll = (cache: ReturnType<typeof createDecisionCache>, idLength: number) => {
      const resolved = resolveCaller(token, snapshot, NOW);
      const analysis = cache.analyse('long', schema, document, operation, map);
      const decide = (i: number) => cache.decide('long', analysis, document, null, resolved.caller, resolved.grantsKey, { id: `C-${i}-`.padEnd(idLength, 'x') }, NOW);
      for (let i = 0; i < 24; i++) decide(i);
      decide(0); // the first id again: still held, or evicted to keep the bound
      return cache.stats();
    };
    // 24 decisions naming a 16 Ki-character id: each holds the id twice (its key, and the
    // decision's own list of ids), about 64 KiB, so a 1 MiB cache keeps about 16 and the first is gone.
    expect(decideAll(createDecisionCache(10_000, 1024 * 1024), 16 * 1024)).toMatchObject({ decisionHits: 0, decisionMisses: 25 });
    // Short ids: all 24 fit, and the first is a hit.
    expect(decideAll(createDecisionCache(10_000, 1024 * 1024), 8)).toMatchObject({ decisionHits: 1, decisionMisses: 24 });
  });
});

describe('document store', () => {
  it('evicts by approximate bytes', async () => {
    const store = createDocumentStore(32 * 1024);
    for (let i = 0; i < 500; i++) await store.set(`k${i}`, parse(`{ a${i} b c d }`));
    expect(await store.get('k0')).toBeUndefined();
    expect(await store.get('k499')).toBeDefined();
  });
});
