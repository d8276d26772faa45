/**
 * Review (cert): registry mutations and their results, attacked at the edges.
 */
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { createStore } from '../../../store/index.js';
import { StoreUnavailableError, type Store } from '../../../store/port.js';
import { registrySubgraph } from '../../../subgraphs/registry/index.js';
import type { SubgraphContext } from '../../../subgraphs/shared/server.js';
import { ADMIN, application, codeOf, createHarness, developerStaff, REGISTER_DEVELOPER, T0, type Harness } from '../subgraphs/registry/harness.js';

describe('review-cert: an ineligible application is recorded REJECTED whatever the length of its (valid) reason', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('records the REJECTED application when the applicant gave a reason within its 2000-character bound', async () => {
    // A reason of 1990 characters is within the rule (TEXT_RULES.reason, 2000) the input guard applies.
    const reason = 'r'.repeat(1990);
    const result = await h.run(developerStaff('DEV-X'), REGISTER_DEVELOPER, { input: application({ declarationsAccepted: false, reason }) });
    // Expected: the application is stored, REJECTED, with its reasons (as with a short reason).
    expect(codeOf(result)).toBeUndefined();
    expect(result.data?.registerDeveloper?.status).toBe('REJECTED');
  });

  it('a short reason: REJECTED is recorded (control)', async () => {
    const result = await h.run(ADMIN, REGISTER_DEVELOPER, { input: application({ declarationsAccepted: false, reason: 'short' }) });
    expect(result.data?.registerDeveloper?.status).toBe('REJECTED');
  });
});

describe('review-cert: probing whether an ABN is registered leaves no trace on the register', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('a registration refused as ineligible (ABN already held) is on the register however long its reason', async () => {
    const held = application();
    await h.ok(ADMIN, REGISTER_DEVELOPER, { input: held });
    const count = async () => ((await h.ok(ADMIN, '{ developers { id } }')).developers as unknown[]).length;
    const before = await count();
    // A developer's staff member asks about someone else's ABN, with a long (valid) reason.
    const probe = await h.run(developerStaff('DEV-X'), REGISTER_DEVELOPER, { input: application({ abn: held.abn, reason: 'r'.repeat(1990) }) });
    // The answer tells the ABN is held (BAD_USER_INPUT here, a PENDING record for a free ABN)...
    // ...and the application must still be recorded (REJECTED, abnUnique false) for the admins to see.
    expect(codeOf(probe)).toBeUndefined();
    expect(await count()).toBe(before + 1);
  });
});

describe('review-cert: a store outage while a mutation\'s result is resolved is REGISTRY_UNAVAILABLE, not an uncoded error', () => {
  it('registerDeveloper { products } answers REGISTRY_UNAVAILABLE when the store fails after the write', async () => {
    const real = await createStore('sqlite::memory:');
    const failing = { on: false };
    // The store, failing its reads once `failing.on` is set (an outage that starts after the write).
    const store = new Proxy(real, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (failing.on && (name === 'listProducts' || name === 'developerById')) return Promise.reject(new StoreUnavailableError('down'));
          const result = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (name === 'applyRegistryChange') return (result as Promise<unknown>).then((r) => ((failing.on = true), r));
          return result;
        };
      },
    }) as Store;
    const def = registrySubgraph({ store, now: () => T0, newDeveloperId: () => 'DEV-R1' });
    const server = new ApolloServer<SubgraphContext>({ schema: buildSubgraphSchema({ typeDefs: def.typeDefs, resolvers: def.resolvers as GraphQLResolverMap<unknown> }), plugins: [ApolloServerPluginInlineTraceDisabled()] });
    await server.start();
    try {
      const response = await server.executeOperation(
        { query: 'mutation($input: RegisterDeveloperInput!) { registerDeveloper(input: $input) { id status products { id } } }', variables: { input: application() } },
        { contextValue: { identity: ADMIN, requestId: null } },
      );
      const body = response.body.kind === 'single' ? response.body.singleResult : null;
      const codes = (body?.errors ?? []).map((e) => e.extensions?.['code']);
      // The write went through; the read of the result's `products` met the outage.
      expect(codes).toEqual(['REGISTRY_UNAVAILABLE']);
    } finally {
      await server.stop();
      await real.close();
    }
  });
});
