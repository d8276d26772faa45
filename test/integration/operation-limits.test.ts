/**
 * Issue 6: operation limits through real HTTP, real gateway, subgraphs and store. Each limit is
 * met exactly (allowed) and passed by one (refused) with small configured bounds; hostile
 * documents are sent against the default bounds; introspection, field suggestions, batching and
 * cached documents are checked; every refusal must be in the access log with its code.
 */
import { codesOf, startTestSystem, type GraphQLResult, type TestSystem } from '../helpers/system.js';
import { recordsWithCode } from './support/rate-limit-expect.js';

const LIMIT_CODE = 'OPERATION_LIMIT_EXCEEDED';
const NORMAL_QUERY = '{ client(clientId: "C-000001") { id name } }';

/** Sends through `sys` and counts the operation-limit refusals, for the access-log check. */
function counter(get: () => TestSystem) {
  const sent = { limitRefusals: 0, badRequests: 0, tooLarge: 0 };
  const note = (r: GraphQLResult): GraphQLResult => {
    if (codesOf(r).includes(LIMIT_CODE)) sent.limitRefusals++;
    if (codesOf(r).includes('PAYLOAD_TOO_LARGE')) sent.tooLarge++;
    if (codesOf(r).includes('BAD_REQUEST')) sent.badRequests++;
    return r;
  };
  return {
    sent,
    gql: async (query: string, variables?: Record<string, unknown>) => note(await get().gql(query, variables ? { variables } : {})),
    post: async (body: string) => note(await get().post(body, { authorization: `Bearer ${await get().token()}` })),
  };
}

function expectServed(r: GraphQLResult): void {
  expect([r.status, r.body.errors]).toEqual([200, undefined]);
  expect(r.body.data).toEqual(expect.any(Object));
}

/** Refused as a whole with exactly one OPERATION_LIMIT_EXCEEDED naming `limit`, the bound not told. */
function expectLimitRefused(r: GraphQLResult, limit: string): void {
  expect(r.status).toBe(400);
  expect(r.body.data ?? null).toBeNull();
  expect(codesOf(r)).toEqual([LIMIT_CODE]);
  const error = r.body.errors![0]!;
  expect(error.extensions!.limit).toBe(limit);
  expect(error.extensions).not.toHaveProperty('max');
  expect(error.extensions).not.toHaveProperty('actual');
  expect(error.message).not.toMatch(/\d/);
}

describe('operation limits, each at and one past a small bound', () => {
  const BOUNDS = { maxDepth: 3, maxAliases: 2, maxRootFields: 2, maxTokens: 40, maxDocumentBytes: 1000, maxDirectivesPerField: 1, maxCost: 20, defaultListSize: 10 };
  let sys: TestSystem;
  const client = counter(() => sys);

  beforeAll(async () => {
    sys = await startTestSystem({ operationLimits: BOUNDS });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('depth: 3 levels allowed, 4 refused', async () => {
    expectServed(await client.gql('{ client(clientId: "C-000001") { account { balance } } }'));
    expectLimitRefused(await client.gql('{ client(clientId: "C-000001") { account { transactions(first: 1) { id } } } }'), 'DEPTH');
  });

  it('aliases: 2 allowed, 3 refused', async () => {
    expectServed(await client.gql('{ client(clientId: "C-000001") { a: id b: name } }'));
    expectLimitRefused(await client.gql('{ client(clientId: "C-000001") { a: id b: name c: type } }'), 'ALIASES');
  });

  it('root fields: 2 allowed, 3 refused', async () => {
    expectServed(await client.gql('{ serviceStatus { name } client(clientId: "C-000001") { id } }'));
    expectLimitRefused(await client.gql('{ serviceStatus { name } client(clientId: "C-000001") { id } s: serviceStatus { version } }'), 'ROOT_FIELDS');
  });

  it('tokens: 40 allowed, 41 refused', async () => {
    // 10 tokens around the padding; __typename adds a token but no depth or cost.
    const withTokens = (n: number) => `{ client(clientId: "C-000001") { ${Array(n - 10).fill('__typename').join(' ')} } }`;
    expectServed(await client.gql(withTokens(BOUNDS.maxTokens)));
    expectLimitRefused(await client.gql(withTokens(BOUNDS.maxTokens + 1)), 'TOKENS');
  });

  it('document size in UTF-8 bytes: 1000 allowed, 1001 refused (also when it is fewer than 1000 characters)', async () => {
    const padTo = (bytes: number, pad: string) => {
      const doc = `${NORMAL_QUERY} #`;
      const padBytes = bytes - Buffer.byteLength(doc);
      return doc + pad.repeat(Math.floor(padBytes / Buffer.byteLength(pad))) + ' '.repeat(padBytes % Buffer.byteLength(pad));
    };
    const exact = padTo(BOUNDS.maxDocumentBytes, 'x');
    expect(Buffer.byteLength(exact)).toBe(BOUNDS.maxDocumentBytes);
    expectServed(await client.gql(exact));
    const over = padTo(BOUNDS.maxDocumentBytes + 1, 'é');
    expect([Buffer.byteLength(over), over.length < BOUNDS.maxDocumentBytes]).toEqual([BOUNDS.maxDocumentBytes + 1, true]);
    expectLimitRefused(await client.gql(over), 'DOCUMENT_BYTES');
  });

  it('directives per field: 1 allowed, 2 refused', async () => {
    expectServed(await client.gql('{ client(clientId: "C-000001") { id @include(if: true) } }'));
    expectLimitRefused(await client.gql('{ client(clientId: "C-000001") { id @include(if: true) @skip(if: false) } }'), 'DIRECTIVES');
  });

  it('cost with a literal list size: lodgments(first: 18) costs 20 and is allowed, first: 19 is refused', async () => {
    // client 1 + lodgments 1 + 18 × id 1 = 20.
    expectServed(await client.gql('{ client(clientId: "C-000001") { lodgments(first: 18) { id } } }'));
    expectLimitRefused(await client.gql('{ client(clientId: "C-000001") { lodgments(first: 19) { id } } }'), 'COST');
  });

  it('cost with the list size in a variable: the same (cached) document is allowed with $n = 18 and refused with $n = 19, every time', async () => {
    const query = 'query Lodgments($n: Int) { client(clientId: "C-000001") { lodgments(first: $n) { id } } }';
    for (let i = 0; i < 2; i++) {
      expectServed(await client.gql(query, { n: 18 }));
      expectLimitRefused(await client.gql(query, { n: 19 }), 'COST');
    }
  });

  it('access-logs every operation-limit refusal with its code', async () => {
    const records = await recordsWithCode(sys.store, LIMIT_CODE);
    expect(client.sent.limitRefusals).toBe(9);
    expect(records).toHaveLength(client.sent.limitRefusals);
    for (const r of records) expect([r.httpStatus, r.decision]).toEqual([400, 'DENIED']);
  });
});

describe('merged duplicate selections at a small bound', () => {
  let sys: TestSystem;
  const client = counter(() => sys);

  beforeAll(async () => {
    sys = await startTestSystem({ operationLimits: { maxMergedFields: 12 } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('merged duplicate selections: 12 allowed, 13 refused, whatever the cost, and logged', async () => {
    // client, its id and lodgments count 1 each, the three ids merged in lodgments 3² = 9: 12; a name beside them makes 13.
    expectServed(await client.gql('{ client(clientId: "C-000001") { id lodgments(first: 1) { id id id } } }'));
    expectLimitRefused(await client.gql('{ client(clientId: "C-000001") { id lodgments(first: 1) { id id id } name } }'), 'MERGED_FIELDS');
    // Through a fragment and an inline fragment as well: client 1, four ids merged 16, F's own definition 1.
    expectLimitRefused(await client.gql('{ client(clientId: "C-000001") { ...F ... on Client { id id id } } } fragment F on Client { id }'), 'MERGED_FIELDS');
  });

  it('logs each refusal with its code', async () => {
    const records = await recordsWithCode(sys.store, LIMIT_CODE);
    expect(client.sent.limitRefusals).toBe(2);
    expect(records.map((r) => r.httpStatus)).toEqual([400, 400]);
  });
});

describe('operation limits with the default bounds: hostile documents', () => {
  let sys: TestSystem;
  const client = counter(() => sys);

  /** Refused with OPERATION_LIMIT_EXCEEDED within a second (the issue's bound: generous on purpose). */
  async function expectRefused(send: () => Promise<GraphQLResult>, status = 400, code: string = LIMIT_CODE): Promise<GraphQLResult> {
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.body.data ?? null).toBeNull();
    expect(codesOf(r)).toContain(code);
    return r;
  }

  beforeAll(async () => {
    sys = await startTestSystem();
    // The first request plans the query and opens subgraph connections; the timings below are not about that.
    expectServed(await sys.gql(NORMAL_QUERY));
  });
  afterAll(async () => {
    await sys.close();
  });

  afterEach(async () => {
    // None of them hurt the gateway: a normal query is still served.
    expectServed(await sys.gql(NORMAL_QUERY));
  });

  it('refuses a 10,000-alias query', async () => {
    const aliases = Array.from({ length: 10_000 }, (_, i) => `a${i}: id`).join(' ');
    await expectRefused(() => client.gql(`{ client(clientId: "C-000001") { ${aliases} } }`));
  });

  it('refuses a depth-50 query (valid against the schema: developer → products → developer …)', async () => {
    let selection = 'id';
    for (let i = 0; i < 24; i++) selection = `products { developer { ${selection} } }`;
    const r = await expectRefused(() => client.gql(`{ developer(id: "DEV-GOOD") { ${selection} } }`));
    expect(r.body.errors!.map((e) => e.extensions!.limit)).toContain('DEPTH');
  });

  it('refuses a 1 MB document with 413', async () => {
    const aliases = Array.from({ length: 100_000 }, (_, i) => `a${i}: id`).join(' ');
    const query = `{ client(clientId: "C-000001") { ${aliases} } }`;
    expect(query.length).toBeGreaterThan(1024 * 1024);
    await expectRefused(() => client.gql(query), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses a document with 3,000 fragments (a chain)', async () => {
    const fragments = Array.from({ length: 3000 }, (_, i) => `fragment F${i} on Client { id ...F${i + 1} }`).join('\n');
    await expectRefused(() => client.gql(`{ client(clientId: "C-000001") { ...F0 } } ${fragments} fragment F3000 on Client { name }`));
  });

  it('refuses a document with 3,000 fragments spread side by side', async () => {
    const spreads = Array.from({ length: 3000 }, (_, i) => `...G${i}`).join(' ');
    const fragments = Array.from({ length: 3000 }, (_, i) => `fragment G${i} on Client{id}`).join('');
    await expectRefused(() => client.gql(`{ client(clientId: "C-000001") { ${spreads} } } ${fragments}`));
  });

  it('refuses a small fragment fan-out bomb that passes the size and token bounds (each fragment spreads the next twice, 2^40 fields)', async () => {
    const fragments = Array.from({ length: 40 }, (_, i) => `fragment B${i} on Client { ...B${i + 1} ...B${i + 1} }`).join('\n');
    const r = await expectRefused(() => client.gql(`{ client(clientId: "C-000001") { ...B0 } } ${fragments} fragment B40 on Client { id }`));
    expect(r.body.errors!.map((e) => e.extensions!.limit)).toContain('COST');
  });

  /** Fragment Fi spreads F(i+1) twice, 22 levels deep, leaves that cost nothing: under a kilobyte, 2^22 selections expanded (review s17b F1). */
  const zeroCostBomb = `query Bomb { ...Z0 } ${Array.from({ length: 22 }, (_, i) => `fragment Z${i} on Query { ...Z${i + 1} ...Z${i + 1} }`).join(' ')} fragment Z22 on Query { __typename }`;

  it('refuses a fan-out bomb whose leaves cost nothing (__typename, 2^22 selections), which the cost limit lets through, at the field walk', async () => {
    const r = await expectRefused(() => client.gql(zeroCostBomb));
    expect(r.body.errors!.map((e) => e.extensions!.limit)).toEqual(['SELECTIONS']);
  });

  it('answers the same bomb sent without a token 401, its attempt described for the record within the walk budget', async () => {
    const r = await sys.gql(zeroCostBomb, { token: null });
    expect([r.status, codesOf(r)]).toEqual([401, ['UNAUTHENTICATED']]);
  });

  it('refuses duplicate selections within every other bound (20 copies of a field each holding 20 copies of another; 8 × 8 × 8 on three levels) before graphql validates them (review s19b F4)', async () => {
    const twenty = `{ ${`client(clientId: "C-000001") { ${'lodgments(first: 1) { id } '.repeat(20)}} `.repeat(20)}}`;
    const threeLevels = `{ ${`client(clientId: "C-000001") { ${`lodgments(first: 1) { ${'incomeTax { result } '.repeat(8)}} `.repeat(8)}} `.repeat(8)}}`;
    for (const document of [twenty, threeLevels]) {
      const r = await expectRefused(() => client.gql(document));
      expect(r.body.errors!.map((e) => e.extensions!.limit)).toEqual(['MERGED_FIELDS']);
    }
  });

  it('access-logs every hostile refusal with its code', async () => {
    const records = await recordsWithCode(sys.store, LIMIT_CODE);
    expect(client.sent.limitRefusals).toBe(8);
    expect(records).toHaveLength(client.sent.limitRefusals);
    expect(records.map((r) => r.httpStatus)).toEqual(Array(8).fill(400));
    const tooLarge = await recordsWithCode(sys.store, 'PAYLOAD_TOO_LARGE');
    expect([client.sent.tooLarge, tooLarge.map((r) => r.httpStatus)]).toEqual([1, [413]]);
  });
});

/**
 * Documents that parse and validate (or nearly) but that the planner or executor could reject:
 * whatever a client sends is answered with a coded status below 500, never a masked 500.
 */
const ODD_DOCUMENTS: Array<[string, string]> = [
  ['a subscription (no Subscription root)', 'subscription S { __typename }'],
  ['a subscription selecting a query field', 'subscription { client(clientId: "C-000001") { id } }'],
  ['a mutation of __typename only', 'mutation { __typename }'],
  ['__typename only', '{ __typename }'],
  ['every root field skipped', '{ client(clientId: "C-000001") @skip(if: true) { id } }'],
  ['every nested field excluded', '{ client(clientId: "C-000001") { id @include(if: false) } }'],
  ['@defer (unknown here)', '{ client(clientId: "C-000001") { ... @defer { name } } }'],
  ['@stream (unknown here)', '{ client(clientId: "C-000001") { lodgments @stream { period } } }'],
  ['an inline fragment on the parent type', '{ client(clientId: "C-000001") { ... on Client { name } } }'],
  ['an inline fragment with no type condition', '{ client(clientId: "C-000001") { ... { name } } }'],
  ['a fragment on Query spread at the root', 'query { ...Q } fragment Q on Query { serviceStatus { status } }'],
  ['a variable skipping everything', 'query ($s: Boolean = true) { client(clientId: "C-000001") @skip(if: $s) { id } }'],
  ['two operations, none named', 'query { __typename } query { __typename }'],
  ['introspection of a type', '{ __type(name: "Client") { name } }'],
  ['__typename on a null root', '{ client(clientId: "C-999999") { __typename } }'],
  ['a mutation the caller may not run', 'mutation { suspendProduct(productId: "PRD-CERTIFIED", expectedRevision: 1, reason: "x") { status } }'],
  ['a fragment cycle', '{ client(clientId: "C-000001") { ...A } } fragment A on Client { ...B } fragment B on Client { ...A }'],
  ['a directive on the operation', 'query @include(if: true) { __typename }'],
  ['an argument of the wrong type inline', '{ client(clientId: 12) { id } }'],
  ['a list where a scalar is expected', '{ client(clientId: ["C-000001"]) { id } }'],
];

describe('no client document yields a 500', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it.each(ODD_DOCUMENTS)('%s is answered below 500 with coded errors', async (_label, query) => {
    const r = await sys.gql(query);
    expect(r.status).toBeLessThan(500);
    for (const code of codesOf(r)) expect(code).not.toBe('INTERNAL_SERVER_ERROR');
  });

  it('refuses a subscription with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const r = await sys.gql('subscription S { __typename }');
    expect([r.status, codesOf(r)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
  });
});

describe('operation limits with the default bounds: introspection, suggestions, batching, cached documents', () => {
  let sys: TestSystem;
  const client = counter(() => sys);

  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys.close();
  });

  it('refuses introspection by default', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Client") { fields { name } } }']) {
      const r = await client.gql(query);
      expect(r.status).toBe(400);
      expect(codesOf(r)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      expect(r.body.data ?? null).toBeNull();
    }
  });

  it('never suggests field, argument, type, enum value or input field names', async () => {
    const cases: Array<[string, Record<string, unknown>?]> = [
      ['{ client(clientId: "C-000001") { nme } }'],
      ['{ client(clientID: "C-000001") { id } }'],
      ['{ client(clientId: "C-000001") { lodgments(formType: INCOME) { id } } }'],
      ['{ client(clientId: "C-000001") { lodgments(formType: INDIVIDUAL_TAX_RETURNN) { id } } }'],
      ['query ($f: FormTyp) { client(clientId: "C-000001") { lodgments(formType: $f) { id } } }', { f: 'INCOME' }],
      ['query ($f: FormType) { client(clientId: "C-000001") { lodgments(formType: $f) { id } } }', { f: 'INCOME' }],
      ['query ($f: FormType) { client(clientId: "C-000001") { lodgments(formType: $f) { id } } }', { f: 'INDIVIDUAL_TAX_RETURNN' }],
      [
        'mutation ($a: ActivityStatementAmountsInput!) { lodgeActivityStatement(clientId: "C-000001", period: "2024-Q1", amounts: $a) { id } }',
        { a: { totalSales: 1, gstOnSales: 1, gstOnPurchases: 1, paygWithheldd: 0 } },
      ],
    ];
    for (const [query, variables] of cases) {
      const r = await client.gql(query, variables);
      expect(r.status).toBe(400);
      expect(r.body.errors!.length).toBeGreaterThan(0);
      for (const e of r.body.errors!) expect(e.message).not.toMatch(/did you mean/i);
      expect(JSON.stringify(r.body)).not.toMatch(/did you mean/i);
    }
  });

  it('refuses a batched request (a JSON array body) with BAD_REQUEST', async () => {
    const r = await client.post(JSON.stringify([{ query: '{ serviceStatus { name } }' }, { query: '{ serviceStatus { version } }' }]));
    expect([r.status, codesOf(r)]).toEqual([400, ['BAD_REQUEST']]);
    expect(Array.isArray(r.body)).toBe(false);
  });

  it('refuses an identical over-the-limit document every time it is sent', async () => {
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ');
    const query = `{ client(clientId: "C-000001") { ${aliases} } }`;
    for (let i = 0; i < 2; i++) expectLimitRefused(await client.gql(query), 'ALIASES');
  });

  it('checks the cost of a cached document with each request\'s variables', async () => {
    // Validation (document-only) passes once and is cached; the per-request check sees $n.
    const query = 'query Lodgments($n: Int) { client(clientId: "C-000001") { lodgments(first: $n) { id } } }';
    expectServed(await client.gql(query, { n: 5 }));
    expectLimitRefused(await client.gql(query, { n: 1_000_000 }), 'COST');
    expectServed(await client.gql(query, { n: 5 }));
    expectLimitRefused(await client.gql(query, { n: 1_000_000 }), 'COST');
  });

  it('access-logs the refusals with their codes', async () => {
    expect(await recordsWithCode(sys.store, LIMIT_CODE)).toHaveLength(client.sent.limitRefusals);
    expect(client.sent.limitRefusals).toBe(4);
    expect(await recordsWithCode(sys.store, 'BAD_REQUEST')).toHaveLength(client.sent.badRequests);
    expect(client.sent.badRequests).toBe(1);
    expect((await recordsWithCode(sys.store, 'GRAPHQL_VALIDATION_FAILED')).length).toBeGreaterThanOrEqual(2);
  });
});

describe('operation limits with introspection on and bounds revealed', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await startTestSystem({ operationLimits: { introspection: true, revealBounds: true, maxDepth: 3 } });
  });
  afterAll(async () => {
    await sys.close();
  });

  it('allows introspection when the setting is on', async () => {
    const r = await sys.gql('{ __schema { types { name } } }');
    expectServed(r);
    expect(r.body.data!.__schema.types.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['Client', 'Query', 'FormType']));
  });

  it('tells the bound when revealBounds is on', async () => {
    const r = await sys.gql('{ client(clientId: "C-000001") { account { transactions(first: 1) { id } } } }');
    expect([r.status, codesOf(r)]).toEqual([400, [LIMIT_CODE]]);
    expect(r.body.errors![0]!.extensions).toMatchObject({ limit: 'DEPTH', max: 3, actual: 4 });
    expect(r.body.errors![0]!.message).toContain('3');
  });
});
